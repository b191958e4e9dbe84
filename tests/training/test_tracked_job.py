"""A tracked training job as an MLflow user finds it: a model-training experiment, a uniquely named run with its
dataset inputs, system metrics, train/ and val/ curves, links to the Dagster run, and a registered version with an
input example, a signature and a description."""

from __future__ import annotations

import json
import re

import mlflow
import pytest
from mlflow import MlflowClient

from tests.training.helpers import right_hand_episodes, short_run
from vitra_core.training.job import run_training_job
from vitra_core.training.settings import PretrainSettings
from vitra_core.training.split import split_dataset
from vitra_core.training.tracking import (
    CANDIDATE, DatasetRef, TrackingTarget, dagster_links,
)
from vitra_core.training.validation import HeldOutValidation

VERSION = "fe305437c024c6dd9db9c9d1afe403ab.dir"  # a DVC directory md5


@pytest.fixture
def fast_system_metrics():
    """Sample system metrics every 0.2 s (default 10 s) so a short job records some."""
    mlflow.set_system_metrics_sampling_interval(0.2)
    mlflow.set_system_metrics_samples_before_logging(1)
    yield
    mlflow.set_system_metrics_sampling_interval(None)
    mlflow.set_system_metrics_samples_before_logging(None)


@pytest.mark.slow
def test_a_training_job_is_tracked_as_mlflow_users_expect(scratch_build, tmp_path, fast_system_metrics):
    tracking = TrackingTarget(uri=f"sqlite:///{tmp_path}/mlflow.db", artifact_location=tmp_path / "artifacts")
    split = split_dataset(scratch_build, eval_fraction=0.34, val_fraction=0.34, seed=0)
    train_episodes = [i for i in right_hand_episodes(scratch_build, "cooking") + split.train_episodes
                      if i in split.train_episodes]
    settings = PretrainSettings(size="tiny", experiment="exp", registered_model="vla-test",
                                train=short_run(steps=6, validate_every=3))
    dataset = DatasetRef(name="episodes", root=scratch_build, version=VERSION, version_kind="dvc_md5")
    record = run_training_job(
        settings, name="pretrain", dataset=dataset, episodes=train_episodes, out_dir=tmp_path / "policy",
        runs_root=tmp_path / "runs", tracking=tracking, repo_root=tmp_path,
        held_out={"validation": split.val_episodes, "evaluation": split.eval_episodes},
        validator=HeldOutValidation(scratch_build, split.val_episodes, 16, samples=2, max_windows=8),
        links=dagster_links("0f1e2d3c-run", "pretrained_vla"))

    client = MlflowClient(tracking.uri)
    run = client.get_run(record.run_id)
    assert client.get_experiment(run.info.experiment_id).tags["mlflow.experimentKind"] == "custom_model_development"
    assert re.fullmatch(r"pretrain-tiny-fe305437-\d{4}-\d{6}", run.info.run_name)
    tags = run.data.tags
    assert (tags["dagster.run_id"], tags["dagster.asset_key"]) == ("0f1e2d3c-run", "pretrained_vla")
    assert tags["vitra.episodes.dvc_md5"] == VERSION and "mlflow.user" in tags and "mlflow.source.name" in tags

    inputs = {{t.key: t.value for t in i.tags}["mlflow.data.context"]: i.dataset for i in run.inputs.dataset_inputs}
    assert set(inputs) == {"training", "validation", "evaluation"}
    assert inputs["validation"].name == "episodes-validation" and {d.digest for d in inputs.values()} == {VERSION}
    assert json.loads(inputs["training"].profile)["num_rows"] == len(train_episodes)
    assert json.loads(inputs["evaluation"].profile)["num_rows"] == len(split.eval_episodes)

    metrics = run.data.metrics
    assert len(client.get_metric_history(run.info.run_id, "train/loss")) == 6
    assert [m.step for m in client.get_metric_history(run.info.run_id, "val/wrist_ade_cm")] == [3, 6]
    assert "val/loss" in metrics and any(key.startswith("system/") for key in metrics)
    assert not [key for key in metrics if not key.startswith(("train/", "val/", "system/"))]

    version = client.get_model_version_by_alias("vla-test", CANDIDATE)
    assert version.run_id == record.run_id and f"kept step {record.best_step}" in version.description
    assert VERSION in version.description
    model = mlflow.models.Model.load(f"models:/vla-test/{version.version}")
    assert model.saved_input_example_info is not None and model.signature is not None
