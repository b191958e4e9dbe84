"""The rest of the main job after the dataset: model, robot side, deployment on a local controller, summary.

Each corpus asset runs only when it was never built or something upstream was materialized after it,
so a repeated `vitra demo` does no work twice. An evaluation whose promotion gate fails (a blocking check)
is reported and the chain goes on: the candidate simply does not become `champion`. Only the champion (or
a version pinned in `deploy.model_version`) is deployed; with neither, the demo deploys nothing and says
so. The controller is started as its own process for the deployment and stopped at the end (its store
keeps the deployed bundle for the next start).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from dagster import AssetKey, DagsterInstance, DagsterRun, Definitions

from robot.bundle import write_keypair
from robot.controller.process import ControllerProcess
from vitra_assets.controller import controller_url
from vitra_assets.launcher import Launcher, run_line
from vitra_assets.runner import run_spec
from vitra_core.config import VitraConfig
from vitra_core.errors import VitraError

# Asset -> the metadata keys the summary prints for it.
SUMMARY_KEYS: dict[str, tuple[str, ...]] = {
    "episodes": ("episodes", "frames", "episodes_below_quality_floor", "dvc_md5"),
    "pretrained_vla": ("model", "first_loss", "final_loss", "steps", "train_seconds", "held_out_videos"),
    "vla_eval": ("errors", "gate", "champion"),
    "robot_demos": ("demonstrators", "episodes", "frames"),
    "finetuned_policy": ("training",),
    "policy_eval": ("success", "gate", "champion"),
    "pretraining_benefit": ("benefit", "plot_path"),
    "deployed_policy": ("model", "selected_by", "bundle_id", "controller_url", "loop_rate_hz"),
}


def _latest_timestamp(instance: DagsterInstance, key: AssetKey) -> float | None:
    event = instance.get_latest_materialization_event(key)
    return event.timestamp if event else None


def outdated(instance: DagsterInstance, defs: Definitions, key: AssetKey) -> bool:
    """Never materialized, or an upstream asset was materialized after it."""
    built = _latest_timestamp(instance, key)
    if built is None:
        return True
    upstream = defs.resolve_asset_graph().get(key).parent_keys
    return any((_latest_timestamp(instance, parent) or 0.0) > built for parent in upstream)


def ensure_signing_key(cfg: VitraConfig) -> Path:
    """The configured bundle signing key, created (with its public half beside it) on first use."""
    key = cfg.resolve(cfg.deploy.signing_key)
    if not key.exists():
        write_keypair(key.parent)
    return key


def run_chain(launcher: Launcher, defs: Definitions, keys: list[AssetKey], echo: Callable[[str], None]) -> list[str]:
    """Run each outdated asset of `keys` in order, each as a run of its named job; stop at the first failure.
    Returns the ones run."""
    instance = launcher.instance
    ran = []
    for key in keys:
        name = key.to_user_string()
        if not outdated(instance, defs, key):
            echo(f"{name}: up to date")
            continue
        started = time.time()
        run = launcher.run(run_spec([key]), label=name)
        if not run.is_success:
            if (_latest_timestamp(instance, key) or 0.0) < started:
                raise VitraError(f"{name} failed: {run_line(run)}")
            echo(f"{name}: {_failed_check_line(instance, key)}, run {run.run_id[:8]}")
        else:
            echo(f"{name}: {run_line(run)} in {time.time() - started:.0f} s")
        ran.append(name)
    return ran


def _failed_check_line(instance: DagsterInstance, key: AssetKey) -> str:
    """The asset was materialized and then a blocking check failed: for an evaluation, its promotion gate."""
    metadata = instance.get_latest_materialization_event(key).asset_materialization.metadata
    if "gate" in metadata:
        return f"champion unchanged, gate {metadata['gate'].value}"
    return "materialized, but a blocking check failed (see its run in the Dagster UI)"


def nothing_to_deploy(cfg: VitraConfig) -> str | None:
    """Why there is nothing to deploy (no champion, no pinned version), or None when there is a version."""
    from vitra_core.training.tracking import NoChampionError, deployable_version

    try:
        deployable_version(cfg.mlflow_tracking_uri, cfg.deploy.model, cfg.deploy.model_version)
    except NoChampionError as exc:
        return str(exc)
    return None


def ensure_controller_token(cfg: VitraConfig) -> str:
    """The deploy token in `deploy.token_env`: the person's, else a fresh one set in this process's environment,
    which the code server and its run workers inherit (so call it before `workspace_launcher`)."""
    token = os.environ.get(cfg.deploy.token_env) or secrets.token_urlsafe(24)
    os.environ[cfg.deploy.token_env] = token
    return token


def deploy_on_local_controller(cfg: VitraConfig, launcher: Launcher, key: AssetKey, echo: Callable[[str], None],
                               keep_running: bool, then: Callable[[ControllerProcess], None]) -> ControllerProcess:
    """Start the controller of configs/robot/controller.yaml with the deploy token, run `key` (the deployment)
    against it, call `then` while it runs; stop it afterwards unless `keep_running`."""
    ensure_signing_key(cfg)
    port = int(controller_url(cfg).rsplit(":", 1)[1])
    process = ControllerProcess(cfg.resolve(cfg.deploy.controller_config), ensure_controller_token(cfg),
                                cfg.deploy.token_env, port=port, log_dir=cfg.runs_dir.parent)
    echo(f"controller: starting on {process.url} (log {process.log_path})")
    process.start()
    try:
        run: DagsterRun = launcher.run(run_spec([key]), label=key.to_user_string())
        if not run.is_success:
            raise VitraError(f"{key.to_user_string()} failed: {run_line(run)}; controller log: {process.log_path}")
        echo(f"{key.to_user_string()}: {run_line(run)}")
        then(process)
    finally:
        if not keep_running:
            process.stop()
    return process


def summary(instance: DagsterInstance, names: list[str]) -> str:
    """The key figures of each asset's latest materialization, as text."""
    lines = []
    for name in names:
        event = instance.get_latest_materialization_event(AssetKey(name))
        if event is None:
            continue
        metadata = event.asset_materialization.metadata
        lines.append(f"\n{name}:")
        for key in SUMMARY_KEYS.get(name, ()):
            if key in metadata:
                value = metadata[key].value
                text = f"{value:.4g}" if isinstance(value, float) else str(value)  # a loss to 4 digits, not 16
                lines.append(("  " + text.replace("\n", "\n  ")) if "\n" in text else f"  {key}: {text}")
    return "\n".join(lines)
