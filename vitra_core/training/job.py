"""One tracked training job: train, log everything to MLflow, register the policy, publish its folder.

Shared by pretraining (human episodes) and fine-tuning (robot demos): they differ only in dataset,
episodes, starting weights and registered name. Checkpoints live in a work folder keyed by the job's
settings and dataset version, so a killed job resumes where it stopped and a changed one starts over.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from vitra_core.console import progress
from vitra_core.fsutil import publish_dir, write_json_atomic
from vitra_core.training.settings import TrainingJobSettings
from vitra_core.training.tracking import (
    DatasetRef, TrackingTarget, ensure_registered_model, git_commit, run_name, tracked_run,
)

if TYPE_CHECKING:
    from vitra_core.model import VLAConfig
    from vitra_core.training.loop import TrainResult, Validator

RUN_FILE = "training_run.json"


class TrainingRecord(BaseModel):
    """Written beside the published policy: the links lineage and evaluation follow. `dataset_dvc_md5` is the
    training dataset's version (a DVC md5 for the episodes, the content fingerprint for robot demos; bundles
    carry it under this name); with validation, `best_step` and `val` say which step was kept and why."""

    run_id: str
    experiment: str
    model_name: str
    model_version: str
    dataset_dvc_md5: str
    dataset_episodes: int
    episodes: list[int]
    git_commit: str
    steps: int
    first_loss: float
    final_loss: float
    seconds: float
    best_step: int | None = None
    val: dict[str, float] = {}
    stopped_early: bool = False
    extra: dict[str, Any] = {}


def read_training_record(policy_dir: Path) -> TrainingRecord:
    return TrainingRecord.model_validate_json((policy_dir / RUN_FILE).read_text())


def work_dir_for(runs_root: Path, name: str, settings: TrainingJobSettings, model_config: "VLAConfig",
                 dataset_dvc_md5: str, init_from: str) -> Path:
    key = json.dumps([settings.model_dump(mode="json"), model_config.model_dump(mode="json"), dataset_dvc_md5, init_from],
                     sort_keys=True)
    return runs_root / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _description(name: str, dataset: DatasetRef, episodes: list[int], result: "TrainResult") -> str:
    """The registered version's description: what it was trained on, how long, and which step was kept."""
    text = (f"{name}: {len(episodes)} episodes of {dataset.name} ({dataset.version_kind} {dataset.version}), "
            f"{result.steps} steps, train loss {result.losses[0]:.3f} -> {result.final_loss:.3f}")
    if result.best_step is not None:
        figures = ", ".join(f"{k} {v:.3f}" for k, v in result.best_metrics.items())
        stop = "stopped early" if result.stopped_early else "ran every step"
        text += f"; kept step {result.best_step} (best held-out; {stop}): {figures}"
    return text


def run_training_job(settings: TrainingJobSettings, *, name: str, dataset: DatasetRef, episodes: list[int],
                     out_dir: Path, runs_root: Path, tracking: TrackingTarget, repo_root: Path,
                     init_from: Path | None = None, model_config: "VLAConfig | None" = None,
                     extra: dict[str, Any] | None = None, held_out: dict[str, list[int]] | None = None,
                     validator: "Validator | None" = None, links: dict[str, str] | None = None) -> TrainingRecord:
    """Train on `episodes` of the dataset, track it as an MLflow run of job `name`, publish the policy to `out_dir`.

    The model is `settings.size` with `settings.model` overrides unless `model_config` is given. `held_out`
    ({"validation": [...], "evaluation": [...]}) are logged as the run's other dataset inputs; `validator`
    picks the kept step (see loop.train); `links` are extra run tags (the Dagster run and asset).
    """
    from vitra_core.model import VLAConfig  # torch-heavy imports only when a job runs
    from vitra_core.training import train

    model_config = model_config or VLAConfig.preset(settings.size, **settings.model)
    train_config = settings.train.model_copy(update={"init_from": init_from})
    work_dir = work_dir_for(runs_root, name, settings, model_config, dataset.version, str(init_from or ""))
    commit = git_commit(repo_root)
    extra = extra or {}
    ensure_registered_model(tracking.uri, settings.registered_model, f"VITRA-Ops {name} policies")
    params = {"model": model_config.model_dump(mode="json"), "train": train_config.model_dump(mode="json"),
              "dataset": {dataset.version_kind: dataset.version, "episodes": len(episodes), "root": str(dataset.root)},
              "git_commit": commit, **extra}
    tags = {"vitra.job": name, dataset.version_tag: dataset.version, "mlflow.source.git.commit": commit,
            **(links or {})}
    with tracked_run(tracking, settings.experiment, run_name(name, model_config.size, dataset), params, tags) as run, \
            progress(total=train_config.steps, desc=name, unit="step") as bar:  # the terminal's stderr, only on a tty
        for context, selection in {"training": episodes, **(held_out or {})}.items():
            if selection:  # two videos: no validation set
                run.log_dataset(dataset, selection, context)

        def on_step(step: int, metrics: dict[str, float]) -> None:
            run.log_step(step, metrics)
            bar.update(step - bar.n)
            if "train/loss" in metrics:
                bar.set_postfix(loss=f"{metrics['train/loss']:.3f}")

        result = train(model_config, train_config, dataset.root, work_dir, episodes=episodes, on_step=on_step,
                       validator=validator)
        run.log_dict(result.normaliser, "normaliser.json")
        checkpoints = sorted((work_dir / "checkpoints").glob("step_*"))
        if checkpoints:
            run.log_artifacts(checkpoints[-1], "checkpoint")
        version = run.log_policy(result.policy_dir, settings.registered_model,
                                 _description(name, dataset, episodes, result))
        record = TrainingRecord(
            run_id=run.run_id, experiment=settings.experiment, model_name=settings.registered_model,
            model_version=str(version.version), dataset_dvc_md5=dataset.version, dataset_episodes=len(episodes),
            episodes=episodes, git_commit=commit, steps=result.steps, first_loss=result.losses[0],
            final_loss=result.final_loss, seconds=result.seconds, best_step=result.best_step,
            val=result.best_metrics, stopped_early=result.stopped_early, extra=extra,
        )
        run.log_dict(record.model_dump(mode="json"), RUN_FILE)
    staging = out_dir.parent / f".{out_dir.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(result.policy_dir, staging)
    write_json_atomic(staging / RUN_FILE, record)
    publish_dir(staging, out_dir)
    return record


def training_record_of_run(tracking_uri: str, run_id: str) -> TrainingRecord:
    """The training record a job logged to its MLflow run (for a model fetched from the registry)."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    return TrainingRecord.model_validate(mlflow.artifacts.load_dict(f"runs:/{run_id}/{RUN_FILE}"))
