"""`deployed_policy` deploys the champion only: with none (and nothing pinned in deploy.model_version) it
deploys nothing, fails saying why, and never contacts the controller; `vitra demo` then skips it and says so."""

from dagster import DagsterInstance, materialize
from mlflow import MlflowClient

from robot.controller.process import free_port
from vitra_assets.controller import ControllerResource
from vitra_assets.demo import nothing_to_deploy
from vitra_assets.deployed_policy import deployed_policy
from vitra_core.training.tracking import (
    CANDIDATE,
    ensure_registered_model,
    tracked_run,
    tracking_target,
)

TOKEN_ENV = "VITRA_TEST_CONTROLLER_TOKEN"


def test_deployed_policy_with_no_champion_deploys_nothing_and_says_why(tmp_project, tmp_path, monkeypatch):
    tmp_project.overrides.update({"mlflow.tracking_uri": f"sqlite:///{tmp_path}/mlflow.db",
                                  "mlflow.artifact_location": str(tmp_path / "mlartifacts"),
                                  "deploy.bundles_dir": str(tmp_path / "bundles")})
    cfg = tmp_project.config
    ensure_registered_model(cfg.mlflow_tracking_uri, cfg.deploy.model, "test")
    with tracked_run(tracking_target(cfg), "vitra-finetune", "finetune", {}, {}) as run:
        pass
    client = MlflowClient(cfg.mlflow_tracking_uri)
    version = client.create_model_version(cfg.deploy.model, f"runs:/{run.run_id}/policy", run_id=run.run_id)
    client.set_registered_model_alias(cfg.deploy.model, CANDIDATE, version.version)  # a candidate, never promoted
    monkeypatch.setenv(TOKEN_ENV, "t0ken")
    nobody_listens = ControllerResource(url=f"http://127.0.0.1:{free_port()}", token_env=TOKEN_ENV)

    with DagsterInstance.ephemeral() as instance:
        result = materialize([deployed_policy], instance=instance, raise_on_error=False,
                             resources={"vitra": tmp_project.resource(), "controller": nobody_listens})
        assert not result.success
        assert instance.get_latest_materialization_event(deployed_policy.key) is None
    failure = result.failure_data_for_node("deployed_policy").error.cause  # what the asset raised
    assert failure.cls_name == "NoChampionError"
    assert "vitra-policy has no champion" in failure.message and "deploy.model_version" in failure.message
    assert not (tmp_path / "bundles").exists()  # not even a bundle was built
    assert "vitra-policy has no champion" in nothing_to_deploy(cfg)  # what `vitra demo` prints instead
