"""`vitra`: the command line of VITRA-Ops (ingest videos, run the demo, open the UI, show status)."""

from __future__ import annotations

import os
import shutil
import sys
import time
import traceback
from pathlib import Path

import click

from robot.cli import bundle, controller
from vitra_assets.benefit_cli import eval_group
from vitra_core import console
from vitra_core.config import VitraConfig, load_config
from vitra_core.errors import VitraError


def _config(ctx: click.Context) -> VitraConfig:
    return ctx.obj["config"]


def _print_table(headers: list[str], rows: list[list[object]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join("{:<%d}" % w for w in widths)
    click.echo(line.format(*headers))
    click.echo(line.format(*["-" * w for w in widths]))
    for row in cells:
        click.echo(line.format(*row))


# Commands whose own output is the point (a server in the foreground, an exec): never captured.
_UNCAPTURED = {"ui", "controller"}


class _VitraGroup(click.Group):
    """Known failures (a VitraError) end as one line, `error: <message>`, exit 1; an unexpected exception
    as one line naming the log file that holds its traceback (with --verbose: the traceback itself)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except VitraError as exc:
            if console.capturing() or console.verbose():
                console.to_log(traceback.format_exc())  # the log file; with --verbose, the terminal
            click.echo(f"error: {exc}", file=console.terminal())
            raise click.exceptions.Exit(1) from exc
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            log = console.capturing()
            if log is None:
                raise
            console.to_log(traceback.format_exc())
            click.echo(f"error: unexpected {type(exc).__name__}: {exc} (traceback in {log}; "
                       "--verbose shows it here)", file=console.terminal())
            raise click.exceptions.Exit(1) from exc


@click.group(cls=_VitraGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vitra-ops", prog_name="vitra")
@click.option("--profile", envvar="VITRA_PROFILE", default="default", show_default=True,
              help="Config profile: configs/<profile>.yaml (env VITRA_PROFILE).")
@click.option("-v", "--verbose", is_flag=True, envvar="VITRA_VERBOSE",
              help="Show everything on the terminal: library warnings, MediaPipe's C++ log, Dagster's DEBUG "
                   "lines, tracebacks (by default they go to paths.log_file, .vitra/logs/vitra.log).")
@click.pass_context
def main(ctx: click.Context, profile: str, verbose: bool) -> None:
    """VITRA-Ops: human hand videos in, dexterous robot policies out.

    Videos dropped into the inbox (see configs/default.yaml: paths.inbox) are ingested by the
    Dagster sensor when `vitra ui` is running, or right away by `vitra ingest`.
    """
    os.environ["VITRA_PROFILE"] = profile  # so Dagster resources and sensors load the same profile
    try:
        cfg = load_config(profile)
    except VitraError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.obj = {"config": cfg}
    if ctx.invoked_subcommand not in _UNCAPTURED:
        ctx.with_resource(console.captured_output(cfg.log_file, show_everything=verbose))


def _ingest(cfg: VitraConfig, paths: list[Path], run: bool) -> None:
    from vitra_assets.definitions import PER_VIDEO_ASSETS, defs
    from vitra_assets.instance import project_instance
    from vitra_assets.runner import IngestReport, drain_inbox, drop_into_inbox, expand_inputs, pending_work

    instance = project_instance(cfg)
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
    if not run:
        return
    work = pending_work(instance, [asset.key for asset in PER_VIDEO_ASSETS])
    if not work:
        click.echo("every video is processed through every stage; nothing to do")
    _run_videos_then_episodes(cfg, instance, defs, work, report)


def _run_videos_then_episodes(cfg: VitraConfig, instance, defs, work: dict, report) -> None:
    """One run per video partition (under its video lock), then the dataset update if any video changed (or it
    was never built)."""
    from vitra_assets.episodes import episodes
    from vitra_assets.partitions import source_name
    from vitra_assets.runner import materialize_corpus_asset, materialize_partitions
    from vitra_core.layout import DataLayout

    layout = DataLayout(cfg.data_root)
    materialize_partitions(instance, defs, work, report, layout)
    if report.failed:
        failed = ", ".join(f"{key} ({source_name(layout, key) or '?'})" for key in report.failed)
        click.echo(f"{len(report.failed)} video(s) failed: {failed} (see `vitra ui`, Runs)", file=console.terminal())
    if report.succeeded or instance.get_latest_materialization_event(episodes.key) is None:
        click.echo("episodes: dataset updated" if materialize_corpus_asset(instance, defs, episodes.key)
                   else "episodes: the dataset update failed (see `vitra ui`, Runs)")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--no-run", is_flag=True, help="Only ingest and add partitions; let the daemon run them.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], no_run: bool) -> None:
    """Ingest video files (or folders of videos) through the inbox and run the per-video stages.

    Each file is hashed; a new one becomes a `videos` partition, an identical one adds nothing,
    and a file that is not a readable video goes to data/quarantine with a reason file.
    """
    _ingest(_config(ctx), list(paths), run=not no_run)


@main.command()
@click.option("--stale", is_flag=True, help="Select partitions whose stored code version differs from the current one.")
@click.option("--dry-run", is_flag=True, help="Only list what would run.")
@click.pass_context
def reprocess(ctx: click.Context, stale: bool, dry_run: bool) -> None:
    """Run video partitions again after an algorithm changed (a stage's code version was bumped).

    Per video, the first stage built by an older code version and every stage after it run again
    (earlier stages are kept); then the episodes dataset replaces those videos' episodes.
    """
    if not stale:
        raise click.UsageError("say what to reprocess: --stale (partitions built by an older code version)")
    from vitra_assets.definitions import PER_VIDEO_ASSETS, defs
    from vitra_assets.instance import project_instance
    from vitra_assets.partitions import source_name
    from vitra_assets.reprocess import stale_partitions
    from vitra_assets.runner import IngestReport
    from vitra_core.layout import DataLayout

    cfg = _config(ctx)
    instance = project_instance(cfg)
    found = stale_partitions(instance, defs, [asset.key for asset in PER_VIDEO_ASSETS])
    if not found:
        click.echo("no stale partitions: every stage of every video was built by its current code version")
        return
    layout = DataLayout(_config(ctx).data_root)
    _print_table(["video", "source", "stale from", "built with", "current", "runs"],
                 [[s.partition, (source_name(layout, s.partition) or "-")[:40], s.first_stale.to_user_string(), s.built_with or "-", s.current or "-",
                   " ".join(key.to_user_string() for key in s.assets)] for s in found])
    if dry_run:
        click.echo(f"\n{len(found)} stale video partition(s); dry run, nothing launched")
        return
    _run_videos_then_episodes(cfg, instance, defs, {s.partition: s.assets for s in found}, IngestReport())


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


def _print_status(cfg: VitraConfig) -> None:
    from vitra_assets.definitions import PER_VIDEO_ASSETS
    from vitra_assets.instance import project_instance
    from vitra_assets.runner import materialization_status
    from vitra_core.layout import DataLayout

    instance = project_instance(cfg)
    stages = {asset.key.to_user_string(): materialization_status(instance, asset.key) for asset in PER_VIDEO_ASSETS}
    keys = sorted(next(iter(stages.values())))
    layout = DataLayout(cfg.data_root)
    rows = [_video_row(layout, key) + [status[key] for status in stages.values()] for key in keys]
    _print_table(_CLIP_HEADERS + ["hands L/R"] + list(stages), rows)
    quarantined = sorted((cfg.data_root / "quarantine").glob("*.reason.txt"))
    click.echo(f"\n{len(keys)} video partition(s); {len(quarantined)} file(s) in quarantine ({cfg.data_root / 'quarantine'})")
    _print_episodes(instance)


def _print_episodes(instance) -> None:
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
    _print_status(_config(ctx))


@main.command()
@click.option("--samples", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder of sample clips (default: paths.samples in the config).")
@click.option("--keep-controller", is_flag=True, help="Leave the hand controller running after the deployment.")
@click.pass_context
def demo(ctx: click.Context, samples: Path | None, keep_controller: bool) -> None:
    """Run the main job on the bundled sample clips, then print what was produced.

    Safe to repeat: videos already ingested and partitions already materialized are skipped.
    """
    cfg = _config(ctx)
    samples = samples or cfg.resolve(cfg.paths.samples)
    if not samples.is_dir():
        raise click.ClickException(f"{samples}: sample folder not found (set paths.samples or pass --samples)")
    click.echo(f"VITRA-Ops demo on {samples}")
    _ingest(cfg, [samples], run=True)
    click.echo("")
    _print_status(cfg)
    _demo_model_to_controller(cfg, keep_controller)
    click.echo("\nSource videos are versioned with DVC: commit data/raw/*.dvc and dvc.lock to record them in git.")
    click.echo("Explore it:  .venv/bin/vitra ui   (Dagster UI: assets, partitions, runs, lineage)")
    click.echo(f"MLflow:      .venv/bin/mlflow ui --backend-store-uri {cfg.mlflow_tracking_uri}")
    if not keep_controller:
        click.echo(f"Controller:  .venv/bin/vitra controller serve --config {cfg.deploy.controller_config}  "
                   "(comes back with the deployed policy)")


def _demo_model_to_controller(cfg: VitraConfig, keep_controller: bool) -> None:
    """Pretrain, evaluate, record robot demos, fine-tune, evaluate roll-outs, deploy; then the summary."""
    from vitra_assets.definitions import MODEL_ASSETS, ROBOT_ASSETS, defs
    from vitra_assets.demo import deploy_on_local_controller, nothing_to_deploy, run_chain, summary
    from vitra_assets.instance import project_instance
    from vitra_assets.lineage import render_lineage

    instance = project_instance(cfg)
    *before_deploy, deploy = [asset.key for asset in MODEL_ASSETS + ROBOT_ASSETS]
    run_chain(cfg, instance, defs, before_deploy, click.echo)  # a VitraError ends the demo as `error: ...`
    undeployable = nothing_to_deploy(cfg)
    if undeployable:
        click.echo(f"{deploy.to_user_string()}: skipped; {undeployable}")
    else:
        deploy_on_local_controller(cfg, instance, defs, deploy, click.echo, keep_controller,
                                   then=lambda process: click.echo("\nlineage:\n" + render_lineage(cfg, process.client().policy())))
    shown = [*before_deploy] if undeployable else [*before_deploy, deploy]
    click.echo(summary(instance, ["episodes", *(key.to_user_string() for key in shown)]))
    if undeployable:
        click.echo(f"\n{deploy.to_user_string()}:\n  nothing deployed: {undeployable}")


@main.command()
@click.option("--port", default=3000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.pass_context
def ui(ctx: click.Context, port: int, host: str) -> None:
    """Start `dagster dev` (webserver and daemon, inbox sensor on) on the project's DAGSTER_HOME."""
    from vitra_assets.instance import ensure_dagster_home

    home = ensure_dagster_home(_config(ctx))
    dagster = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
    click.echo(f"DAGSTER_HOME={home}\nDagster UI: http://{host}:{port}  (Ctrl-C to stop)")
    os.execvp(dagster, [dagster, "dev", "-m", "vitra_assets.definitions", "-h", host, "-p", str(port)])


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

    cfg = _config(ctx.parent.parent)
    report = sync_episodes(DataLayout(cfg.data_root), cfg.episodes, cfg.episode_quality)
    click.echo(f"episodes: {report.episodes} episodes, {report.frames} frames; videos added {len(report.added)}, "
               f"replaced {len(report.replaced)}, unchanged {len(report.unchanged)}, removed {len(report.removed)}")


@episodes.command("migrate")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Dataset folder (default: data/episodes of the configured data root).")
@click.pass_context
def episodes_migrate(ctx: click.Context, root: Path | None) -> None:
    """Convert a dataset written in LeRobot v2.1 by an earlier VITRA-Ops to v3.0, in place and losslessly
    (same frames, states, tasks and stats; the action column is added as the next state)."""
    from vitra_core.episodes.migrate import migrate_v21
    from vitra_core.episodes.stage import dataset_dir
    from vitra_core.layout import DataLayout

    root = root or dataset_dir(DataLayout(_config(ctx.parent.parent).data_root))
    meta = migrate_v21(root)
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

    cfg = _config(ctx.parent.parent)
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
def train() -> None:
    """Train the VLA (tracked in MLflow, registered in its model registry)."""


@train.command("pretrain")
@click.option("--evaluate/--no-evaluate", default=True, show_default=True,
              help="Also run vla_eval on the held-out videos (and move `champion` if it wins).")
@click.pass_context
def train_pretrain(ctx: click.Context, evaluate: bool) -> None:
    """Pretrain on data/episodes into data/pretrained_vla (the `dvc repro pretrain` command).

    A killed run resumes from its last checkpoint in .vitra/runs/; see `pretrain:` in configs/.
    """
    from vitra_core.episodes.stage import EPISODES_DIR
    from vitra_core.training.evaluation import errors_table
    from vitra_core.training.pretrain import PRETRAINED_DIR, evaluate_pretrained, pretrain_stage
    from vitra_core.training.tracking import tracking_target

    cfg = _config(ctx.parent.parent)
    record = pretrain_stage(cfg)
    click.echo(f"pretrained {record.model_name} v{record.model_version} (run {record.run_id}): loss "
               f"{record.first_loss:.3f} -> {record.final_loss:.3f} in {record.steps} steps, {record.seconds:.0f} s")
    if evaluate:
        errors, gate, promoted = evaluate_pretrained(cfg.data_root / PRETRAINED_DIR, cfg.data_root / EPISODES_DIR,
                                                     tracking_target(cfg))
        click.echo(errors_table(errors))
        click.echo(f"gate {gate.summary()}")
        click.echo("champion: " + ("this version" if promoted else "unchanged" + (
            " (this version did not beat it)" if gate.passed else " (this version did not pass the gate)")))


@main.command()
@click.option("--url", default=None, help="Controller URL (default: deploy.url, else configs/robot/controller.yaml's host:port).")
@click.pass_context
def lineage(ctx: click.Context, url: str | None) -> None:
    """Trace the controller's active policy back to its MLflow run, pretrained model, episodes (DVC hash),
    source videos (SHA-256) and the code version of every stage that built them."""
    from robot.controller.config import load_controller_config
    from robot.controller.offline import stored_policy
    from robot.deploy_client import ControllerError, DeployClient
    from vitra_assets.controller import controller_url
    from vitra_assets.lineage import render_lineage

    cfg = _config(ctx)
    url = url or controller_url(cfg)
    try:
        policy = DeployClient(url).policy()
    except ControllerError as exc:
        if exc.status is not None:
            raise click.ClickException(str(exc)) from exc
        config_path = cfg.resolve(cfg.deploy.controller_config)
        config = load_controller_config(config_path)
        try:
            policy = stored_policy(config)
        except VitraError as store_exc:
            raise click.ClickException(f"controller not running at {url}, and its store cannot be read: {store_exc}") from store_exc
        click.echo(f"controller not running at {url} (start it: {cfg.deploy.token_env}=<token> vitra controller serve "
                   f"--config {cfg.deploy.controller_config}); the last deployed bundle, from its store "
                   f"{config.resolve(config.deploy.store_dir)}:\n")
    if not policy["bundle_id"]:
        raise click.ClickException("the controller has no active policy (deploy one: materialize deployed_policy)")
    click.echo(render_lineage(cfg, policy))


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

    cfg = _config(ctx.parent.parent)
    out = out or cfg.data_root / "vitra_npy"
    written = export_vitra_npy(dataset_dir(DataLayout(cfg.data_root)), out)
    click.echo(f"wrote {len(written)} episode file(s) to {out}")


main.add_command(controller)
main.add_command(bundle)
main.add_command(eval_group)


if __name__ == "__main__":
    main()
