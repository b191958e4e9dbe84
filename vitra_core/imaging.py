"""Encode RGB images for files and metadata (PNG lossless for audit files, JPEG small for embedding).
cv2 is imported on first use: the Dagster definitions import this module and need none of it."""

from __future__ import annotations

import numpy as np


def _encode(rgb: np.ndarray, ext: str, params: list[int]) -> bytes:
    import cv2

    ok, data = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"{ext} encoding of a {rgb.shape} image failed")
    return data.tobytes()


def encode_png(rgb: np.ndarray) -> bytes:
    return _encode(rgb, ".png", [])


def encode_jpeg(rgb: np.ndarray, quality: int = 80, max_width: int | None = None) -> bytes:
    """JPEG bytes, optionally downscaled to `max_width` (for inline previews in run metadata)."""
    import cv2

    if max_width is not None and rgb.shape[1] > max_width:
        scale = max_width / rgb.shape[1]
        rgb = cv2.resize(rgb, (max_width, round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    return _encode(rgb, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, quality])
