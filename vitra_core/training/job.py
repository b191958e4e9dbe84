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
from vitra_core.training.tracking import TrackingTarget, ensure_registered_model, git_commit, tracked_run

if TYPE_CHECKING:
    from vitra_core.model import VLAConfig

RUN_FILE = "training_run.json"


class TrainingRecord(BaseModel):
    """Written beside the published policy: the links lineage and evaluation follow."""

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
    extra: dict[str, Any] = {}


def read_training_record(policy_dir: Path) -> TrainingRecord:
    return TrainingRecord.model_validate_json((policy_dir / RUN_FILE).read_text())


def work_dir_for(runs_root: Path, name: str, settings: TrainingJobSettings, model_config: "VLAConfig",
                 dataset_dvc_md5: str, init_from: str) -> Path:
    key = json.dumps([settings.model_dump(mode="json"), model_config.model_dump(mode="json"), dataset_dvc_md5, init_from],
                     sort_keys=True)
    return runs_root / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def run_training_job(settings: TrainingJobSettings, *, name: str, dataset_root: Path, dataset_dvc_md5: str,
                     episodes: list[int], out_dir: Path, runs_root: Path, tracking: TrackingTarget, repo_root: Path,
                     init_from: Path | None = None, model_config: "VLAConfig | None" = None,
                     extra: dict[str, Any] | None = None) -> TrainingRecord:
    """Train on `episodes` of the dataset, track it as MLflow run `name`, publish the policy to `out_dir`.

    The model is `settings.size` with `settings.model` overrides unless `model_config` is given.
    """
    from vitra_core.model import VLAConfig  # torch-heavy imports only when a job runs
    from vitra_core.training import train

    model_config = model_config or VLAConfig.preset(settings.size, **settings.model)
    train_config = settings.train.model_copy(update={"init_from": init_from})
    work_dir = work_dir_for(runs_root, name, settings, model_config, dataset_dvc_md5, str(init_from or ""))
    commit = git_commit(repo_root)
    extra = extra or {}
    ensure_registered_model(tracking.uri, settings.registered_model, f"VITRA-Ops {name} policies")
    params = {"model": model_config.model_dump(mode="json"), "train": train_config.model_dump(mode="json"),
              "dataset": {"dvc_md5": dataset_dvc_md5, "episodes": len(episodes), "root": str(dataset_root)},
              "git_commit": commit, **extra}
    tags = {"vitra.job": name, "vitra.dataset_dvc_md5": dataset_dvc_md5, "mlflow.source.git.commit": commit}
    with tracked_run(tracking, settings.experiment, name, params, tags) as run, \
            progress(total=train_config.steps, desc=name, unit="step") as bar:  # the terminal's stderr, only on a tty
        def on_step(step: int, metrics: dict[str, float]) -> None:
            run.log_step(step, metrics)
            bar.update(step - bar.n)
            bar.set_postfix(loss=f"{metrics['loss']:.3f}")

        result = train(model_config, train_config, dataset_root, work_dir, episodes=episodes, on_step=on_step)
        run.log_metrics({"first_loss": result.losses[0], "final_loss": result.final_loss, "train_seconds": result.seconds})
        run.log_dict(result.normaliser, "normaliser.json")
        checkpoints = sorted((work_dir / "checkpoints").glob("step_*"))
        if checkpoints:
            run.log_artifacts(checkpoints[-1], "checkpoint")
        version = run.log_policy(result.policy_dir, settings.registered_model)
        record = TrainingRecord(
            run_id=run.run_id, experiment=settings.experiment, model_name=settings.registered_model,
            model_version=str(version.version), dataset_dvc_md5=dataset_dvc_md5, dataset_episodes=len(episodes),
            episodes=episodes, git_commit=commit, steps=result.steps, first_loss=result.losses[0],
            final_loss=result.final_loss, seconds=result.seconds, extra=extra,
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
