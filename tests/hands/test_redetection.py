"""Re-detection: lost hands are looked for again, flashes are dropped; counted against plain MediaPipe tracking.

Baseline = mp.solutions.hands in tracking mode, max_num_hands=2, model_complexity=1, palm threshold 0.3, with two
boxes of one frame overlapping by IoU >= 0.5 counted once (one hand reported twice; all 8 such pairs on the
sample clips were checked by eye). Table and method: docs/hand_poses.md, "Re-detection";
`benchmarks/hand_redetection.py` prints it.
"""

from __future__ import annotations

from pathlib import Path

import mediapipe as mp
import numpy as np
import pytest

from vitra_core.hands import HandPoses, HandPoseSettings, extract_hand_poses
from vitra_core.hands.detect import HandDetection, detections_from
from vitra_core.hands.tile_fallback import TileFallback, persistent_hands
from vitra_core.hands.tracking import _duplicates
from vitra_core.video.frames import iter_frames

SETTINGS = HandPoseSettings()
_SHAPE_PX = np.random.default_rng(1).uniform(0, 1, (21, 2))


def hand(x_px: float, y_px: float, size_px: float = 40) -> HandDetection:
    return HandDetection(image_px=_SHAPE_PX * size_px + [x_px, y_px], world_m=np.zeros((21, 3)),
                         mediapipe_label="Left", mediapipe_score=0.9, right_prob=0.9)


def baseline_hand_counts(clip: Path) -> np.ndarray:
    """[T] distinct hands plain MediaPipe tracking (palm threshold 0.3) reports per frame."""
    counts = []
    with mp.solutions.hands.Hands(static_image_mode=False, max_num_hands=2, model_complexity=1,
                                  min_detection_confidence=0.3) as hands:
        for frame in iter_frames(clip):
            found = detections_from(hands.process(frame.rgb), frame.rgb.shape[1], frame.rgb.shape[0], False)
            counts.append(int((~_duplicates(found, SETTINGS.duplicate_iou)).sum()))
    return np.array(counts)


def _recording_boxes(fallback: TileFallback) -> list[tuple[int, int, int, int]]:
    boxes: list[tuple[int, int, int, int]] = []
    fallback._probe_box = lambda rgb, x0, y0, x1, y1: boxes.append((x0, y0, x1, y1)) or []
    return boxes


def test_a_lost_established_hand_is_looked_for_around_its_last_position_for_a_while() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    with TileFallback(HandPoseSettings(fallback_every_frames=0), mirrored=False) as fallback:
        boxes = _recording_boxes(fallback)
        for _ in range(SETTINGS.reacquire_after_frames):
            fallback.detect(frame, [hand(400, 300, 100)])  # a large hand: the tiles stay off
        assert boxes == []
        for _ in range(SETTINGS.reacquire_frames + 3):
            fallback.detect(frame, [])
    assert len(boxes) == SETTINGS.reacquire_frames
    x0, y0, x1, y1 = boxes[0]
    centre = hand(400, 300, 100).centroid_px
    assert x0 < centre[0] < x1 and y0 < centre[1] < y1
    assert x1 - x0 == y1 - y0 == int(SETTINGS.reacquire_roi_hands * hand(400, 300, 100).size_px)


def test_a_briefly_tracked_hand_is_not_chased() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    with TileFallback(HandPoseSettings(fallback_every_frames=0), mirrored=False) as fallback:
        boxes = _recording_boxes(fallback)
        for _ in range(SETTINGS.reacquire_after_frames - 1):
            fallback.detect(frame, [hand(400, 300, 100)])
        for _ in range(5):
            fallback.detect(frame, [])
    assert boxes == []


def test_a_one_frame_tracked_hand_is_a_flash_and_a_two_frame_one_is_kept() -> None:
    tracked = [[hand(100, 100)], [], [hand(300, 300)], [hand(302, 301)], []]
    kept, _ = persistent_hands(tracked, [[] for _ in tracked], 1.0, 5, 2, max_gap_frames=0)
    assert [len(hands) for hands in kept] == [0, 0, 1, 1, 0]


