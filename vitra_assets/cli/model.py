"""`vitra train ...`, `vitra lineage` and `vitra ui`: the model, where a deployed policy came from, the Dagster UI."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from vitra_assets.cli.app import main, project_config
from vitra_core.errors import VitraError

@main.command()
@click.option("--port", default=3000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.pass_context
def ui(ctx: click.Context, port: int, host: str) -> None:
    """Start `dagster dev` (webserver and daemon, inbox sensor on) on the project's DAGSTER_HOME."""
    from vitra_assets.instance import ensure_dagster_home

    home = ensure_dagster_home(project_config(ctx))
    dagster = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
    click.echo(f"DAGSTER_HOME={home}\nDagster UI: http://{host}:{port}  (Ctrl-C to stop)")
    os.execvp(dagster, [dagster, "dev", "-m", "vitra_assets.definitions", "-h", host, "-p", str(port)])


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

    cfg = project_config(ctx.parent.parent)
    record = pretrain_stage(cfg)
    click.echo(f"pretrained {record.model_name} v{record.model_version} (run {record.run_id}): loss "
               f"{record.first_loss:.3f} -> {record.final_loss:.3f} in {record.steps} steps, {record.seconds:.0f} s")
    if evaluate:
        errors, gate, promoted = evaluate_pretrained(cfg.data_root / PRETRAINED_DIR, cfg.data_root / EPISODES_DIR,
                                                     tracking_target(cfg), cfg.pretrain.flow_samples)
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

    cfg = project_config(ctx)
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
        click.echo(f"controller not running at {url} (start it: {cfg.deploy.token_env}=$(openssl rand -hex 16) vitra controller serve "
                   f"--config {cfg.deploy.controller_config}); the last deployed bundle, from its store "
                   f"{config.resolve(config.deploy.store_dir)}:\n")
    if not policy["bundle_id"]:
        raise click.ClickException("the controller has no active policy (deploy one: materialize deployed_policy)")
    click.echo(render_lineage(cfg, policy))


