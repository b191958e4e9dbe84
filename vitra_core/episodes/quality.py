"""Per-episode quality: the share of an episode's frames whose lead-hand measurement can be trusted.

A frame counts as good when all four hold (each a physical statement, not a tuned number):
- detected: MediaPipe found the lead hand there (not gap-filled);
- camera measured: the camera-motion stage measured the motion into that frame (else its pose is held,
  and camera compensation there is a guess);
- plausible acceleration: the wrist's world-frame acceleration is below `max_accel_mps2` (50 m/s^2;
  fast human reaching peaks at 10-30 m/s^2, so more than that is a tracking or lifting glitch);
- consistent depth: the wrist depth is within `max_depth_dev_frac` (20%) of the episode's running-median
  depth trend (a hand does not jump 20% nearer or farther within a few frames).
`score` = good frames / frames. Episodes under the configured floor are kept out of the dataset and
listed, with their scores, in the source's record (meta/vitra/sources/<id>.json `excluded`).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.ndimage import median_filter


class QualitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_score: float = Field(0.5, ge=0, le=1, description="episodes with fewer good frames than this share are "
                                                           "kept out of training (recorded, not silently dropped)")
    max_accel_mps2: float = Field(50.0, gt=0, description="wrist acceleration above it is a glitch, not a hand")
    max_depth_dev_frac: float = Field(0.2, gt=0, description="depth further than this from its trend is a glitch")
    depth_trend_s: float = Field(0.5, gt=0, description="window of the running-median depth trend")


class EpisodeQuality(BaseModel):
    """Shares of the episode's frames (0..1); `score` is the share that passes every check."""

    score: float
    detected: float
    camera_measured: float
    plausible_accel: float
    consistent_depth: float


def episode_quality(detected: np.ndarray, camera_valid: np.ndarray, wrist_world_m: np.ndarray, wrist_depth_m: np.ndarray,
                    fps: float, settings: QualitySettings) -> EpisodeQuality:
    """Quality of one episode from its lead hand: detected [T] bool, camera_valid [T] bool, wrist in the
    world frame [T, 3] and its camera depth [T] (metres, NaN where absent)."""
    frames = len(detected)
    accel_ok = np.ones(frames, bool)
    if frames >= 3:
        accel = np.linalg.norm(wrist_world_m[2:] - 2 * wrist_world_m[1:-1] + wrist_world_m[:-2], axis=1) * fps**2
        glitch = ~(accel < settings.max_accel_mps2)  # NaN (a neighbour absent) is no evidence of a glitch
        glitch &= np.isfinite(accel)
        accel_ok[1:-1] = ~glitch
    depth_ok = np.zeros(frames, bool)
    present = np.isfinite(wrist_depth_m)
    if present.any():
        filled = np.interp(np.arange(frames), np.flatnonzero(present), wrist_depth_m[present])
        window = max(1, int(round(settings.depth_trend_s * fps)) | 1)
        trend = median_filter(filled, size=window, mode="nearest")
        depth_ok = present & (np.abs(filled - trend) <= settings.max_depth_dev_frac * trend)
    good = detected & camera_valid & accel_ok & depth_ok
    share = (lambda values: float(values.mean()) if frames else 0.0)
    return EpisodeQuality(score=share(good), detected=share(detected), camera_measured=share(camera_valid),
                          plausible_accel=share(accel_ok), consistent_depth=share(depth_ok))
