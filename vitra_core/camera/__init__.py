"""Camera-motion stage: per-frame camera pose relative to the first frame and the clip's field of view.

Entry point `estimate_camera_motion(video_path, poses, intrinsics) -> CameraMotion`; method and every
threshold in docs/camera_motion.md.
"""

from vitra_core.camera.compensate import pixels_in_anchor, points_in_anchor
from vitra_core.camera.motion import estimate_camera_motion
from vitra_core.camera.preview import render_camera_preview
from vitra_core.camera.result import SCHEMA_VERSION, CameraMotion, CameraMotionFileError
from vitra_core.camera.settings import CameraMotionSettings

__all__ = [
    "SCHEMA_VERSION", "CameraMotion", "CameraMotionFileError", "CameraMotionSettings", "estimate_camera_motion",
    "pixels_in_anchor", "points_in_anchor", "render_camera_preview",
]
