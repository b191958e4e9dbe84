"""Background feature tracks: Shi-Tomasi corners followed by pyramidal Lucas-Kanade optical flow.

Each track has an id; a track ends when its flow fails, its forward-backward round trip misses by more
than `fb_max_error_px`, it leaves the image or it enters a hand mask. New corners are seeded (away from
live tracks and hands) whenever fewer than `reseed_below_frac` of `max_features` survive. Correspondences
between any two frames are the ids alive in both, which lets a pair span several frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import cv2
import numpy as np

from vitra_core.camera.settings import CameraMotionSettings

_LK = dict(winSize=(21, 21), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
_QUALITY_LEVEL = 0.01


@dataclass
class FeatureTracks:
    """Per frame t: ids[t] [N_t] int and points[t] [N_t, 2] float (pixels) of the tracks alive there."""

    width: int
    height: int
    ids: list[np.ndarray] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return len(self.ids)

    def correspondences(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """([M, 2], [M, 2]) positions in frames a and b of the tracks alive in both."""
        _, ia, ib = np.intersect1d(self.ids[a], self.ids[b], assume_unique=True, return_indices=True)
        return self.points[a][ia], self.points[b][ib]


def _seed(gray: np.ndarray, blocked: np.ndarray, existing: np.ndarray, count: int, spacing: float) -> np.ndarray:
    """Up to `count` new corners [K, 2] outside `blocked` and at least `spacing` px from `existing`."""
    allowed = (~blocked).astype(np.uint8) * 255
    for x, y in np.round(existing).astype(int):
        cv2.circle(allowed, (int(x), int(y)), int(spacing), 0, -1)
    corners = cv2.goodFeaturesToTrack(gray, maxCorners=count, qualityLevel=_QUALITY_LEVEL,
                                      minDistance=spacing, mask=allowed)
    return np.empty((0, 2), np.float32) if corners is None else corners.reshape(-1, 2).astype(np.float32)


def track_features(
    grays: Iterable[np.ndarray], mask_of: Callable[[int, int, int], np.ndarray | None],
    settings: CameraMotionSettings,
) -> FeatureTracks:
    """Tracks over `grays` (uint8 [H, W] frames in order); `mask_of(t, width, height)` is frame t's hand
    mask [H, W] bool, or None where nothing is masked."""
    tracks: FeatureTracks | None = None
    prev_gray: np.ndarray | None = None
    ids = np.empty(0, np.int64)
    points = np.empty((0, 2), np.float32)
    next_id = 0
    for t, gray in enumerate(grays):
        height, width = gray.shape
        if tracks is None:
            tracks = FeatureTracks(width, height)
        blocked = mask_of(t, width, height)
        if blocked is None:
            blocked = np.zeros((height, width), bool)
        if prev_gray is not None and len(points):
            forward, ok, _ = cv2.calcOpticalFlowPyrLK(prev_gray, gray, points.reshape(-1, 1, 2), None, **_LK)
            back, ok_back, _ = cv2.calcOpticalFlowPyrLK(gray, prev_gray, forward, None, **_LK)
            forward, back = forward.reshape(-1, 2), back.reshape(-1, 2)
            keep = (ok.ravel() == 1) & (ok_back.ravel() == 1)
            keep &= np.linalg.norm(back - points, axis=1) <= settings.fb_max_error_px
            keep &= (forward[:, 0] >= 0) & (forward[:, 0] <= width - 1) & (forward[:, 1] >= 0) & (forward[:, 1] <= height - 1)
            inside = np.clip(np.round(forward).astype(int), 0, [width - 1, height - 1])
            keep &= ~blocked[inside[:, 1], inside[:, 0]]
            ids, points = ids[keep], forward[keep].astype(np.float32)
        if len(points) < settings.reseed_below_frac * settings.max_features:
            new = _seed(gray, blocked, points, settings.max_features - len(points), settings.min_feature_distance_px)
            ids = np.concatenate([ids, np.arange(next_id, next_id + len(new))])
            points = np.concatenate([points, new])
            next_id += len(new)
        tracks.ids.append(ids.copy())
        tracks.points.append(points.copy())
        prev_gray = gray
    if tracks is None:
        raise ValueError("track_features got no frames")
    return tracks
