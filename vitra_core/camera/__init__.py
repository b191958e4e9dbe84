"""Camera-motion stage: per-frame camera pose relative to the first frame and the clip's field of view.

Entry point `estimate_camera_motion(video_path, poses, intrinsics) -> CameraMotion`; method and every
threshold in docs/camera_motion.md.
"""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "compensate": ["pixels_in_anchor", "points_in_anchor"],
    "motion": ["estimate_camera_motion"],
    "preview": ["render_camera_preview"],
    "result": ["SCHEMA_VERSION", "CameraMotion", "CameraMotionFileError"],
    "settings": ["CameraMotionSettings"],
})
