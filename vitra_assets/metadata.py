"""Materialization metadata helpers shared by all asset modules."""

from __future__ import annotations

import base64

from dagster import MetadataValue


def image_markdown(jpeg: bytes, caption: str) -> MetadataValue:
    """An image a person sees directly in the Dagster UI (inline, so it survives moved data folders)."""
    encoded = base64.b64encode(jpeg).decode("ascii")
    return MetadataValue.md(f"![{caption}](data:image/jpeg;base64,{encoded})")
