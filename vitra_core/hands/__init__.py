"""Hand-pose stage: per-frame 2D/3D hand joints and the 51-number VITRA hand state of each hand.

Entry point `extract_hand_poses(video_path, ...) -> HandPoses`; method in docs/hand_poses.md.
"""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "extract": ["extract_hand_poses", "relift_hand_poses"],
    "kinematics": ["forward_kinematics", "inverse_kinematics"],
    "preview": ["draw_hands", "preview_grid", "render_preview"],
    "result": ["SCHEMA_VERSION", "HandPoses", "HandPosesFileError"],
    "settings": ["HandPoseSettings"],
})
