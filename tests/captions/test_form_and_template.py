"""VITRA's instruction form and the default (template) captioner."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.captions.helpers import reach_and_grasp
from tests.segments.synthetic import bell_path, hand_state, make_poses
from vitra_core.captions import (
    CaptionFormatError, CaptionRequest, HandAction, TemplateCaptioner, CaptionsFileError, VideoCaptions, caption_segments, compose, parse, spatial_context, validate,
)
from vitra_core.captions.template import NUM_VARIANTS, PHRASES
from vitra_core.segments import PRIMITIVES


def test_compose_and_parse_round_trip_with_none_for_an_idle_hand() -> None:
    text = compose(None, "pick up the bottle")
    assert text == "Left hand: None. Right hand: Pick up the bottle."
    assert parse(text) == ("None", "Pick up the bottle")
    assert validate("  Left hand: None.   Right hand: Pick up the bottle. ", "right") == text


@pytest.mark.parametrize("text, reason", [
    ("Pick up the bottle.", "not in the form"),
    ("Left hand: None. Right hand: None.", r"own \(right\) hand is 'None'"),
    ("Left hand: None. Right hand: Grab <s>### it.", "outside plain English"),
    ("Left hand: None. Right hand: " + "go " * 40 + "now.", "longer than"),
])
def test_malformed_instructions_are_rejected_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(CaptionFormatError, match=reason):
        validate(text, "right")


def test_every_primitive_has_a_distinct_phrase_in_every_variant() -> None:
    assert set(PHRASES) == set(PRIMITIVES)
    for name, variants in PHRASES.items():
        assert len(variants) == NUM_VARIANTS and len(set(variants)) == NUM_VARIANTS, name


def test_template_caption_names_the_action_and_the_place_and_idles_the_other_hand() -> None:
    segments, poses = reach_and_grasp()
    assert [s.primitives for s in segments.segments] == [["reach", "grasp"]]
    caption = caption_segments(segments, poses).captions[0]
    assert caption.instruction == ("Left hand: None. Right hand: Reach toward the lower right of the view and "
                                   "grasp the object.")
    assert caption.captioner == "template" and caption.fallback_reason is None
    assert len(caption.rephrasings) == 3 and len({caption.instruction, *caption.rephrasings}) == 4
    assert all(parse(text)[0] == "None" for text in caption.rephrasings)


@pytest.mark.parametrize("primitives", [
    ["reach", "release", "lower", "pull", "rotate"],  # a 1 s clip of benchmarks/scale.py: > 30 words
    list(PRIMITIVES),
])
def test_a_segment_with_many_primitives_gets_well_formed_captions_from_its_first_ones(primitives) -> None:
    segments, poses = reach_and_grasp()
    segment = segments.segments[0].model_copy(update={"primitives": primitives})
    request = CaptionRequest(own=HandAction(segment, spatial_context(poses, segment.hand_index, segment.start_frame,
                                                                     segment.end_frame)), other=None)
    caption = TemplateCaptioner().caption(request)
    for variant, text in enumerate((caption.instruction, *caption.rephrasings)):
        assert validate(text, "right") == text  # within the word limit
        assert parse(text)[1].lower().startswith(PHRASES[primitives[0]][variant].split("{")[0])  # the first action


def test_other_hand_gets_the_phrase_of_its_overlapping_segment() -> None:
    segments, poses = reach_and_grasp(with_left=True)
    captions = caption_segments(segments, poses).captions
    assert [c.hand for c in captions] == ["left", "right"]
    left, right = parse(captions[1].instruction)
    assert left.startswith("Lift") and "left" in left and right.startswith("Reach")
    assert captions[0].instruction == captions[1].instruction  # the same window described from either hand


def test_region_comes_from_the_2d_wrist_in_thirds_of_the_image() -> None:
    # wrist at x = +0.2 m, y = -0.15 m, z = 0.5 m projects to the upper right of the 640 x 480 image
    wrist = bell_path([0.15, -0.15, 0.5], [0.2, -0.15, 0.5], 20)
    poses = make_poses({1: hand_state(wrist, np.full(20, 0.2))})
    context = spatial_context(poses, 1, 0, 20)
    assert (context.horizontal, context.vertical) == ("right", "top")
    assert context.lateral is None and context.depth is None
    moving = make_poses({1: hand_state(bell_path([-0.2, 0, 0.5], [0.2, 0, 0.7], 20), np.full(20, 0.2))})
    context = spatial_context(moving, 1, 0, 20)
    assert (context.lateral, context.depth) == ("right", "away")


def test_captions_round_trip_through_json_and_refuse_another_schema(tmp_path) -> None:
    segments, poses = reach_and_grasp(with_left=True)
    captions = caption_segments(segments, poses)
    path = tmp_path / "captions.json"
    captions.save(path)
    assert VideoCaptions.load(path) == captions
    raw = json.loads(path.read_text())
    raw["schema_version"] = 2
    path.write_text(json.dumps(raw))
    with pytest.raises(CaptionsFileError, match="captions.json: schema version 2"):
        VideoCaptions.load(path)
