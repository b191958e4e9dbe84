"""A preview image for humans auditing the stage: a grid of frames with landmarks and bones drawn.

Left hands are drawn orange, right hands blue; interpolated hands get hollow joints and thin bones.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from vitra_core.hands.result import HandPoses
from vitra_core.hands.skeleton import BONES, NUM_HANDS
from vitra_core.video.frames import Frame, iter_frames

HAND_COLOURS_RGB = ((255, 140, 0), (30, 144, 255))  # left, right


def preview_frame_indices(poses: HandPoses, count: int = 6) -> list[int]:
    """Up to `count` frame indices spread evenly over the frames that show a hand (or over all)."""
    candidates = np.flatnonzero(poses.mask.any(axis=1))
    if candidates.size == 0:
        candidates = np.arange(poses.num_frames)
    picks = np.linspace(0, candidates.size - 1, min(count, candidates.size)).round().astype(int)
    return sorted(set(candidates[picks].tolist()))


def draw_hands(rgb: np.ndarray, poses: HandPoses, t: int, scale: float = 1.0) -> np.ndarray:
    """A copy of frame `t` scaled by `scale`, with both hands' bones and joints and a time label drawn."""
    tile = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    for hand in range(NUM_HANDS):
        if not poses.mask[t, hand]:
            continue
        points = np.round(poses.joints_2d[t, hand] * scale).astype(int)
        thin = bool(poses.interpolated[t, hand])
        colour = HAND_COLOURS_RGB[hand]
        for parent, child in BONES:
            cv2.line(tile, tuple(points[parent]), tuple(points[child]), colour, 1 if thin else 2, cv2.LINE_AA)
        for point in points:
            cv2.circle(tile, tuple(point), 3, colour, 1 if thin else -1, cv2.LINE_AA)
    label = f"#{t}  {poses.timestamps_s[t]:.2f}s"
    cv2.putText(tile, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 2, cv2.LINE_AA)
    cv2.putText(tile, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return tile


def render_preview(frames: Sequence[Frame], poses: HandPoses, columns: int = 3, tile_width: int = 320) -> np.ndarray:
    """RGB grid [H, W, 3] of `frames` (decoded from the video `poses` describes) with hands drawn.

    Each tile is `tile_width` pixels wide; rows are filled left to right, empty cells stay black.
    """
    if not frames:
        raise ValueError("render_preview needs at least one frame")
    tiles = [draw_hands(f.rgb, poses, f.index, tile_width / f.rgb.shape[1]) for f in frames]
    height = max(tile.shape[0] for tile in tiles)
    columns = min(columns, len(tiles))
    grid = np.zeros((height * math.ceil(len(tiles) / columns), tile_width * columns, 3), dtype=np.uint8)
    for k, tile in enumerate(tiles):
        row, col = divmod(k, columns)
        grid[row * height: row * height + tile.shape[0], col * tile_width: col * tile_width + tile.shape[1]] = tile
    return grid


def preview_grid(video_path: Path | str, poses: HandPoses, count: int = 6) -> np.ndarray:
    """Decode `count` well-spread frames of `video_path` and render them with `render_preview`."""
    wanted = set(preview_frame_indices(poses, count))
    frames = [frame for frame in iter_frames(video_path, max_frames=max(wanted) + 1) if frame.index in wanted]
    return render_preview(frames, poses)
