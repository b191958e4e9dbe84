"""The local vision-language backend with a tiny ViT + GPT-2 model built in the test (no downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.captions.helpers import first_prompt, grey_frames, reach_and_grasp
from tests.captions.tiny_vlm import build_tiny_vlm, save, teach
from vitra_core.captions import CaptionerSettings, caption_segments
from vitra_core.captions.transformers_backend import tile_frames

ANSWER = "Left hand: None. Right hand: Reach for the cup."


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> tuple[Path, Path]:
    """(random model folder, taught model folder): the second always answers ANSWER to our prompt."""
    random_dir, taught_dir = tmp_path_factory.mktemp("tiny_random"), tmp_path_factory.mktemp("tiny_taught")
    model, tokenizer = build_tiny_vlm(random_dir)
    segments, poses = reach_and_grasp()
    teach(model, tokenizer, first_prompt(segments, poses), ANSWER)
    save(taught_dir, model, tokenizer)
    return random_dir, taught_dir


def test_random_model_output_does_not_parse_and_falls_back(tiny_models) -> None:
    segments, poses = reach_and_grasp()
    settings = CaptionerSettings(backend="transformers", model_path=str(tiny_models[0]), max_new_tokens=24)
    caption = caption_segments(segments, poses, grey_frames, settings).captions[0]
    assert caption.captioner == "template"
    assert caption.fallback_reason.startswith(f"transformers:{tiny_models[0].name}: output did not parse")
    assert len(caption.rephrasings) == 3


def test_model_output_in_vitra_form_becomes_the_caption(tiny_models) -> None:
    segments, poses = reach_and_grasp()
    settings = CaptionerSettings(backend="transformers", model_path=str(tiny_models[1]), max_new_tokens=32)
    caption = caption_segments(segments, poses, grey_frames, settings).captions[0]
    assert caption.fallback_reason is None, caption.fallback_reason
    assert caption.captioner == f"transformers:{tiny_models[1].name}"
    assert caption.instruction == ANSWER
    assert len(set(caption.rephrasings)) == 3 and ANSWER not in caption.rephrasings


def test_missing_model_or_frames_fall_back_with_the_reason(tmp_path, tiny_models) -> None:
    segments, poses = reach_and_grasp()
    missing = CaptionerSettings(backend="transformers", model_path=str(tmp_path / "nothing"))
    caption = caption_segments(segments, poses, grey_frames, missing).captions[0]
    assert caption.captioner == "template" and "cannot load a model from" in caption.fallback_reason
    no_frames = CaptionerSettings(backend="transformers", model_path=str(tiny_models[1]))
    caption = caption_segments(segments, poses, None, no_frames).captions[0]
    assert caption.captioner == "template" and "no frames" in caption.fallback_reason


def test_frames_are_tiled_side_by_side_at_one_height() -> None:
    frames = [grey_frames(0, 1)[0]] * 10
    assert tile_frames(frames, 3).shape == (48, 3 * 64, 3)
