"""Synthetic segments and poses for caption tests: a right hand that reaches and grasps, a left hand that lifts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.segments.synthetic import bell_path, hand_state, make_poses
from vitra_core.captions import CaptionRequest, HandAction, TemplateCaptioner, spatial_context
from vitra_core.captions.prompt import completion_prompt
from vitra_core.hands import HandPoses
from vitra_core.segments import VideoSegments, segment_hand_poses


def reach_and_grasp(with_left: bool = False) -> tuple[VideoSegments, HandPoses]:
    """Right hand: reach to the right-lower part of the view and close the fingers (one 30-frame segment);
    optionally a left hand lifting at the same time."""
    right = hand_state(bell_path([0.0, 0.07, 0.5], [0.15, 0.1, 0.5], 30), np.r_[np.full(20, 0.2), np.linspace(0.2, 0.5, 10)])
    hands = {1: right}
    if with_left:
        hands[0] = hand_state(bell_path([-0.15, 0.0, 0.5], [-0.15, -0.1, 0.5], 30), np.full(30, 1.0))
    poses = make_poses(hands)
    return segment_hand_poses(poses, video_id="synthetic"), poses


def first_prompt(segments: VideoSegments, poses: HandPoses) -> str:
    """The decoder prompt the transformers backend builds for the first segment (no other hand)."""
    segment = segments.segments[0]
    request = CaptionRequest(own=HandAction(segment, spatial_context(poses, segment.hand_index, segment.start_frame,
                                                                     segment.end_frame)), other=None)
    return completion_prompt(replace(request, draft=TemplateCaptioner().caption(request)))


def grey_frames(start_frame: int, end_frame: int) -> list[np.ndarray]:
    return [np.full((48, 64, 3), 128, np.uint8) for _ in range(start_frame, end_frame)]
