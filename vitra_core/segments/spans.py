"""Where one hand can be segmented at all: runs of frames that show the same tracked hand.

A short absence (at most `max_gap_frames`) between two runs of the same track is bridged, so a hand
that blinks out for a few frames stays one span; a change of track always starts a new span, since
the slot then holds another hand (or the tracker lost it) and the wrist would jump.
"""

from __future__ import annotations

import numpy as np


def presence_spans(mask: np.ndarray, track_id: np.ndarray, max_gap_frames: int) -> list[tuple[int, int]]:
    """Half-open frame ranges [start, end) of one hand slot; mask [T] bool, track_id [T] int (-1 empty).

    Each span starts and ends on a present frame.
    """
    runs: list[list[int]] = []  # [start, end, track]
    t, num_frames = 0, len(mask)
    while t < num_frames:
        if not mask[t]:
            t += 1
            continue
        start, track = t, int(track_id[t])
        while t < num_frames and mask[t] and int(track_id[t]) == track:
            t += 1
        previous = runs[-1] if runs else None
        if previous is not None and previous[2] == track and start - previous[1] <= max_gap_frames:
            previous[1] = t
        else:
            runs.append([start, t, track])
    return [(start, end) for start, end, _ in runs]
