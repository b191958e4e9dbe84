"""Second look for hands the tracker misses: around a hand it just lost, and on zoomed tiles.

Re-acquisition: a tracked hand of the previous frame that no tracked hand continues is lost; for
`reacquire_frames` frames a static MediaPipe looks for it in a square around its last position
(`reacquire_roi_hands` hand sizes, upscaled to at least `fallback_tile_min_px`), whatever the size of
the other hands. A hand found there is followed the same way while the tracker does not take it back.
Only established hands (tracked `reacquire_after_frames` frames in a row) are chased: a brief false
hand (a lid the tracker held for four frames) is not.

Tiles: MediaPipe's palm detector letterboxes the whole frame to 192 x 192, so a hand 30-50 px across
in a 384 x 288 egocentric frame, cut off by the bottom edge, shrinks below what it finds
(`ego4d_cf7c12db.gif`: neither hand found in 50 frames). Three overlapping tiles, each half the
frame's width over its lower two thirds (where an egocentric camera sees the hands), upscaled to at
least `fallback_tile_min_px`, let it see them at twice the size. Cost is bounded: tiles run only while
the tracker reports fewer than two hands, none of them large (`fallback_below_hand_frac` of the
frame's short side: the hands are then at a scale the tracker finds), every `fallback_every_frames`
frames, and on every frame only while they keep finding hands the tracker does not have.
"""

from __future__ import annotations

from types import TracebackType
from typing import Sequence

import cv2
import mediapipe as mp
import numpy as np

from vitra_core.hands.detect import HandDetection, detections_from
from vitra_core.hands.settings import HandPoseSettings
from vitra_core.hands.tracking import box_iou

# (x0, y0, x1, y1) of each tile as fractions of the frame: half-width tiles at x 0, 1/4, 1/2 over the lower 2/3
TILES = ((0.0, 1 / 3, 0.5, 1.0), (0.25, 1 / 3, 0.75, 1.0), (0.5, 1 / 3, 1.0, 1.0))
# a tile's hand overlapping a tracked hand (or a better-scored tile hand) this much is that hand again
SAME_HAND_IOU = 0.2


