"""Cut one span of wrist speed into atomic actions at its local speed minima (VITRA's segmentation idea).

Steps, all on frame indices relative to the span (boundaries are half-open [start, end)):
1. cut at every interior local minimum of the speed whose prominence is at least `min_prominence_mps`;
2. merge each piece shorter than `min_frames` into the neighbour across its weaker cut (the boundary
   with the higher speed), shortest piece first, until every piece is long enough or one piece is left;
3. split each piece longer than `max_frames` at its deepest interior local minimum (any prominence)
   that leaves both halves at least `min_frames` long (the slowest such frame if there is no minimum),
   recursively;
4. a span that stays shorter than `min_frames` gives no piece.
Because `max_frames >= 2 min_frames`, step 3 always finds a split, so every piece returned lasts
min_frames..max_frames.
"""

from __future__ import annotations

import numpy as np


def prominent_minima(speed_mps: np.ndarray, min_prominence_mps: float) -> np.ndarray:
    """Interior frames where the speed [N] has a local minimum at least this prominent (plateaus: the middle)."""
    if len(speed_mps) < 3:
        return np.zeros(0, dtype=int)
    from scipy.signal import find_peaks  # scipy.signal costs ~0.5 s to import; only when segmenting

    minima, _ = find_peaks(-speed_mps, prominence=max(min_prominence_mps, 1e-12))
    return minima


def _merge_short(boundaries: list[int], speed_mps: np.ndarray, min_frames: int) -> list[int]:
    boundaries = list(boundaries)
    while len(boundaries) > 2:
        lengths = np.diff(boundaries)
        shortest = int(np.argmin(lengths))
        if lengths[shortest] >= min_frames:
            break
        left_cut, right_cut = shortest, shortest + 1  # indices into boundaries
        if left_cut == 0:
            drop = right_cut
        elif right_cut == len(boundaries) - 1:
            drop = left_cut
        else:
            drop = left_cut if speed_mps[boundaries[left_cut]] >= speed_mps[boundaries[right_cut]] else right_cut
        del boundaries[drop]
    return boundaries


def _split_long(start: int, end: int, speed_mps: np.ndarray, min_frames: int, max_frames: int) -> list[int]:
    """Interior boundaries that cut [start, end) into pieces of min_frames..max_frames."""
    if end - start <= max_frames:
        return []
    lo, hi = start + min_frames, end - min_frames  # allowed split frames, inclusive
    inner = np.pad(speed_mps, 1, mode="edge")[lo:hi + 3]  # speed at frames lo - 1 .. hi + 1
    is_minimum = (inner[1:-1] <= inner[:-2]) & (inner[1:-1] <= inner[2:])
    candidates = np.arange(lo, hi + 1)
    if is_minimum.any():
        candidates = candidates[is_minimum]
    cut = int(candidates[np.argmin(speed_mps[candidates])])
    return (_split_long(start, cut, speed_mps, min_frames, max_frames) + [cut]
            + _split_long(cut, end, speed_mps, min_frames, max_frames))


def cut_at_speed_minima(
    speed_mps: np.ndarray, min_frames: int, max_frames: int, min_prominence_mps: float
) -> list[tuple[int, int]]:
    """Pieces [start, end) of a span whose speed is `speed_mps` [N]; each lasts min_frames..max_frames."""
    if max_frames < 2 * min_frames:
        raise ValueError(f"max_frames {max_frames} < 2 x min_frames {min_frames}: long spans could not be split")
    num_frames = len(speed_mps)
    if num_frames < min_frames:
        return []
    cuts = prominent_minima(speed_mps, min_prominence_mps)
    boundaries = _merge_short([0, *cuts.tolist(), num_frames], speed_mps, min_frames)
    final = [0]
    for start, end in zip(boundaries[:-1], boundaries[1:]):
        final += _split_long(start, end, speed_mps, min_frames, max_frames) + [end]
    return [(start, end) for start, end in zip(final[:-1], final[1:])]
