"""The tile fallback: finds small edge-cut hands the tracker misses, and stays off (costs nothing) otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vitra_core.hands.detect import HandDetection
from vitra_core.hands.settings import HandPoseSettings
from vitra_core.hands.tile_fallback import TileFallback, drop_isolated
from vitra_core.video.frames import iter_frames

SETTINGS = HandPoseSettings()
_SHAPE_PX = np.random.default_rng(0).uniform(0, 1, (21, 2))


def hand(x_px: float, y_px: float, size_px: float) -> HandDetection:
    return HandDetection(image_px=_SHAPE_PX * size_px + [x_px, y_px], world_m=np.zeros((21, 3)),
                         mediapipe_label="Left", mediapipe_score=0.9, right_prob=0.9)


def _counting_probes(fallback: TileFallback) -> list[int]:
    calls: list[int] = []
    probe = fallback._probe
    fallback._probe = lambda rgb: calls.append(1) or probe(rgb)
    return calls


@pytest.mark.parametrize("tracked", [[hand(100, 100, 120)], [hand(0, 0, 20), hand(300, 0, 20)]],
                         ids=["a large hand", "two hands"])
def test_fallback_stays_off_while_a_large_hand_or_two_hands_are_tracked(tracked) -> None:
    frame = np.zeros((400, 600, 3), np.uint8)
    with TileFallback(SETTINGS, mirrored=False) as fallback:
        calls = _counting_probes(fallback)
        for _ in range(20):
            assert fallback.detect(frame, tracked) == []  # 120 px >= 0.25 x 400
        assert calls == [] and fallback._hands is None  # no MediaPipe graph was even built


def test_fallback_probes_every_n_frames_while_it_finds_nothing() -> None:
    settings = HandPoseSettings(fallback_every_frames=4)
    frame = np.full((48, 64, 3), 128, np.uint8)
    with TileFallback(settings, mirrored=False) as fallback:
        calls = _counting_probes(fallback)
        probed = []
        for t in range(12):
            before = len(calls)
            fallback.detect(frame, [])
            probed.append(len(calls) > before)
    assert [t for t, done in enumerate(probed) if done] == [0, 4, 8]


def test_fallback_finds_the_container_hand_at_the_bottom_edge_in_frame_pixels(shared_data: Path) -> None:
    # Frame 40 of ego4d_cf7c12db.gif: the tracker finds nothing there; the hand holding the container is
    # bottom left (landmark centroid measured at x 67, y 236 of 384 x 288, 33 px across).
    gif = shared_data / "lavila" / "ego4d_cf7c12db.gif"
    frame = next(frame.rgb for t, frame in enumerate(iter_frames(gif)) if t == 40)
    with TileFallback(SETTINGS, mirrored=False) as fallback:
        found = fallback.detect(frame, [])
    assert len(found) == 1
    x_px, y_px = found[0].centroid_px
    assert 40 < x_px < 100 and 200 < y_px < 270, found[0].centroid_px
    assert 20 < found[0].size_px < 60
    assert np.isfinite(found[0].world_m).all() and np.abs(found[0].world_m).max() < 0.2  # metres, hand-centred


def test_a_one_frame_fallback_hand_is_dropped_and_a_persistent_one_kept() -> None:
    found = [[hand(100, 200, 40)], [hand(104, 198, 40), hand(300, 50, 30)], [hand(108, 196, 40)], []]
    kept = drop_isolated(found, [[], [], [], []], SETTINGS.max_link_distance_hands)
    assert [[tuple(h.centroid_px.round()) for h in hands] for hands in kept] == [
        [tuple(found[0][0].centroid_px.round())], [tuple(found[1][0].centroid_px.round())],
        [tuple(found[2][0].centroid_px.round())], [],
    ]


def test_a_fallback_hand_continued_by_a_tracked_hand_is_kept() -> None:
    kept = drop_isolated([[hand(100, 200, 40)], []], [[], [hand(110, 205, 40)]], SETTINGS.max_link_distance_hands)
    assert len(kept[0]) == 1
