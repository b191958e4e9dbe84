"""`vitra episodes ...` and `vitra export ...`: the episode dataset and its exports."""

from __future__ import annotations

import time
from pathlib import Path

import click

from vitra_assets.cli.app import main, project_config

@main.group()
def episodes() -> None:
    """The human V-L-A episode dataset (LeRobot v3.0 format) in data/episodes."""


@episodes.command("build")
@click.pass_context
def episodes_build(ctx: click.Context) -> None:
    """Bring data/episodes up to date with the captioned videos (the `dvc repro episodes` command).

    Only new or changed videos are written; unchanged ones are skipped by their input fingerprint.
    """
    from vitra_core.episodes.stage import sync_episodes
    from vitra_core.layout import DataLayout

    cfg = project_config(ctx.parent.parent)
    report = sync_episodes(DataLayout(cfg.data_root), cfg.episodes, cfg.episode_quality)
    click.echo(f"episodes: {report.episodes} episodes, {report.frames} frames; videos added {len(report.added)}, "
               f"replaced {len(report.replaced)}, unchanged {len(report.unchanged)}, removed {len(report.removed)}")


@episodes.command("migrate")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Dataset folder (default: data/episodes of the configured data root).")
@click.pass_context
def episodes_migrate(ctx: click.Context, root: Path | None) -> None:
    """Convert a dataset written by an earlier VITRA-Ops to the current layout, in place and losslessly: LeRobot
    v2.1 to v3.0 (same frames, states, tasks and stats; the action column is added as the next state), or
    format 2's single meta/vitra_dataset.json into one record file per source."""
    from vitra_core.episodes.migrate import migrate
    from vitra_core.episodes.stage import dataset_dir
    from vitra_core.layout import DataLayout

    root = root or dataset_dir(DataLayout(project_config(ctx.parent.parent).data_root))
    meta = migrate(root)
    click.echo(f"{root}: now LeRobot v3.0, {len(meta.episodes)} episodes from {len(meta.videos)} sources "
               f"in {len(meta.videos)} file slots")


@episodes.command("view")
@click.argument("episode", type=int)
@click.option("--root", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Dataset folder (default: <data_root>/episodes).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The .rrd file to write (default: .vitra/rerun/episode_<EPISODE>.rrd).")
@click.option("--serve", is_flag=True,
              help="Serve Rerun's web viewer instead of writing a file (opens no browser; Ctrl-C to stop).")
@click.option("--port", default=9090, show_default=True, help="Web viewer port (with --serve).")
@click.option("--grpc-port", default=9876, show_default=True,
              help="Port of the gRPC server the web viewer reads the episode from (with --serve).")
@click.pass_context
def episodes_view(ctx: click.Context, episode: int, root: Path | None, out: Path | None, serve: bool, port: int,
                  grpc_port: int) -> None:
    """Show episode EPISODE in Rerun: frames, instruction, both hands' 3D skeletons, named state channels.

    Writes a .rrd (open it with `rerun FILE`), or with --serve serves the web viewer; works headless.
    """
    from vitra_core.episodes.stage import dataset_dir
    from vitra_core.episodes.view_rerun import episode_arrays, serve_episode, write_episode_rrd
    from vitra_core.layout import DataLayout

    cfg = project_config(ctx.parent.parent)
    arrays = episode_arrays(root or dataset_dir(DataLayout(cfg.data_root)), episode)
    if not serve:
        path = write_episode_rrd(out or cfg.resolve(".vitra/rerun") / f"episode_{episode:06d}.rrd", **arrays)
        click.echo(f"wrote {path}\nopen it with: rerun {path}")
        return
    recording, url = serve_episode(web_port=port, grpc_port=grpc_port, **arrays)
    click.echo(f"Rerun web viewer: {url}  (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        recording.disconnect()



@main.group()
def export() -> None:
    """Export data in other projects' formats."""


@export.command("vitra-npy")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: <data_root>/vitra_npy).")
@click.pass_context
def export_vitra_npy_command(ctx: click.Context, out: Path | None) -> None:
    """Write VITRA-style per-episode metadata (.npy, the fields of VITRA's data/data.md we can fill)."""
    from vitra_core.episodes import export_vitra_npy
    from vitra_core.episodes.stage import dataset_dir
    from vitra_core.layout import DataLayout

    cfg = project_config(ctx.parent.parent)
    out = out or cfg.data_root / "vitra_npy"
    written = export_vitra_npy(dataset_dir(DataLayout(cfg.data_root)), out)
    click.echo(f"wrote {len(written)} episode file(s) to {out}")


