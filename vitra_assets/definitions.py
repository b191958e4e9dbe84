"""The one `Definitions` object of VITRA-Ops (`dagster dev -m vitra_assets.definitions`)."""

from __future__ import annotations

from dagster import Definitions

from vitra_assets.captions import captions
from vitra_assets.episodes import episodes
from vitra_assets.hand_poses import hand_poses
from vitra_assets.inbox import build_inbox_sensor
from vitra_assets.raw_clips import raw_clips
from vitra_assets.segments import segments
from vitra_assets.resources import VitraConfigResource
from vitra_core.config import VitraConfig, load_config


# The per-video stages in order: a new video's run materializes all of them.
PER_VIDEO_ASSETS = [raw_clips, hand_poses, segments, captions]


def build_definitions(cfg: VitraConfig) -> Definitions:
    return Definitions(
        assets=[*PER_VIDEO_ASSETS, episodes],
        sensors=[build_inbox_sensor(cfg.inbox.poll_interval_s, PER_VIDEO_ASSETS)],
        resources={"vitra": VitraConfigResource()},
    )


defs = build_definitions(load_config())
