"""The vision encoder: any `transformers` vision model, or a spatial-softmax keypoint network, turned into tokens.

`model_type: keypoints` is a small conv net whose last layer is read as K heat maps; a spatial
softmax turns each into the expected image position (x, y) of what it responds to (Levine et al.,
"End-to-End Training of Deep Visuomotor Policies", 2016). A target's position is then an explicit
number in the tokens, which a from-scratch ViT does not learn to extract from a few hundred frames.
Fresh models are built from a config (random init: trained from scratch); a local `save_pretrained`
folder is loaded with `from_pretrained(..., local_files_only=True)` so nothing is ever downloaded.
Tokens are the model's last hidden states (a conv model's [C, h, w] map is flattened to h*w tokens)
plus its pooled output when it has one: that keeps every parameter in the loss, which DDP requires.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from torch import nn
from transformers import AutoConfig, AutoModel

from vitra_core.errors import ConfigError
from vitra_core.model.config import VisionConfig

_NOT_KWARGS = {"model_type", "transformers_version", "architectures"}  # in to_dict(), not config kwargs


KEYPOINTS = "keypoints"


class KeypointsConfig(BaseModel):
    """`vision.config` of `model_type: keypoints`: conv widths (the first and the last halve the map), the
    number of keypoints K and the token width."""

    model_config = ConfigDict(extra="forbid")

    channels: list[int] = Field(default_factory=lambda: [32, 32, 64], min_length=1)
    keypoints: int = Field(32, ge=1)
    hidden_size: int = Field(64, ge=8, description="token width")

    def to_dict(self) -> dict:
        return self.model_dump()


@dataclass
class _Output:
    last_hidden_state: torch.Tensor


class KeypointNet(nn.Module):
    """pixel_values [B, 3, S, S] -> K keypoint tokens (each a projection of its expected (x, y) in [-1, 1] and of
    how peaked its heat map is) plus one token of globally pooled features: [B, K + 1, hidden_size].

    The map is S / 4 (a 5x5 stride-2 stem, 3x3 convs, the last one stride 2): the expectation interpolates between
    cells, so positions come out finer than the map. The temperature of the softmax is learnt.
    """

    def __init__(self, config: KeypointsConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        widths = [3, *config.channels]
        last = len(config.channels) - 1
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            kernel, stride = (5, 2) if i == 0 else (3, 2 if i == last else 1)
            layers += [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2), nn.GroupNorm(1, c_out), nn.GELU()]
        self.features = nn.Sequential(*layers)
        self.heat = nn.Conv2d(widths[-1], config.keypoints, 1)
        self.log_temperature = nn.Parameter(torch.zeros(()))
        self.point_out = nn.Linear(3, config.hidden_size)
        self.pooled_out = nn.Linear(widths[-1], config.hidden_size)

    def keypoints(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(points [B, K, 2] expected (x, y) in [-1, 1], left/top = -1; peak [B, K, 1] max of each softmax times the
        map size, 1 = flat; features [B, C, h, w])."""
        features = self.features(pixel_values)
        heat = self.heat(features).flatten(2) / self.log_temperature.exp()  # [B, K, h*w]
        attention = heat.softmax(dim=-1)
        h, w = features.shape[-2:]
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, device=heat.device),
                                torch.linspace(-1, 1, w, device=heat.device), indexing="ij")
        points = attention @ torch.stack([xs.flatten(), ys.flatten()], dim=-1)
        return points, attention.max(dim=-1).values[..., None] * (h * w), features

    def forward(self, pixel_values: torch.Tensor) -> _Output:
        points, peak, features = self.keypoints(pixel_values)
        tokens = torch.cat([self.point_out(torch.cat([points, peak.log()], dim=-1)),
                            self.pooled_out(features.mean(dim=(2, 3)))[:, None]], dim=1)
        return _Output(tokens)


def build_vision_model(config: VisionConfig, image_size: int, load_pretrained: bool) -> nn.Module:
    """The transformers model (or `KeypointNet`); `load_pretrained` False builds the architecture only (weights
    follow from a file)."""
    if config.model_type == KEYPOINTS:
        try:
            return KeypointNet(KeypointsConfig.model_validate(config.config))
        except ValidationError as exc:
            raise ConfigError(f"vision.config of model_type {KEYPOINTS}: {exc}") from exc
    if config.pretrained_path is not None and load_pretrained:
        if not config.pretrained_path.is_dir():
            raise ConfigError(f"vision.pretrained_path {config.pretrained_path}: not a folder")
        return AutoModel.from_pretrained(config.pretrained_path, local_files_only=True)
    try:
        hf_config = AutoConfig.for_model(config.model_type, **config.config)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"vision.model_type {config.model_type!r}: not a transformers model type ({exc})") from exc
    if getattr(hf_config, "image_size", image_size) != image_size:
        raise ConfigError(f"vision.config.image_size {hf_config.image_size} differs from image_size {image_size}")
    return AutoModel.from_config(hf_config)


class VisionEncoder(nn.Module):
    """uint8 or float images [B, 3, H, W] -> tokens [B, N, out_width] (H, W resized to `image_size`)."""

    def __init__(self, config: VisionConfig, image_size: int, load_pretrained: bool = True):
        super().__init__()
        self.model = build_vision_model(config, image_size, load_pretrained)
        self.image_size = image_size
        self.register_buffer("mean", torch.tensor(config.image_mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(config.image_std).view(1, 3, 1, 1), persistent=False)
        if config.frozen:
            self.model.requires_grad_(False)
        with torch.no_grad():  # probe the output: token count and width differ per architecture
            probe = self.forward(torch.zeros(1, 3, image_size, image_size, dtype=torch.uint8))
        self.num_tokens, self.out_width = probe.shape[1], probe.shape[2]

    def resolved_config(self) -> dict:
        """The full transformers config (saved, so loading needs neither the checkpoint folder nor the hub)."""
        return {key: value for key, value in self.model.config.to_dict().items() if key not in _NOT_KWARGS}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        if x.shape[-2:] != (self.image_size, self.image_size):
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="area")  # box filter, like INTER_AREA
        out = self.model(pixel_values=(x - self.mean) / self.std)
        tokens = out.last_hidden_state
        if tokens.dim() == 4:  # conv models: [B, C, h, w] -> [B, h*w, C]
            tokens = tokens.flatten(2).transpose(1, 2)
        pooled = getattr(out, "pooler_output", None)
        if pooled is not None:
            tokens = torch.cat([tokens, pooled.reshape(len(pooled), 1, -1)], dim=1)
        return tokens
