"""Hand identity across frames and the two-slot (left, right) layout.

MediaPipe's per-frame handedness flickers and its output order is not stable, so hands are first
linked into tracks by image proximity, and each track takes the side its detections vote for
(mean right-probability). A frame can still hold two tracks of the same side (two left hands, or one
mislabelled hand): the track with the more certain vote keeps the slot; the other moves to the free
slot only when its own vote is ambiguous, and is otherwise left out (counted in `num_detected`).
In tracking mode MediaPipe occasionally reports one hand twice; such duplicates are dropped first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from vitra_core.hands.detect import HandDetection
from vitra_core.hands.settings import HandPoseSettings
from vitra_core.hands.skeleton import LEFT, NUM_HANDS, RIGHT


@dataclass(frozen=True)
class SlotAssignment:
    """Which detection fills each slot.

    detection_index [T, 2]: index into that frame's detection list, -1 for an empty slot.
    track_id [T, 2]: the hand's identity, stable across frames, -1 for an empty slot.
    num_detected [T]: hands MediaPipe found in the frame, including any left out of both slots.
    """

    detection_index: np.ndarray
    track_id: np.ndarray
    num_detected: np.ndarray


def box_iou(a_px: np.ndarray, b_px: np.ndarray) -> float:
    """Intersection over union of the bounding boxes of two [21, 2] landmark sets."""
    overlap = np.prod(np.clip(np.minimum(a_px.max(0), b_px.max(0)) - np.maximum(a_px.min(0), b_px.min(0)), 0, None))
    areas = np.prod(a_px.max(0) - a_px.min(0)) + np.prod(b_px.max(0) - b_px.min(0))
    return float(overlap / max(areas - overlap, 1e-9))


def _duplicates(found: Sequence[HandDetection], duplicate_iou: float) -> np.ndarray:
    """[n] True for each detection whose landmark box overlaps a higher-scored one's by `duplicate_iou`."""
    dropped = np.zeros(len(found), dtype=bool)
    order = sorted(range(len(found)), key=lambda i: -found[i].mediapipe_score)
    for rank, i in enumerate(order):
        if dropped[i]:
            continue
        for j in order[rank + 1:]:
            dropped[j] |= box_iou(found[i].image_px, found[j].image_px) >= duplicate_iou
    return dropped


def link_tracks(detections: Sequence[Sequence[HandDetection]], settings: HandPoseSettings) -> list[np.ndarray]:
    """Track id of every detection (one int array per frame; -1 for a dropped duplicate).

    Live tracks are matched to the frame's detections by centroid distance in hand sizes (Hungarian);
    a track continues through up to `max_gap_frames` missed frames, and a detection further than
    `max_link_distance_hands` from every live track starts a new one.
    """
    ends: list[HandDetection] = []  # latest detection of each track
    end_frames: list[int] = []
    frame_ids = []
    for t, found in enumerate(detections):
        ids = np.full(len(found), -1)
        kept = np.flatnonzero(~_duplicates(found, settings.duplicate_iou))
        alive = [k for k, seen in enumerate(end_frames) if t - seen <= settings.max_gap_frames + 1]
        if alive and kept.size:
            centroids = np.stack([found[i].centroid_px for i in kept])
            gaps = np.linalg.norm(np.stack([ends[k].centroid_px for k in alive])[:, None] - centroids[None], axis=2)
            cost = gaps / np.maximum([ends[k].size_px for k in alive], 1.0)[:, None]
            for row, col in zip(*linear_sum_assignment(cost)):
                if cost[row, col] <= settings.max_link_distance_hands:
                    ids[kept[col]] = alive[row]
        for i in kept:
            if ids[i] < 0:
                ids[i] = len(ends)
                ends.append(found[i])
                end_frames.append(t)
            else:
                ends[ids[i]], end_frames[ids[i]] = found[i], t
        frame_ids.append(ids)
    return frame_ids


def _track_right_prob(detections: Sequence[Sequence[HandDetection]], frame_ids: list[np.ndarray]) -> np.ndarray:
    """[num_tracks] mean right-probability of each track's detections."""
    ids = np.concatenate([np.zeros(0, int), *frame_ids])
    probs = np.array([d.right_prob for found in detections for d in found])
    probs, ids = probs[ids >= 0], ids[ids >= 0]
    num_tracks = int(ids.max()) + 1 if ids.size else 0
    return np.bincount(ids, probs, num_tracks) / np.maximum(np.bincount(ids, minlength=num_tracks), 1)


def assign_slots(detections: Sequence[Sequence[HandDetection]], settings: HandPoseSettings) -> SlotAssignment:
    """Put each frame's hands into the left (0) and right (1) slots by their track's side."""
    frame_ids = link_tracks(detections, settings)
    right_prob = _track_right_prob(detections, frame_ids)
    certainty = np.abs(2 * right_prob - 1)
    detection_index = np.full((len(detections), NUM_HANDS), -1)
    track_id = np.full_like(detection_index, -1)
    for t, ids in enumerate(frame_ids):
        for i in sorted(np.flatnonzero(ids >= 0), key=lambda i: -certainty[ids[i]]):
            preferred = RIGHT if right_prob[ids[i]] >= 0.5 else LEFT
            allowed = [preferred, 1 - preferred] if certainty[ids[i]] < settings.ambiguous_handedness else [preferred]
            free = [slot for slot in allowed if detection_index[t, slot] < 0]
            if free:
                detection_index[t, free[0]], track_id[t, free[0]] = i, ids[i]
    num_detected = np.array([len(found) for found in detections], dtype=int)
    return SlotAssignment(detection_index, track_id, num_detected)
