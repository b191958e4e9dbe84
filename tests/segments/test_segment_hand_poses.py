"""segment_hand_poses on synthetic clips: cuts, filters, bounds, file round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from tests.segments.synthetic import bell_path, chain, hand_state, make_poses
from vitra_core.segments import (
    Segment, SegmentQuality, SegmentSettings, SegmentsFileError, VideoSegments, segment_hand_poses,
)

A, B, C = np.array([0.0, 0.0, 0.5]), np.array([0.2, 0.0, 0.5]), np.array([0.2, -0.15, 0.5])


def two_moves(num_frames_each: int = 30) -> np.ndarray:
    return chain(bell_path(A, B, num_frames_each), bell_path(B, C, num_frames_each))


def test_two_moves_of_one_hand_are_two_segments_cut_at_the_pause() -> None:
    wrist = two_moves()
    poses = make_poses({1: hand_state(wrist, np.full(len(wrist), 0.2))})
    result = segment_hand_poses(poses, video_id="vid")
    assert [(s.hand, s.start_frame, s.end_frame) for s in result.segments] == [("right", 0, 29), ("right", 29, 59)]
    first = result.segments[0]
    assert first.start_s == 0.0 and first.end_s == pytest.approx(29 / 25)
    assert first.quality.duration_s == pytest.approx(29 / 25)
    assert first.quality.visible_fraction == 1.0
    assert first.quality.path_length_m == pytest.approx(0.2, abs=0.02)
    assert first.quality.mean_speed_mps == pytest.approx(first.quality.path_length_m / first.quality.duration_s)
    assert result.video_id == "vid" and result.num_frames == 59 and result.fps == 25.0


def test_long_steady_motion_is_split_into_pieces_within_the_maximum() -> None:
    t = np.arange(250) / 25.0  # 10 s of slow circling: no pause at all
    wrist = np.stack([0.1 * np.cos(t), 0.1 * np.sin(t), np.full_like(t, 0.5)], axis=1)
    poses = make_poses({0: hand_state(wrist, np.full(len(t), 0.2))})
    segments = segment_hand_poses(poses).segments
    assert len(segments) >= 3
    assert all(0.5 <= s.quality.duration_s <= 4.0 + 1e-9 for s in segments)
    assert segments[0].start_frame == 0 and segments[-1].end_frame == 250
    assert all(a.end_frame == b.start_frame for a, b in zip(segments, segments[1:]))


def test_hand_that_barely_moves_is_dropped_as_negligible_motion() -> None:
    wrist = bell_path(A, A + [0.005, 0, 0], 40)
    poses = make_poses({1: hand_state(wrist, np.full(40, 1.0))})
    assert segment_hand_poses(poses).segments == []
    assert len(segment_hand_poses(poses, SegmentSettings(min_path_length_m=0.001)).segments) == 1


def test_segment_with_low_visibility_is_dropped() -> None:
    wrist = bell_path(A, B, 40)
    mask = np.ones(40, bool)
    mask[[3, 4, 5, 9, 10, 11, 15, 16, 17, 21, 22, 23, 27, 28, 29, 33, 34, 35]] = False  # 3-frame gaps: bridged
    poses = make_poses({1: hand_state(wrist, np.full(40, 0.2))}, mask={1: mask})
    assert segment_hand_poses(poses).segments == []  # visible 22 / 40 = 0.55 < 0.6
    kept = segment_hand_poses(poses, SegmentSettings(min_visible_fraction=0.5)).segments
    assert [s.quality.visible_fraction for s in kept] == [pytest.approx(22 / 40)]


def test_short_appearance_gives_no_segment_and_long_gap_splits_the_hand() -> None:
    wrist = two_moves()
    mask = np.ones(len(wrist), bool)
    mask[25:35] = False  # 0.4 s gap > max_gap_s: two spans, each cut on its own
    poses = make_poses({1: hand_state(wrist, np.full(len(wrist), 0.2))}, mask={1: mask})
    segments = segment_hand_poses(poses).segments
    assert [(s.start_frame, s.end_frame) for s in segments] == [(0, 25), (35, 59)]


def test_segments_of_both_hands_are_sorted_by_start_then_hand() -> None:
    wrist = two_moves()
    flexion = np.full(len(wrist), 0.2)
    poses = make_poses({0: hand_state(wrist + [-0.3, 0, 0], flexion), 1: hand_state(wrist, flexion)})
    segments = segment_hand_poses(poses).segments
    assert [(s.start_frame, s.hand) for s in segments] == [(0, "left"), (0, "right"), (29, "left"), (29, "right")]


def test_still_image_or_empty_clip_gives_no_segments() -> None:
    one = make_poses({1: hand_state(A[None], np.array([0.2]))}, fps=25.0)
    assert segment_hand_poses(one).segments == []


def test_segments_round_trip_through_json_and_refuse_another_schema(tmp_path) -> None:
    wrist = two_moves()
    result = segment_hand_poses(make_poses({1: hand_state(wrist, np.full(len(wrist), 0.2))}), video_id="abc")
    path = tmp_path / "segments.json"
    result.save(path)
    assert VideoSegments.load(path) == result
    raw = json.loads(path.read_text())
    raw["schema_version"] = 99
    path.write_text(json.dumps(raw))
    with pytest.raises(SegmentsFileError, match="schema version 99"):
        VideoSegments.load(path)
    path.write_text("{not json")
    with pytest.raises(SegmentsFileError, match="segments.json: not a readable JSON"):
        VideoSegments.load(path)


def test_models_refuse_unknown_primitives_empty_segments_and_unsplittable_bounds() -> None:
    quality = SegmentQuality(visible_fraction=1, path_length_m=0.1, mean_speed_mps=0.1, duration_s=1)
    with pytest.raises(ValidationError, match="unknown primitives"):
        Segment(hand="left", start_frame=0, end_frame=10, start_s=0, end_s=1, primitives=["dance"], quality=quality)
    with pytest.raises(ValidationError, match="empty segment"):
        Segment(hand="left", start_frame=5, end_frame=5, start_s=0, end_s=1, primitives=[], quality=quality)
    with pytest.raises(ValidationError, match="2 x min_segment_s"):
        SegmentSettings(min_segment_s=1.0, max_segment_s=1.5)
    with pytest.raises(ValidationError):
        SegmentSettings(surprise=1)
