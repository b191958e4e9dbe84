"""The vision encoder: any `transformers` vision model, turned into a sequence of tokens.

Fresh models are built from a config (random init: trained from scratch); a local `save_pretrained`
folder is loaded with `from_pretrained(..., local_files_only=True)` so nothing is ever downloaded.
Tokens are the model's last hidden states (a conv model's [C, h, w] map is flattened to h*w tokens)
plus its pooled output when it has one: that keeps every parameter in the loss, which DDP requires.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModel

from vitra_core.errors import ConfigError
from vitra_core.model.config import VisionConfig

_NOT_KWARGS = {"model_type", "transformers_version", "architectures"}  # in to_dict(), not config kwargs


def build_vision_model(config: VisionConfig, image_size: int, load_pretrained: bool) -> nn.Module:
    """The transformers model; `load_pretrained` False builds the architecture only (weights follow from a file)."""
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
