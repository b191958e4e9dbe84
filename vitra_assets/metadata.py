"""Materialization metadata helpers shared by all asset modules."""

from __future__ import annotations

import base64

from dagster import AssetCheckResult, MetadataValue


def image_markdown(jpeg: bytes, caption: str) -> MetadataValue:
    """An image a person sees directly in the Dagster UI (inline, so it survives moved data folders)."""
    encoded = base64.b64encode(jpeg).decode("ascii")
    return MetadataValue.md(f"![{caption}](data:image/jpeg;base64,{encoded})")


def promotion_outcome(check_name: str, gate, promoted: bool, model: str, champion: str | None,
                      metric: str) -> tuple[dict, AssetCheckResult]:
    """The promotion gate's metadata entries and its blocking check result (vla_eval, policy_eval).

    `gate`: a vitra_core.training.promotion gate result (passed, summary(), table())."""
    from vitra_core.training.tracking import CHAMPION

    metadata = {
        "gate": gate.summary(),
        f"promoted_to_{CHAMPION}": promoted,
        CHAMPION: f"{model} v{champion}" if champion else "none",
        "champion_metric": metric,
    }
    check = AssetCheckResult(check_name=check_name, passed=gate.passed, description=gate.summary(),
                             metadata={"comparisons": MetadataValue.md(gate.table())})
    return metadata, check