def test_a_fallback_only_hand_must_persist_unless_a_tracked_hand_continues_it() -> None:
    found = [[hand(100, 100)], [hand(101, 100)], [hand(102, 100)], [hand(300, 300)], []]
    tracked = [[], [], [], [], [hand(301, 300)]]
    _, kept = persistent_hands(tracked, found, 1.0, 5, 1, max_gap_frames=0)
    assert [len(hands) for hands in kept] == [0, 0, 0, 1, 0]  # 3 frames alone: dropped; continued by the tracker: kept


def test_a_photo_keeps_its_hands(shared_data: Path) -> None:
    poses = extract_hand_poses(shared_data / "tfjs" / "hands.jpg")
    assert poses.detected.sum() == 1 and poses.num_detected.tolist() == [2]


def test_the_stirring_hand_is_found_again_where_plain_tracking_loses_it(shared_data: Path, cooking_poses: HandPoses) -> None:
    # Measured: baseline 110 distinct hands in 60 frames; the stage 118, every baseline hand among them; the
    # stirring hand (top right) is re-acquired on frames 26, 28, 29, 47, 48, 50-52 (checked by eye).
    baseline = baseline_hand_counts(shared_data / "lavila" / "ego4d_3c0dffd0_012_014.mp4")
    detected = cooking_poses.detected
    assert detected.sum() >= baseline.sum() + 5, (detected.sum(), baseline.sum())
    assert (detected.sum(axis=1) >= baseline).all()
    x_px = cooking_poses.joints_2d[:, :, :, 0].mean(axis=2)
    with np.errstate(invalid="ignore"):
        stirring = (detected & (x_px > cooking_poses.intrinsics.width / 2)).any(axis=1)
    assert stirring[[47, 48, 50, 51, 52]].all()


def test_the_hand_leaving_the_cabinet_is_followed_to_the_frame_edge(shared_data: Path) -> None:
    # egopat3d_video1 (head-mounted, 32 frames): plain tracking has the hand in 29 frames and loses it at frame
    # 28 as it leaves through the right edge; the zoomed look finds it on frames 28 and 29 (checked by eye).
    clip = shared_data / "egoloc" / "egopat3d_video1.mp4"
    poses = extract_hand_poses(clip)
    baseline = baseline_hand_counts(clip)
    assert baseline.sum() == 29 and not baseline[28:30].any()
    assert poses.detected.any(axis=1)[28:30].all() and poses.detected.sum() >= 31


ONE_FRAME_BASELINE_HAND = {  # a real hand plain tracking sees once, no hand within 5 frames: a flash to the filter
    "lavila/mixkit-chef-preparing-a-sauce-in-a-blender-43034-medium.gif": 16,
}
OTHER_CLIPS = [
    "tfjs/asl_hand.25fps.mp4", "mediapipe_samples/hl_test_video.mp4", "lavila/ego4d_3c0dffd0_012_014.mp4",
    "lavila/ego4d_cf7c12db.gif", "lavila/mixkit-hands-of-a-baker-kneading-a-dough-42467-medium.gif",
    "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif", "egoloc/egopat3d_video1.mp4",
    "egoloc/egopat3d_video2.mp4", "egoloc/egopat3d_rgb.mp4", "video_to_data/human-web.mp4",
]


@pytest.mark.slow
@pytest.mark.parametrize("relpath", OTHER_CLIPS)
def test_at_least_as_many_hand_frames_as_plain_tracking(shared_data: Path, relpath: str) -> None:
    clip = shared_data / relpath
    assert extract_hand_poses(clip).detected.sum() >= baseline_hand_counts(clip).sum()


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="the flash filter drops a real one-frame hand plain tracking has")
@pytest.mark.parametrize("relpath", sorted(ONE_FRAME_BASELINE_HAND))
def test_at_least_as_many_hand_frames_as_plain_tracking_where_it_sees_a_hand_once(shared_data: Path, relpath: str) -> None:
    # One short (52 of 53). With `tracked_min_run_frames=1` all 11 clips reach the baseline; the
    # default 2 drops single-frame tracker hands because at a 0.3 palm threshold the tracker reports a shelf
    # package as a hand for one frame on a real clip without hands (tests/hands/test_real_clips.py).
    clip = shared_data / relpath
    assert extract_hand_poses(clip).detected.sum() >= baseline_hand_counts(clip).sum()
