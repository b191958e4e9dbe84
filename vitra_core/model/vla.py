"""The VLA network: [vision tokens, language token, state token, fov token, cognition token] through a
transformer; the cognition token's output conditions the flow-matching action head.

Inputs are in dataset units (uint8 images, raw 104-D states with the presence mask, fov in degrees);
the network normalises them with the Normaliser's stats (non-persistent buffers: they are saved in
normaliser.json, not in model.safetensors). With `relative_actions` the head predicts each present
hand's motion from its current state, (action - state) / delta_rms (angles wrapped): "hold still" is
the zero prediction, so the head spends its capacity on motion. A hand absent now has no state to move
from: its actions are predicted absolutely, (action - mean) / std (the model sees the presence mask).
"""

from __future__ import annotations

import torch
from torch import nn

from vitra_core.episodes.state_layout import ACTION_DIM, STATE_DIM
from vitra_core.errors import ConfigError
from vitra_core.hands.skeleton import STATE_SIZE
from vitra_core.model.blocks import Transformer
from vitra_core.model.config import VLAConfig
from vitra_core.model.flow import FlowMatchingHead
from vitra_core.model.language import LanguageEncoder, package_version
from vitra_core.model.normaliser import ANGLE_DIMS, Normaliser, wrap_angle
from vitra_core.model.vision import VisionEncoder

FROZEN_LANGUAGE_PREFIX = "language.model."


def _per_dim(mask: torch.Tensor) -> torch.Tensor:
    """[..., 2] hand mask -> [..., 102] (each hand's flag repeated over its 51 numbers)."""
    return mask.repeat_interleave(STATE_SIZE, dim=-1)


