"""Second look for small, edge-cut hands: static MediaPipe on zoomed tiles of the frame's lower part.

MediaPipe's palm detector letterboxes the whole frame to 192 x 192, so a hand 30-50 px across in a
384 x 288 egocentric frame, cut off by the bottom edge, shrinks below what it finds
(`ego4d_cf7c12db.gif`: neither hand found in 50 frames). Three overlapping tiles, each half the
frame's width over its lower two thirds (where an egocentric camera sees the hands), upscaled to at
least `fallback_tile_min_px`, let it see them at twice the size. Cost is bounded: it runs only while
the tracker reports fewer than two hands, none of them large (`fallback_below_hand_frac` of the
frame's short side: the hands are then at a scale the tracker finds), every `fallback_every_frames`
frames, and on every frame only while it keeps finding hands the tracker does not have.
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
    """Finds hands on zoomed tiles that the tracking detector missed; use one per clip, frames in order."""

    def __init__(self, settings: HandPoseSettings, mirrored: bool):
        self._mirrored = mirrored
        self._settings = settings
        self._frames_to_probe = 0  # probe on the first frame it is allowed to
        self._misses = settings.fallback_every_frames  # probes in a row that found nothing
        self._hands = None  # MediaPipe graph, built on the first probe: most clips never need one

    def __enter__(self) -> "TileFallback":
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._hands is not None:
            self._hands.close()

    def detect(self, rgb: np.ndarray, tracked: Sequence[HandDetection]) -> list[HandDetection]:
        """Hands in the [H, W, 3] RGB frame not among `tracked` (at most 2 - len(tracked)); [] when not due."""
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

    def _probe(self, rgb: np.ndarray) -> list[HandDetection]:
        """Every hand MediaPipe finds on the tiles, in frame pixels."""
        if self._hands is None:
            self._hands = mp.solutions.hands.Hands(
                static_image_mode=True,
                max_num_hands=2,
                model_complexity=self._settings.model_complexity,
                min_detection_confidence=self._settings.fallback_detection_confidence,
                min_tracking_confidence=self._settings.min_tracking_confidence,
            )
        height, width = rgb.shape[:2]
        found = []
        for fx0, fy0, fx1, fy1 in TILES:
            x0, y0, x1, y1 = round(fx0 * width), round(fy0 * height), round(fx1 * width), round(fy1 * height)
            scale = max(1.0, self._settings.fallback_tile_min_px / max(x1 - x0, y1 - y0))
            tile = rgb[y0:y1, x0:x1]
            if scale > 1:
                tile = cv2.resize(tile, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
            tile = np.ascontiguousarray(tile)
            found += detections_from(self._hands.process(tile), tile.shape[1], tile.shape[0], self._mirrored,
                                     scale, (x0, y0))
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
    found: Sequence[Sequence[HandDetection]], tracked: Sequence[Sequence[HandDetection]], max_link_distance_hands: float
) -> list[list[HandDetection]]:
    """`found` (fallback hands per frame) without those that no hand of the previous or next frame continues.

    A real hand persists from frame to frame; the fallback's false hands (e.g. a toaster's knob at a low
    threshold) mostly flash for one frame. Continuing = centroid within `max_link_distance_hands` hand sizes,
    the tracker's own linking rule.
    """
    def continued(hand: HandDetection, t: int) -> bool:
        neighbours = [other for s in (t - 1, t + 1) if 0 <= s < len(found) for other in [*found[s], *tracked[s]]]
        reach_px = max_link_distance_hands * max(hand.size_px, 1.0)
        return any(np.linalg.norm(hand.centroid_px - other.centroid_px) <= reach_px for other in neighbours)

    return [[hand for hand in hands if continued(hand, t)] for t, hands in enumerate(found)]
