"""The wrist's smoothed 3D trajectory and speed within one span of a hand.

Speed is what the cutting works on (VITRA's atomic actions end where the hand slows down), so it is
taken from the wrist translation in camera space, smoothed with a Gaussian of `sigma_s` seconds to
keep per-frame depth noise from creating minima. Absent frames inside a span are filled by linear
interpolation before smoothing; callers keep track of which frames were really present.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d


@dataclass(frozen=True)
class WristMotion:
    """One span's wrist motion; N = frames of the span.

    position_m [N, 3]: smoothed wrist position (camera frame, metres), gaps filled.
    speed_mps [N]: |d position / dt| of the smoothed trajectory.
    present [N]: the hand was present (mask) on that frame.
    """

    position_m: np.ndarray
    speed_mps: np.ndarray
    present: np.ndarray



def path_length_m(position_m: np.ndarray) -> float:
    """Length of a trajectory [N, 3]: the sum of its frame-to-frame steps (0 for fewer than two frames)."""
    if len(position_m) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(position_m, axis=0), axis=1).sum())

def fill_gaps(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """values [N, ...] with the rows where `present` is False replaced by linear interpolation over time
    (held constant before the first / after the last present row)."""
    if present.all():
        return values.copy()
    if not present.any():
        raise ValueError("cannot fill gaps in a span without a present frame")
    flat = values.reshape(len(values), -1)
    known = np.flatnonzero(present)
    frames = np.arange(len(values))
    filled = np.stack([np.interp(frames, known, flat[known, k]) for k in range(flat.shape[1])], axis=1)
    return filled.reshape(values.shape)


def wrist_motion(wrist_m: np.ndarray, present: np.ndarray, timestamps_s: np.ndarray, sigma_s: float) -> WristMotion:
    """Smoothed trajectory and speed of one span; wrist_m [N, 3] (NaN where absent), present [N], timestamps_s [N]."""
    position = fill_gaps(wrist_m, present)
    num_frames = len(position)
    if num_frames > 1 and sigma_s > 0:
        step_s = float(np.median(np.diff(timestamps_s)))
        position = gaussian_filter1d(position, sigma=sigma_s / step_s, axis=0, mode="nearest")
    if num_frames < 2:
        return WristMotion(position, np.zeros(num_frames), present.copy())
    velocity = np.gradient(position, timestamps_s, axis=0)
    return WristMotion(position, np.linalg.norm(velocity, axis=1), present.copy())