class VLA(nn.Module):
    def __init__(self, config: VLAConfig, load_pretrained: bool = True):
        """`load_pretrained` False skips reading vision.pretrained_path (weights will come from a policy file)."""
        super().__init__()
        installed = package_version(config.language.package)
        recorded = config.language.package_version
        if config.language.weights_from_package and recorded not in (None, installed):
            raise ConfigError(f"language.package {config.language.package} {recorded} made this model, but "
                              f"{installed} is installed: its frozen weights are not in the policy file")
        self.vision = VisionEncoder(config.vision, config.image_size, load_pretrained)
        self.language = LanguageEncoder(config.language)
        self.config = config.model_copy(update={
            "vision": config.vision.model_copy(update={"config": self.vision.resolved_config()}),
            "language": config.language.model_copy(update={"package_version": installed}),
        })
        width = config.width
        self.vision_proj = nn.Linear(self.vision.out_width, width)
        self.language_proj = nn.Linear(self.language.out_width, width)
        self.state_in = nn.Sequential(nn.Linear(STATE_DIM, width), nn.GELU(), nn.Linear(width, width))
        self.fov_in = nn.Linear(2, width)
        self.cognition = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        num_tokens = self.vision.num_tokens + 4  # + language, state, fov, cognition
        self.pos = nn.Parameter(torch.randn(1, num_tokens, width) * 0.02)
        self.transformer = Transformer(width, config.layers, config.heads, config.mlp_ratio)
        self.head = FlowMatchingHead(config.chunk_size, ACTION_DIM, width, config.head_width, config.head_layers,
                                     config.head_heads, config.mlp_ratio)
        for name, size in (("state_mean", ACTION_DIM), ("state_std", ACTION_DIM), ("delta_rms", ACTION_DIM),
                           ("fov_mean", 2), ("fov_std", 2)):
            self.register_buffer(name, torch.zeros(size) if "mean" in name else torch.ones(size), persistent=False)
        self.register_buffer("angle_dims", torch.from_numpy(ANGLE_DIMS), persistent=False)

    def set_normaliser(self, normaliser: Normaliser) -> None:
        for name, values in (("state_mean", normaliser.state_mean), ("state_std", normaliser.state_std),
                             ("delta_rms", normaliser.delta_rms), ("fov_mean", normaliser.fov_mean_deg),
                             ("fov_std", normaliser.fov_std_deg)):
            getattr(self, name).copy_(torch.tensor(values, dtype=torch.float32))

    def normalised_hands(self, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """state [B, 104] -> normalised hands [B, 102] (0 where a hand is absent), presence [B, 2] float."""
        present = (state[:, ACTION_DIM:] > 0.5).float()
        hands = (state[:, :ACTION_DIM] - self.state_mean) / self.state_std * _per_dim(present)
        return hands, present

    def condition(self, image: torch.Tensor, instruction: list[str], state: torch.Tensor,
                  fov: torch.Tensor) -> torch.Tensor:
        """image [B, 3, H, W], B instructions, state [B, 104], fov [B, 2] deg -> cognition output [B, width]."""
        hands, present = self.normalised_hands(state)
        tokens = torch.cat([
            self.vision_proj(self.vision(image)),                          # [B, N, W]
            self.language_proj(self.language(instruction))[:, None],       # [B, 1, W]
            self.state_in(torch.cat([hands, present], dim=1))[:, None],    # [B, 1, W]
            self.fov_in((fov - self.fov_mean) / self.fov_std)[:, None],     # [B, 1, W]
            self.cognition.expand(len(state), -1, -1),                     # [B, 1, W]
        ], dim=1) + self.pos
        return self.transformer(tokens)[:, -1]

    def action_frame(self, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per sample and dim [B, 102]: the reference an action is measured from, its scale, and whether it is
        an angle difference to wrap (see the module docstring)."""
        moving = _per_dim(state[:, ACTION_DIM:] > 0.5) & self.config.relative_actions
        reference = torch.where(moving, state[:, :ACTION_DIM], self.state_mean)
        scale = torch.where(moving, self.delta_rms, self.state_std)
        return reference, scale, moving & self.angle_dims

    def targets(self, state: torch.Tensor, actions: torch.Tensor, action_mask: torch.Tensor,
                action_is_pad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What the head learns, [B, C, 102], and its weight (1 where the hand is present and not padding)."""
        reference, scale, wrap = self.action_frame(state)
        difference = actions - reference[:, None]
        target = torch.where(wrap[:, None], wrap_angle(difference), difference) / scale[:, None]
        weight = _per_dim(action_mask.float()) * (~action_is_pad.bool()).float()[..., None]
        return target * weight, weight

    def forward(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Flow-matching loss terms of a training batch (see FlowMatchingHead.loss_terms).

        batch: image, instruction, state, fov, actions [B, C, 102], action_mask [B, C, 2], action_is_pad [B, C],
        and the sample's draws: noise [B, C, 102], flow_u [B].
        """
        cond = self.condition(batch["image"], batch["instruction"], batch["state"], batch["fov"])
        target, weight = self.targets(batch["state"], batch["actions"], batch["action_mask"], batch["action_is_pad"])
        return self.head.loss_terms(cond, target, weight, batch["noise"], batch["flow_u"])

    def generate(self, image: torch.Tensor, instruction: list[str], state: torch.Tensor, fov: torch.Tensor,
                 noise: torch.Tensor) -> torch.Tensor:
        """An action chunk in dataset units [B, C, 102] (absolute hand states), from starting noise [B, C, 102],
        or the mean of K flow samples from noise [K, B, C, 102]: the point estimate with the least expected
        error, where one sample of a spread-out distribution adds its spread to the error."""
        cond = self.condition(image, instruction, state, fov)  # once, however many samples
        draws = noise if noise.dim() == 4 else noise[None]
        x = torch.stack([self.head.sample(cond, n, self.config.flow_steps) for n in draws]).mean(0)
        reference, scale, _ = self.action_frame(state)
        return reference[:, None] + x * scale[:, None]

    def saved_state_dict(self) -> dict[str, torch.Tensor]:
        """The weights a policy file holds: everything except a frozen packaged language encoder."""
        skip = self.config.language.weights_from_package
        return {name: tensor for name, tensor in self.state_dict().items()
                if not (skip and name.startswith(FROZEN_LANGUAGE_PREFIX))}

    def load_saved_state_dict(self, weights: dict[str, torch.Tensor]) -> None:
        """Inverse of saved_state_dict; raises KeyError naming missing or unexpected weights."""
        expected = set(self.saved_state_dict())
        missing, unexpected = sorted(expected - set(weights)), sorted(set(weights) - expected)
        if missing or unexpected:
            raise KeyError(f"weights do not match the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
        self.load_state_dict(weights, strict=False)

