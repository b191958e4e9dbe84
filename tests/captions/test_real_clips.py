"""Captions of every real sample clip: VITRA's form, distinct rephrasings, one caption per segment."""

from __future__ import annotations

from vitra_core.captions import caption_segments, parse
from vitra_core.hands import HandPoses
from vitra_core.segments import segment_hand_poses


def test_every_segment_gets_a_vitra_form_caption_with_three_distinct_rephrasings(
    clip_poses: dict[str, HandPoses],
) -> None:
    for name, poses in clip_poses.items():
        segments = segment_hand_poses(poses, video_id=name)
        captions = caption_segments(segments, poses)
        assert [(c.hand, c.start_frame, c.end_frame) for c in captions.captions] == [
            (s.hand, s.start_frame, s.end_frame) for s in segments.segments]
        for caption in captions.captions:
            left, right = parse(caption.instruction)
            own = left if caption.hand == "left" else right
            assert own != "None", (name, caption)
            assert len(set(caption.rephrasings)) >= 3 and caption.instruction not in caption.rephrasings
            assert all(parse(text) for text in caption.rephrasings)
            assert caption.captioner == "template" and caption.fallback_reason is None
