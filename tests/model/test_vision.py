"""The vision encoder: from a transformers config (from scratch) or a local pretrained folder."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from transformers import ViTConfig, ViTModel

from vitra_core.errors import ConfigError
from vitra_core.model import VisionConfig, VLAConfig, VLAPolicy
from vitra_core.model.vision import VisionEncoder


@pytest.fixture
def pretrained_vit(tmp_path):
    """A tiny ViT saved with save_pretrained, as any local checkpoint folder would be."""
    torch.manual_seed(7)
    model = ViTModel(ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1,
                               num_attention_heads=2, intermediate_size=64))
    model.save_pretrained(tmp_path / "vit")
    return tmp_path / "vit", model.state_dict()


def test_pretrained_vision_checkpoint_loads_from_a_local_folder(pretrained_vit, normaliser, observation, tmp_path):
    folder, weights = pretrained_vit
    policy = VLAPolicy.create(VLAConfig.preset("tiny", vision=VisionConfig(pretrained_path=folder)), normaliser)
    loaded = policy.model.vision.model.state_dict()
    assert all(torch.equal(loaded[name], tensor) for name, tensor in weights.items())
    policy.save(tmp_path / "policy")
    shutil.rmtree(folder)  # the saved policy holds the resolved config and weights: no checkpoint needed to load
    again = VLAPolicy.load(tmp_path / "policy")
    assert torch.equal(again.model.vision.model.embeddings.patch_embeddings.projection.weight,
                       weights["embeddings.patch_embeddings.projection.weight"])
    np.testing.assert_array_equal(again.predict(**observation), policy.predict(**observation))


def test_fresh_vision_models_differ_from_the_pretrained_one(pretrained_vit, normaliser):
    _, weights = pretrained_vit
    policy = VLAPolicy.create(VLAConfig.preset("tiny"), normaliser)
    name = "embeddings.patch_embeddings.projection.weight"
    assert not torch.equal(policy.model.vision.model.state_dict()[name], weights[name])


def test_a_conv_model_from_config_gives_one_token_per_cell_plus_the_pooled_one():
    config = VisionConfig(model_type="convnext", config={"image_size": 64, "hidden_sizes": [16, 24],
                                                         "depths": [1, 1], "num_stages": 2})
    encoder = VisionEncoder(config, image_size=64)
    tokens = encoder(torch.zeros(2, 3, 224, 224, dtype=torch.uint8))  # resized to 64 inside
    assert tokens.shape == (2, (64 // 4 // 2) ** 2 + 1, 24)


def test_unknown_model_type_is_a_config_error():
    with pytest.raises(ConfigError, match="no_such_model"):
        VisionEncoder(VisionConfig(model_type="no_such_model"), image_size=32)


def test_keypoint_encoder_reports_where_a_bright_spot_is():
    """Spatial softmax: a heat map that follows brightness puts its keypoint on the spot, in [-1, 1] map units."""
    encoder = VisionEncoder(VisionConfig(model_type="keypoints", config={"channels": [4, 4], "keypoints": 1}), 32)
    net = encoder.model
    with torch.no_grad():  # one keypoint that responds to brightness, a sharp softmax
        net.heat.weight.fill_(1.0)
        net.heat.bias.zero_()
        net.log_temperature.fill_(-4.0)
        for layer in net.features:
            if isinstance(layer, torch.nn.Conv2d):
                layer.weight.zero_()
                layer.weight[:, :, layer.kernel_size[0] // 2, layer.kernel_size[1] // 2] = 1.0
                layer.bias.zero_()
    image = torch.zeros(1, 3, 32, 32, dtype=torch.uint8)
    image[..., 24:28, 4:8] = 255  # left of centre, low in the image
    points, _, _ = net.keypoints((image.float() / 255 - 0.5) / 0.5)
    # centre taps with stride 2 twice: map cell (1, 6) of 8 x 8 samples pixel (4, 24); linspace(-1, 1, 8) there
    np.testing.assert_allclose(points[0, 0].detach().numpy(), [-1 + 2 / 7, -1 + 12 / 7], atol=0.02)
    tokens = encoder(image)
    assert tokens.shape == (1, 2, 64)


def test_keypoint_policy_saves_and_loads_without_transformers_config(normaliser, observation, tmp_path):
    policy = VLAPolicy.create(VLAConfig.preset("tiny", vision=VisionConfig(model_type="keypoints")), normaliser)
    policy.save(tmp_path / "policy")
    again = VLAPolicy.load(tmp_path / "policy")
    np.testing.assert_array_equal(again.predict(**observation), policy.predict(**observation))
