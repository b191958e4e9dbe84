"""The `hand_poses` stage for one video: poses file, figures, preview grid and optional overlay clip.

Reads the normalised clip and its intrinsics from `raw_clips`, and the per-video `mirrored` flag from
the video's sidecar. `figures.json` is written last: its presence means the stage finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vitra_core.fsutil import write_bytes_atomic, write_json_atomic
from vitra_core.hands.figures import HandPoseFigures, hand_pose_figures
from vitra_core.hands.result import SCHEMA_VERSION, HandPoses
from vitra_core.hands.settings import HandPoseSettings
from vitra_core.imaging import encode_png
from vitra_core.layout import DataLayout
from vitra_core.video.frames import iter_frames
from vitra_core.video.raw_clip import CLIP_FILE, RAW_CLIPS_STAGE, read_clip_meta, read_source_record
from vitra_core.video.writer import write_clip

ALGORITHM_VERSION = "2"  # bump when the method changes results: marks every hand_poses partition stale
# 2: mediapipe 0.10.21 -> 0.10.14 (numpy 2); tracking-mode landmarks differ (docs/hand_poses.md, 1.);
#    re-acquisition of lost hands (palm threshold 0.3, zoomed look), flash filter, one hand size per track
HAND_POSES_STAGE = "hand_poses"
POSES_FILE, FIGURES_FILE, PREVIEW_FILE, OVERLAY_FILE = "poses.npz", "figures.json", "preview.png", "overlay.mp4"
CODE_VERSION = f"hands-v{ALGORITHM_VERSION}-schema{SCHEMA_VERSION}"


@dataclass(frozen=True)
class HandPoseOutputs:
    poses: HandPoses
    figures: HandPoseFigures
    folder: Path
    preview_rgb: np.ndarray  # [H, W, 3]: the grid also written as preview.png


def read_hand_pose_figures(layout: DataLayout, video_id: str) -> HandPoseFigures:
    return HandPoseFigures.model_validate_json((layout.stage_dir(HAND_POSES_STAGE, video_id) / FIGURES_FILE).read_text())


def write_overlay_clip(video: Path, poses: HandPoses, target: Path) -> int:
    """Every frame of `video` with the hands drawn, as an H.264 clip at the video's rate."""
    from vitra_core.hands.preview import draw_hands  # cv2: only when drawing

    frames = (draw_hands(frame.rgb, poses, frame.index) for frame in iter_frames(video))
    return write_clip(frames, target, poses.fps)


def build_hand_poses(layout: DataLayout, video_id: str, settings: HandPoseSettings, overlay: bool) -> HandPoseOutputs:
    from vitra_core.hands.extract import extract_hand_poses  # mediapipe and cv2: only when the stage runs
    from vitra_core.hands.preview import preview_grid

    meta = read_clip_meta(layout, video_id)
    sidecar = read_source_record(layout, video_id).sidecar
    clip = layout.stage_dir(RAW_CLIPS_STAGE, video_id) / CLIP_FILE
    poses = extract_hand_poses(clip, meta.intrinsics, mirrored=bool(sidecar and sidecar.mirrored), settings=settings)
    folder = layout.stage_dir(HAND_POSES_STAGE, video_id)
    poses.save(folder / POSES_FILE)
    grid = preview_grid(clip, poses)
    write_bytes_atomic(folder / PREVIEW_FILE, encode_png(grid))
    if overlay:
        write_overlay_clip(clip, poses, folder / OVERLAY_FILE)
    figures = hand_pose_figures(poses)
    write_json_atomic(folder / FIGURES_FILE, figures)
    return HandPoseOutputs(poses, figures, folder, grid)
