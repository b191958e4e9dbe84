"""Hand-pose stage: per-frame 2D/3D hand joints and the 51-number VITRA hand state of each hand.

Entry point `extract_hand_poses(video_path, ...) -> HandPoses`; method in docs/hand_poses.md.
"""

from vitra_core.hands.extract import extract_hand_poses, relift_hand_poses
from vitra_core.hands.kinematics import forward_kinematics, inverse_kinematics
from vitra_core.hands.preview import draw_hands, preview_grid, render_preview
from vitra_core.hands.result import SCHEMA_VERSION, HandPoses, HandPosesFileError
from vitra_core.hands.settings import HandPoseSettings

__all__ = [
    "SCHEMA_VERSION", "HandPoseSettings", "HandPoses", "HandPosesFileError", "draw_hands", "extract_hand_poses", "relift_hand_poses",
    "forward_kinematics", "inverse_kinematics", "preview_grid", "render_preview",
]
