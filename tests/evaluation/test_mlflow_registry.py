"""MLflow tracking of a policy: run, pyfunc model with signature, registry aliases, champion promotion."""

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from vitra_core.model import VLAConfig, VLAPolicy
from vitra_core.model.normaliser import Normaliser
from vitra_core.training.tracking import (
    CANDIDATE, CHAMPION, TrackingTarget, download_policy, ensure_registered_model, model_version, promote_if_better,
    tracked_run,
)

MODEL = "vitra-test"


@pytest.fixture(scope="module")
def tiny_policy_dir(tmp_path_factory):
    normaliser = Normaliser(state_mean=[0.0] * 102, state_std=[1.0] * 102, fov_mean_deg=[60.0, 45.0], fov_std_deg=[10.0, 10.0])
    folder = tmp_path_factory.mktemp("policy")
    VLAPolicy.create(VLAConfig.preset("tiny"), normaliser).save(folder)
    return folder


@pytest.fixture
def tracking(tmp_path) -> TrackingTarget:
    return TrackingTarget(uri=f"sqlite:///{tmp_path}/mlflow.db", artifact_location=tmp_path / "artifacts")


def register(tracking, policy_dir, metric: float) -> str:
    ensure_registered_model(tracking.uri, MODEL, "test")
    with tracked_run(tracking, "exp", "pretrain", {"train": {"lr": 0.001, "steps": 3}}, {"vitra.job": "test"}) as run:
        for step in range(3):
            run.log_step(step, {"loss": 1.0 / (step + 1)})
        version = run.log_policy(policy_dir, MODEL, "a test policy")
        run.log_metrics({"eval/model/wrist_ade_cm": metric})
    return version.version


def test_a_logged_policy_is_registered_as_candidate_and_loads_through_pyfunc(tracking, tiny_policy_dir, tmp_path):
    version = register(tracking, tiny_policy_dir, metric=5.0)
    client = MlflowClient(tracking.uri)
    registered = client.get_model_version_by_alias(MODEL, CANDIDATE)
    assert registered.version == version
    run = client.get_run(registered.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["train.lr"] == "0.001"
    assert [m.value for m in client.get_metric_history(run.info.run_id, "loss")] == pytest.approx([1.0, 0.5, 1 / 3])
    assert model_version(tracking.uri, MODEL).version == version

    pyfunc = mlflow.pyfunc.load_model(f"models:/{MODEL}@{CANDIDATE}")
    inputs = pyfunc.metadata.get_input_schema().input_names()
    assert set(inputs) == {"image", "instruction", "state", "state_mask", "fov"}
    batch = {"image": np.zeros((2, 40, 30, 3), np.uint8), "instruction": np.array(["Left hand: None. Right hand: Wave."] * 2),
             "state": np.zeros((2, 102), np.float32), "state_mask": np.array([[False, True]] * 2),
             "fov": np.array([[60.0, 45.0]] * 2, np.float32)}
    chunks = pyfunc.predict(batch)
    local = VLAPolicy.load(download_policy(tracking.uri, registered, tmp_path / "downloaded"))
    expected = local.predict(batch["image"][0], str(batch["instruction"][0]), batch["state"][0], batch["state_mask"][0], batch["fov"][0])
    assert chunks.shape == (2, 16, 102)
    np.testing.assert_allclose(chunks[0], expected, atol=1e-5)


def test_champion_moves_only_when_evaluation_beats_it(tracking, tiny_policy_dir):
    first = register(tracking, tiny_policy_dir, metric=5.0)
    assert promote_if_better(tracking.uri, MODEL, first, "eval/model/wrist_ade_cm", higher_is_better=False)
    worse = register(tracking, tiny_policy_dir, metric=6.0)
    assert not promote_if_better(tracking.uri, MODEL, worse, "eval/model/wrist_ade_cm", higher_is_better=False)
    assert model_version(tracking.uri, MODEL, CHAMPION).version == first
    better = register(tracking, tiny_policy_dir, metric=4.0)
    assert promote_if_better(tracking.uri, MODEL, better, "eval/model/wrist_ade_cm", higher_is_better=False)
    assert model_version(tracking.uri, MODEL, CHAMPION).version == better
    assert model_version(tracking.uri, MODEL, CANDIDATE).version == better


def test_a_failing_job_marks_its_run_failed(tracking):
    with pytest.raises(RuntimeError):
        with tracked_run(tracking, "exp", "pretrain", {}, {}) as run:
            raise RuntimeError("out of memory")
    assert MlflowClient(tracking.uri).get_run(run.run_id).info.status == "FAILED"
