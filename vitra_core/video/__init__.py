"""Video I/O: probing, content identity, normalisation, frame streaming, intrinsics, thumbnails."""

from vitra_core.video.frames import Frame, iter_frames
from vitra_core.video.identity import sha256_file, video_id_from_sha256
from vitra_core.video.intrinsics import Intrinsics, resolve_intrinsics
from vitra_core.video.normalise import NORMALISE_VERSION, NormaliseSettings, normalise_clip
from vitra_core.video.probe import VideoProbe, probe_video
from vitra_core.video.sidecar import VideoSidecar, read_sidecar
from vitra_core.video.thumbnail import thumbnail_jpeg

__all__ = [
    "Frame", "Intrinsics", "NORMALISE_VERSION", "NormaliseSettings", "VideoProbe", "VideoSidecar",
    "iter_frames", "normalise_clip", "probe_video", "read_sidecar", "resolve_intrinsics",
    "sha256_file", "thumbnail_jpeg", "video_id_from_sha256",
]
