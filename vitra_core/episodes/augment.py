"""Training-time augmentations of one sample: horizontal flip (image, hands, instruction) and colour jitter."""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

_SIDE = re.compile(r"\b(left|right)\b", re.IGNORECASE)
_GRAY = np.array([0.299, 0.587, 0.114])


class AugmentSettings(BaseModel):
    """Probability of a horizontal flip, and colour-jitter strengths: each factor is drawn from [1 - s, 1 + s]."""

    model_config = ConfigDict(extra="forbid")

    flip_prob: float = Field(0.0, ge=0, le=1)
    brightness: float = Field(0.0, ge=0, lt=1)
    contrast: float = Field(0.0, ge=0, lt=1)
    saturation: float = Field(0.0, ge=0, lt=1)

    @property
    def jitters(self) -> bool:
        return self.brightness > 0 or self.contrast > 0 or self.saturation > 0


def swap_sides(text: str) -> str:
    """Swap the words left and right (keeping case): a flipped image shows the other hand doing it."""

    def swap(match: re.Match) -> str:
        word = match.group(0)
        other = "right" if word.lower() == "left" else "left"
        if word.isupper():
            return other.upper()
        return other.capitalize() if word[0].isupper() else other

    return _SIDE.sub(swap, text)


def flip_image(rgb: np.ndarray) -> np.ndarray:
    """[H, W, 3] mirrored left-right (the letterbox is centred, so the principal point stays put)."""
    return np.ascontiguousarray(rgb[:, ::-1])


def colour_jitter(rgb: np.ndarray, brightness: float, contrast: float, saturation: float) -> np.ndarray:
    """[H, W, 3] uint8 with brightness, contrast and saturation scaled by the given factors (1 = unchanged)."""
    image = rgb.astype(np.float32) * brightness
    gray = image @ _GRAY.astype(np.float32)
    image = (image - gray.mean()) * contrast + gray.mean()
    gray = (image @ _GRAY.astype(np.float32))[..., None]
    image = gray + (image - gray) * saturation
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)
