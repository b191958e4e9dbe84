"""Video I/O: probing, content identity, normalisation, frame streaming, intrinsics, thumbnails."""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "frames": ["Frame", "iter_frames"],
    "identity": ["sha256_file", "video_id_from_sha256"],
    "intrinsics": ["Intrinsics", "resolve_intrinsics"],
    "normalise": ["NORMALISE_VERSION", "NormaliseSettings", "normalise_clip"],
    "probe": ["VideoProbe", "probe_video"],
    "sidecar": ["VideoSidecar", "read_sidecar"],
    "thumbnail": ["thumbnail_jpeg"],
})
