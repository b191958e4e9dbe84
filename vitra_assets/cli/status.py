"""`vitra status`: every video partition with its clip figures, hand detection rates and stage states."""

from __future__ import annotations

import click

from vitra_assets.cli.app import main, project_config, print_table
from vitra_core.config import VitraConfig

_CLIP_HEADERS = ["id", "source", "fps", "frames", "duration_s", "size", "clip"]


def _video_row(layout, key: str) -> list[object]:
    """The source's probe figures and the normalised clip, then the hand detection rates."""
    from vitra_core.hands.stage import read_hand_pose_figures
    from vitra_core.video.raw_clip import read_clip_meta

    try:
        meta = read_clip_meta(layout, key)
        src, clip = meta.source, meta.clip
        row = [key, meta.source_name[:40], f"{src.fps:g}", src.frames, f"{src.duration_s:.2f}",
               f"{src.width}x{src.height}", f"{clip.width}x{clip.height}@{clip.fps:g}"]
    except FileNotFoundError:
        row = [key] + ["-"] * (len(_CLIP_HEADERS) - 1)
    try:
        figures = read_hand_pose_figures(layout, key)
        row.append(f"{figures.left.detection_rate:.0%}/{figures.right.detection_rate:.0%}")
    except FileNotFoundError:
        row.append("-")
    return row


def print_status(cfg: VitraConfig) -> None:
    from vitra_assets.definitions import PER_VIDEO_ASSETS
    from vitra_assets.instance import project_instance
    from vitra_assets.runner import materialization_status
    from vitra_core.layout import DataLayout

    instance = project_instance(cfg)
    stages = {asset.key.to_user_string(): materialization_status(instance, asset.key) for asset in PER_VIDEO_ASSETS}
    keys = sorted(next(iter(stages.values())))
    layout = DataLayout(cfg.data_root)
    rows = [_video_row(layout, key) + [status[key] for status in stages.values()] for key in keys]
    print_table(_CLIP_HEADERS + ["hands L/R"] + list(stages), rows)
    quarantined = sorted((cfg.data_root / "quarantine").glob("*.reason.txt"))
    click.echo(f"\n{len(keys)} video partition(s); {len(quarantined)} file(s) in quarantine ({cfg.data_root / 'quarantine'})")
    print_episodes(instance)


def print_episodes(instance) -> None:
    from vitra_assets.episodes import episodes

    event = instance.get_latest_materialization_event(episodes.key)
    if event is None:
        click.echo("episodes: not built yet")
        return
    meta = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    click.echo(f"episodes: {meta['episodes']} episodes, {meta['frames']} frames in {meta['dataset_path']} "
               f"(LeRobot v3.0; DVC {meta['dvc_md5']})")


@main.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show every video partition: clip figures, hand detection rates, state of each per-video stage."""
    print_status(project_config(ctx))

