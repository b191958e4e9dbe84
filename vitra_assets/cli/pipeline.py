"""`vitra ingest`, `vitra reprocess` and `vitra demo`: runs of the named jobs, launched through the instance."""

from __future__ import annotations

from pathlib import Path

import click

from vitra_assets.cli.app import main, print_table, project_config
from vitra_assets.cli.status import print_status
from vitra_core import console
from vitra_core.config import VitraConfig


def _ingest(cfg: VitraConfig, instance, paths: list[Path]):
    """Drop `paths` into the inbox and ingest them now; returns the IngestReport."""
    from vitra_assets.runner import IngestReport, drain_inbox, drop_into_inbox, expand_inputs

    report = IngestReport()
    files = expand_inputs(paths)
    landed = drop_into_inbox(files, cfg.inbox_dir)
    click.echo(f"inbox: {len(files)} file(s) dropped into {cfg.inbox_dir}")
    drain_inbox(cfg, instance, report, landed)
    counts = {s: sum(o.status == s for o in report.outcomes) for s in ("new", "duplicate", "quarantined", "failed")}
    click.echo("ingested: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    for outcome in report.outcomes:
        if outcome.status in ("quarantined", "failed"):
            click.echo(f"  {outcome.status}: {outcome.reason}", file=console.terminal())
    return report


def _run_pending(cfg: VitraConfig, launcher, report, batch_size: int | None = None) -> None:
    """Run every video partition's missing stages (with `batch_size`, in batched runs), then the dataset update."""
    from vitra_assets.definitions import PER_VIDEO_ASSETS
    from vitra_assets.runner import pending_work

    work = pending_work(launcher.instance, [asset.key for asset in PER_VIDEO_ASSETS])
    if not work:
        click.echo("every video is processed through every stage; nothing to do")
    _run_videos_then_episodes(cfg, launcher, work, report, batch_size)


def _run_videos_then_episodes(cfg: VitraConfig, launcher, work: dict, report, batch_size: int | None = None) -> None:
    """One `per_video` run per video partition (under its video lock), or with `batch_size` one run per batch of
    videos (vitra_assets/backfill.py), then a `dataset` run if any video changed (or the dataset was never built)."""
    from vitra_assets.backfill import run_batches
    from vitra_assets.definitions import defs
    from vitra_assets.episodes import episodes
    from vitra_assets.launcher import run_line
    from vitra_assets.partitions import source_name
    from vitra_assets.runner import materialize_partitions, run_spec
    from vitra_core.layout import DataLayout

    layout = DataLayout(cfg.data_root)
    if batch_size:
        run_batches(launcher.instance, defs, work, batch_size, report, layout, runs=launcher, echo=click.echo)
    else:
        materialize_partitions(launcher.instance, defs, work, report, layout, runs=launcher, echo=click.echo)
    if report.failed:
        failed = ", ".join(f"{key} ({source_name(layout, key) or '?'})" for key in report.failed)
        click.echo(f"{len(report.failed)} video(s) failed: {failed}", file=console.terminal())
    if report.succeeded or launcher.instance.get_latest_materialization_event(episodes.key) is None:
        name = episodes.key.to_user_string()
        click.echo(f"{name}: {run_line(launcher.run(run_spec([episodes.key]), label=name))}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--no-run", is_flag=True, help="Only ingest and add partitions; let the daemon run them.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], no_run: bool) -> None:
    """Ingest video files (or folders of videos) through the inbox and run the per-video stages.

    Each file is hashed; a new one becomes a `videos` partition, an identical one adds nothing,
    and a file that is not a readable video goes to data/quarantine with a reason file.
    """
    from vitra_assets.instance import project_instance
    from vitra_assets.launcher import workspace_launcher

    cfg = project_config(ctx)
    instance = project_instance(cfg)
    report = _ingest(cfg, instance, list(paths))
    if not no_run:
        with workspace_launcher(instance) as launcher:
            _run_pending(cfg, launcher, report)


@main.command()
@click.option("--stale", is_flag=True, help="Select partitions whose stored code version differs from the current one.")
@click.option("--dry-run", is_flag=True, help="Only list what would run.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Videos per run (default: dagster.backfill_batch_size in the config; 1: a run per video).")
@click.pass_context
def reprocess(ctx: click.Context, stale: bool, dry_run: bool, batch_size: int | None) -> None:
    """Run video partitions again after an algorithm changed (a stage's code version was bumped).

    Per video, the first stage built by an older code version and every stage after it run again
    (earlier stages are kept), in batched runs as `vitra backfill` runs them (a whole corpus is a backfill);
    then the episodes dataset replaces those videos' episodes.
    """
    if not stale:
        raise click.UsageError("say what to reprocess: --stale (partitions built by an older code version)")
    from vitra_assets.definitions import PER_VIDEO_ASSETS, defs
    from vitra_assets.instance import project_instance
    from vitra_assets.launcher import workspace_launcher
    from vitra_assets.partitions import source_name
    from vitra_assets.reprocess import stale_partitions
    from vitra_assets.runner import IngestReport
    from vitra_core.layout import DataLayout

    cfg = project_config(ctx)
    instance = project_instance(cfg)
    found = stale_partitions(instance, defs, [asset.key for asset in PER_VIDEO_ASSETS])
    if not found:
        click.echo("no stale partitions: every stage of every video was built by its current code version")
        return
    layout = DataLayout(cfg.data_root)
    print_table(["video", "source", "stale from", "built with", "current", "runs"],
                [[s.partition, (source_name(layout, s.partition) or "-")[:40], s.first_stale.to_user_string(),
                  s.built_with or "-", s.current or "-", " ".join(key.to_user_string() for key in s.assets)]
                 for s in found])
    if dry_run:
        click.echo(f"\n{len(found)} stale video partition(s); dry run, nothing launched")
        return
    with workspace_launcher(instance) as launcher:
        _run_videos_then_episodes(cfg, launcher, {s.partition: s.assets for s in found}, IngestReport(),
                                  batch_size or cfg.dagster.backfill_batch_size)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Videos per run (default: dagster.backfill_batch_size in the config).")
@click.pass_context
def backfill(ctx: click.Context, paths: tuple[Path, ...], batch_size: int | None) -> None:
    """Ingest PATHS (video files or folders) if given, then run every video's missing per-video stages in batched
    runs, up to the batch size per run and per process; then update the episodes.

    A batch that fails runs again one video per run, so a bad video fails alone (docs/scaling.md).
    """
    from vitra_assets.instance import project_instance
    from vitra_assets.launcher import workspace_launcher
    from vitra_assets.runner import IngestReport

    cfg = project_config(ctx)
    instance = project_instance(cfg)
    report = _ingest(cfg, instance, list(paths)) if paths else IngestReport()
    with workspace_launcher(instance) as launcher:
        _run_pending(cfg, launcher, report, batch_size or cfg.dagster.backfill_batch_size)


@main.command()
@click.option("--samples", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder of sample clips (default: paths.samples in the config).")
@click.option("--keep-controller", is_flag=True, help="Leave the hand controller running after the deployment.")
@click.pass_context
def demo(ctx: click.Context, samples: Path | None, keep_controller: bool) -> None:
    """Run the main job on the bundled sample clips, then print what was produced.

    Safe to repeat: videos already ingested and partitions already materialized are skipped.
    """
    cfg = project_config(ctx)
    samples = samples or cfg.resolve(cfg.paths.samples)
    if not samples.is_dir():
        raise click.ClickException(f"{samples}: sample folder not found (set paths.samples or pass --samples)")
    from vitra_assets.demo import ensure_controller_token
    from vitra_assets.instance import project_instance
    from vitra_assets.launcher import workspace_launcher

    click.echo(f"VITRA-Ops demo on {samples}")
    instance = project_instance(cfg)
    report = _ingest(cfg, instance, [samples])
    ensure_controller_token(cfg)  # before the code server starts: the deploy run reads it from the environment
    with workspace_launcher(instance) as launcher:
        _run_pending(cfg, launcher, report, cfg.dagster.backfill_batch_size)  # a folder of clips: a backfill
        click.echo("")
        print_status(cfg)
        _demo_model_to_controller(cfg, launcher, keep_controller)
    click.echo("\nSource videos are versioned with DVC: commit data/raw/*.dvc and dvc.lock to record them in git.")
    click.echo("Explore it:  .venv/bin/vitra ui   (Dagster UI: assets, partitions, runs, lineage)")
    click.echo(f"MLflow:      .venv/bin/mlflow ui --backend-store-uri {cfg.mlflow_tracking_uri}")
    if not keep_controller:
        click.echo(f"Controller:  {cfg.deploy.token_env}=$(openssl rand -hex 16) .venv/bin/vitra controller serve "
                   f"--config {cfg.deploy.controller_config}  (comes back with the deployed policy)")


def _demo_model_to_controller(cfg: VitraConfig, launcher, keep_controller: bool) -> None:
    """Pretrain, evaluate, record robot demos, fine-tune, evaluate roll-outs, deploy; then the summary."""
    from vitra_assets.definitions import MODEL_ASSETS, ROBOT_ASSETS, defs
    from vitra_assets.demo import deploy_on_local_controller, nothing_to_deploy, run_chain, summary
    from vitra_assets.lineage import render_lineage

    *before_deploy, deploy = [asset.key for asset in MODEL_ASSETS + ROBOT_ASSETS]
    run_chain(launcher, defs, before_deploy, click.echo)  # a VitraError ends the demo as `error: ...`
    undeployable = nothing_to_deploy(cfg)
    if undeployable:
        click.echo(f"{deploy.to_user_string()}: skipped; {undeployable}")
    else:
        deploy_on_local_controller(cfg, launcher, deploy, click.echo, keep_controller,
                                   then=lambda process: click.echo("\nlineage:\n" + render_lineage(cfg, process.client().policy())))
    shown = [*before_deploy] if undeployable else [*before_deploy, deploy]
    click.echo(summary(launcher.instance, ["episodes", *(key.to_user_string() for key in shown)]))
    if undeployable:
        click.echo(f"\n{deploy.to_user_string()}:\n  nothing deployed: {undeployable}")