class TileFallback:
    """Finds hands the tracking detector missed (around lost hands, on tiles); one per clip, frames in order."""

    def __init__(self, settings: HandPoseSettings, mirrored: bool):
        self._mirrored = mirrored
        self._settings = settings
        self._frames_to_probe = 0  # probe on the first frame it is allowed to
        self._misses = settings.fallback_every_frames  # probes in a row that found nothing
        self._hands = None  # MediaPipe graph, built on the first probe: most clips never need one
        self._tracked: list[tuple[HandDetection, int]] = []  # (tracked hand of the previous frame, frames in a row)
        self._lost: list[tuple[HandDetection, int, int]] = []  # (last sighting, frames seen, frames left to look)

    def __enter__(self) -> "TileFallback":
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._hands is not None:
            self._hands.close()

    def detect(self, rgb: np.ndarray, tracked: Sequence[HandDetection]) -> list[HandDetection]:
        """Hands in the [H, W, 3] RGB frame not among `tracked` (at most 2 - len(tracked)); [] when not due."""
        self._update_lost(tracked)
        found: list[HandDetection] = []
        if self._lost and len(tracked) < 2:
            found = self._new_hands(self._probe_lost(rgb), tracked)[: 2 - len(tracked)]
            self._lost = [self._follow(entry, found) for entry in self._lost]
        found += self._tiles_if_due(rgb, [*tracked, *found])
        self._tracked = [(hand, self._seen_frames(hand)) for hand in tracked]
        return found

    def _continues(self, before: HandDetection, after: HandDetection) -> bool:
        """The tracker's linking rule: centroid within `max_link_distance_hands` sizes of the earlier hand."""
        reach_px = self._settings.max_link_distance_hands * max(before.size_px, 1.0)
        return bool(np.linalg.norm(before.centroid_px - after.centroid_px) <= reach_px)

    def _seen_frames(self, hand: HandDetection) -> int:
        """Frames in a row the tracker has had this hand: one more than the tracked hand it continues."""
        return 1 + max((seen for other, seen in self._tracked if self._continues(other, hand)), default=0)

    def _follow(self, entry: tuple[HandDetection, int, int], found: Sequence[HandDetection]) -> tuple[HandDetection, int, int]:
        """A lost hand found again is looked for next around where it was found, for the full time again."""
        hand, seen, _ = entry
        again = [new for new in found if self._continues(hand, new)]
        return (again[0], seen, self._settings.reacquire_frames) if again else entry

    def _update_lost(self, tracked: Sequence[HandDetection]) -> None:
        """Start looking for each established tracked hand of the previous frame that no tracked hand continues.

        Established = tracked `reacquire_after_frames` frames in a row: a brief false hand is not chased.
        Hands the tiles found need no chasing: the tiles probe every frame while they find hands.
        """
        frames, established = self._settings.reacquire_frames, self._settings.reacquire_after_frames
        if not frames:
            return
        still = [(hand, seen, left - 1) for hand, seen, left in self._lost
                 if left > 1 and not any(self._continues(hand, now) for now in tracked)]
        newly = [(hand, seen, frames) for hand, seen in self._tracked
                 if seen >= established and not any(self._continues(hand, now) for now in tracked)]
        self._lost = newly + [entry for entry in still if not any(self._continues(entry[0], new) for new, _, _ in newly)]

    def _tiles_if_due(self, rgb: np.ndarray, tracked: Sequence[HandDetection]) -> list[HandDetection]:
        every = self._settings.fallback_every_frames
        large_px = self._settings.fallback_below_hand_frac * min(rgb.shape[:2])
        if not every or len(tracked) >= 2 or any(hand.size_px >= large_px for hand in tracked):
            return []
        if self._frames_to_probe > 0:
            self._frames_to_probe -= 1
            return []
        found = self._new_hands(self._probe(rgb), tracked)[: 2 - len(tracked)]
        self._misses = 0 if found else self._misses + 1
        self._frames_to_probe = 0 if self._misses < every else every - 1
        return found

    def _graph(self):
        if self._hands is None:
            self._hands = mp.solutions.hands.Hands(
                static_image_mode=True,
                max_num_hands=2,
                model_complexity=self._settings.model_complexity,
                min_detection_confidence=self._settings.fallback_detection_confidence,
                min_tracking_confidence=self._settings.min_tracking_confidence,
            )
        return self._hands

    def _probe_box(self, rgb: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> list[HandDetection]:
        """Every hand MediaPipe finds in the box [x0, x1) x [y0, y1) of the frame, upscaled, in frame pixels."""
        scale = max(1.0, self._settings.fallback_tile_min_px / max(x1 - x0, y1 - y0))
        crop = rgb[y0:y1, x0:x1]
        if scale > 1:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        crop = np.ascontiguousarray(crop)
        return detections_from(self._graph().process(crop), crop.shape[1], crop.shape[0], self._mirrored,
                               scale, (x0, y0))

    def _probe(self, rgb: np.ndarray) -> list[HandDetection]:
        """Every hand MediaPipe finds on the tiles, in frame pixels."""
        height, width = rgb.shape[:2]
        found = []
        for fx0, fy0, fx1, fy1 in TILES:
            found += self._probe_box(rgb, round(fx0 * width), round(fy0 * height), round(fx1 * width),
                                     round(fy1 * height))
        return found

    def _probe_lost(self, rgb: np.ndarray) -> list[HandDetection]:
        """Hands in a square of `reacquire_roi_hands` hand sizes around each lost hand's last sighting."""
        height, width = rgb.shape[:2]
        found = []
        for hand, _, _ in self._lost:
            side = int(min(max(self._settings.reacquire_roi_hands * hand.size_px, 32), width, height))
            cx, cy = hand.centroid_px
            x0 = int(np.clip(round(cx - side / 2), 0, width - side))
            y0 = int(np.clip(round(cy - side / 2), 0, height - side))
            found += self._probe_box(rgb, x0, y0, x0 + side, y0 + side)
        return found

    @staticmethod
    def _new_hands(found: list[HandDetection], tracked: Sequence[HandDetection]) -> list[HandDetection]:
        """Tile hands that are neither a tracked hand nor a better-scored tile hand seen twice."""
        kept: list[HandDetection] = []
        for hand in sorted(found, key=lambda hand: -hand.mediapipe_score):
            if all(box_iou(hand.image_px, other.image_px) < SAME_HAND_IOU for other in [*tracked, *kept]):
                kept.append(hand)
        return kept


def drop_isolated(
    found: Sequence[Sequence[HandDetection]], tracked: Sequence[Sequence[HandDetection]], max_link_distance_hands: float,
    min_run_frames: int = 2, max_gap_frames: int = 0,
) -> list[list[HandDetection]]:
    """`found` (fallback hands per frame) without those that neither the tracker confirms nor persist."""
    return persistent_hands(tracked, found, max_link_distance_hands, min_run_frames, 1, max_gap_frames)[1]


def persistent_hands(
    tracked: Sequence[Sequence[HandDetection]], found: Sequence[Sequence[HandDetection]], max_link_distance_hands: float,
    min_run_frames: int, tracked_min_run_frames: int, max_gap_frames: int,
) -> tuple[list[list[HandDetection]], list[list[HandDetection]]]:
    """(tracked, found) hands per frame without the flashes: real hands persist, false ones mostly flash.

    Hands (fallback or tracked) at most `max_gap_frames` missed frames apart are chained when the later one's
    centroid lies within `max_link_distance_hands` sizes of the earlier one: the tracker's own linking rule. A
    fallback hand is kept when its chain holds a tracked hand (it continues or precedes one) or has hands on
    `min_run_frames` frames; a tracked hand when its chain has hands on `tracked_min_run_frames` frames. A
    clip shorter than a minimum run (a photo is one frame) asks for all its frames instead.
    """
    min_run_frames, tracked_min_run_frames = (min(run, len(tracked)) for run in (min_run_frames, tracked_min_run_frames))
    nodes = [(t, hand, False) for t, hands in enumerate(found) for hand in hands]
    nodes += [(t, hand, True) for t, hands in enumerate(tracked) for hand in hands]
    parent = list(range(len(nodes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_frame: dict[int, list[int]] = {}
    for i, (t, _, _) in enumerate(nodes):
        by_frame.setdefault(t, []).append(i)
    for i, (t, hand, _) in enumerate(nodes):
        reach_px = max_link_distance_hands * max(hand.size_px, 1.0)
        for later in range(t + 1, t + max_gap_frames + 2):
            for j in by_frame.get(later, []):
                if np.linalg.norm(hand.centroid_px - nodes[j][1].centroid_px) <= reach_px:
                    parent[root(j)] = root(i)
    frames: dict[int, set[int]] = {}
    confirmed: set[int] = set()
    for i, (t, _, is_tracked) in enumerate(nodes):
        frames.setdefault(root(i), set()).add(t)
        if is_tracked:
            confirmed.add(root(i))
    kept_tracked: list[list[HandDetection]] = [[] for _ in tracked]
    kept_found: list[list[HandDetection]] = [[] for _ in found]
    for i, (t, hand, is_tracked) in enumerate(nodes):
        run = len(frames[root(i)])
        if is_tracked and run >= tracked_min_run_frames:
            kept_tracked[t].append(hand)
        elif not is_tracked and (root(i) in confirmed or run >= min_run_frames):
            kept_found[t].append(hand)
    return kept_tracked, kept_found
