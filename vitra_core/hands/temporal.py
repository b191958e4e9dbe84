"""Pure array operations over time: bridging short gaps in a track, interpolating, smoothing.

Every function works on one hand slot: arrays are [T, ...] with time first, and a track-id array
[T] (int, -1 where the slot is empty) says which frames belong to the same hand.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import savgol_filter


def _previous_and_next(present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each frame, the index of the nearest present frame at or before it (-1 if none) and at
    or after it (T if none)."""
    frames = np.arange(len(present))
    previous = np.maximum.accumulate(np.where(present, frames, -1))
    following = np.minimum.accumulate(np.where(present, frames, len(present))[::-1])[::-1]
    return previous, following


def bridge_gaps(track_ids: np.ndarray, max_gap_frames: int) -> np.ndarray:
    """[T] track ids with each gap of at most `max_gap_frames` frames, bounded on both sides by the
    same track, given that track's id; longer gaps, gaps between different hands and gaps at the
    ends of the clip stay empty (-1)."""
    present = track_ids >= 0
    previous, following = _previous_and_next(present)
    inside = (previous >= 0) & (following < len(track_ids))
    before = track_ids[np.clip(previous, 0, None)]
    after = track_ids[np.clip(following, None, len(track_ids) - 1)]
    bridged = ~present & inside & (before == after) & (following - previous - 1 <= max_gap_frames)
    return np.where(bridged, before, track_ids)


def interpolate_gaps(values: np.ndarray, known: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Copy of `values` [T, ...] whose `fill` frames are linearly interpolated between the nearest
    `known` frames on either side (every fill frame must have one on both sides)."""
    previous, following = _previous_and_next(known)
    frames = np.flatnonzero(fill)
    if frames.size and (previous[frames].min() < 0 or following[frames].max() >= len(known)):
        raise ValueError("interpolate_gaps: a frame to fill has no known frame on one side")
    before, after = previous[frames], following[frames]
    weight = ((frames - before) / (after - before)).reshape(-1, *([1] * (values.ndim - 1)))
    out = values.copy()
    out[frames] = (1 - weight) * values[before] + weight * values[after]
    return out


def smooth_tracks(values: np.ndarray, track_ids: np.ndarray, window_frames: int, polyorder: int) -> np.ndarray:
    """Centred Savitzky-Golay smoothing of `values` [T, ...] within each run of one track.

    A centred window has no lag, and scipy's `interp` edge mode fits the polynomial to the first and
    last windows instead of padding, so the ends of a run are not pulled toward zero or delayed.
    Runs shorter than the window get the largest odd window that fits; too short ones are left as is.
    """
    out = values.copy()
    if not len(track_ids):
        return out
    change = np.flatnonzero(np.diff(track_ids) != 0) + 1
    for start, stop in zip(np.r_[0, change], np.r_[change, len(track_ids)]):
        if track_ids[start] < 0:
            continue
        window = min(window_frames, stop - start - (stop - start + 1) % 2)
        if window > polyorder and window >= 3:
            out[start:stop] = savgol_filter(values[start:stop], window, polyorder, axis=0, mode="interp")
    return out
