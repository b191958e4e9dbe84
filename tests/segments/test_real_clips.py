"""Properties of the segments of every real sample clip (the content of each clip is not asserted)."""

from __future__ import annotations

import pytest

from vitra_core.hands import HandPoses
from vitra_core.segments import PRIMITIVES, SegmentSettings, segment_hand_poses


def test_every_sample_clip_is_found(clip_poses: dict[str, HandPoses]) -> None:
    assert len(clip_poses) == 11
    assert {"asl_hand.25fps.mp4", "hl_test_video.mp4", "ego4d_3c0dffd0_012_014.mp4", "egopat3d_video1.mp4",
            "egopat3d_video2.mp4", "egopat3d_rgb.mp4", "human-web.mp4"} <= set(clip_poses)


@pytest.mark.parametrize("settings", [SegmentSettings(), SegmentSettings(min_segment_s=0.3, max_segment_s=1.0)],
                         ids=["default", "short"])
def test_segments_respect_bounds_stay_inside_the_clip_and_never_overlap(
    clip_poses: dict[str, HandPoses], settings: SegmentSettings
) -> None:
    total = 0
    for name, poses in clip_poses.items():
        result = segment_hand_poses(poses, settings, video_id=name)
        half_frame = 0.5 / poses.fps
        for segment in result.segments:
            assert 0 <= segment.start_frame < segment.end_frame <= poses.num_frames, name
            assert settings.min_segment_s - half_frame <= segment.quality.duration_s, (name, segment)
            assert segment.quality.duration_s <= settings.max_segment_s + half_frame, (name, segment)
            assert segment.quality.visible_fraction >= settings.min_visible_fraction
            assert segment.quality.path_length_m >= settings.min_path_length_m
            assert segment.primitives and set(segment.primitives) <= set(PRIMITIVES)
            assert poses.mask[segment.start_frame, segment.hand_index], "a segment starts on a frame showing its hand"
        for hand in ("left", "right"):
            mine = result.for_hand(hand)
            assert all(a.end_frame <= b.start_frame for a, b in zip(mine, mine[1:])), (name, hand)
        total += len(result.segments)
    assert total >= 20  # the clips with hands give segments (39 with the defaults when written)


def test_clips_with_a_moving_hand_give_segments_of_that_hand(clip_poses: dict[str, HandPoses]) -> None:
    asl = segment_hand_poses(clip_poses["asl_hand.25fps.mp4"])
    assert {s.hand for s in asl.segments} == {"right"} and len(asl.segments) >= 6
    cooking = segment_hand_poses(clip_poses["ego4d_3c0dffd0_012_014.mp4"])
    assert {s.hand for s in cooking.segments} == {"left", "right"}


def test_the_hand_lifting_a_container_in_a_downward_looking_clip_gets_a_lift(lifting_clip_poses: HandPoses) -> None:
    # the hand holding the container is below the image centre and turns while lifting, so its size-prior
    # depth swings by ~0.6 m; judged in camera space that depth change read as `lower` (image-up: see primitives.py)
    poses = lifting_clip_poses
    holder = int(poses.detected[25:50].sum(axis=0).argmax())
    segments = segment_hand_poses(poses).for_hand("left" if holder == 0 else "right")
    assert any("lift" in s.primitives for s in segments), [(s.start_frame, s.end_frame, s.primitives) for s in segments]
