"""The one `Definitions` object of VITRA-Ops (`dagster dev -m vitra_assets.definitions`)."""

from __future__ import annotations

from dagster import Definitions

from vitra_assets.inbox import build_inbox_sensor
from vitra_assets.raw_clips import raw_clips
from vitra_assets.resources import VitraConfigResource
from vitra_core.config import VitraConfig, load_config


def build_definitions(cfg: VitraConfig) -> Definitions:
    return Definitions(
        assets=[raw_clips],
        sensors=[build_inbox_sensor(cfg.inbox.poll_interval_s)],
        resources={"vitra": VitraConfigResource()},
    )


defs = build_definitions(load_config())
