"""Every asset after the dataset, materialized with Dagster on real clips: pretraining and its held-out
evaluation, robot demos, fine-tuning with its control, roll-out evaluation, and a deployment to a real
controller process; then the registry, the controller and the lineage are queried. Tiny training does
not make a policy worth promoting: the policy's gate fails (floor 100%), so there is no champion,
`deployed_policy` refuses, and the version pinned in deploy.model_version is deployed instead."""

import pytest
from dagster import DagsterInstance, materialize
from mlflow import MlflowClient

from robot.bundle import write_keypair
from robot.controller.process import ControllerProcess
from tests.inbox_inputs import store_video
from tests.robot.controller.process import TOKEN_ENV, write_config
from vitra_assets.controller import ControllerResource
from vitra_assets.definitions import MODEL_ASSETS, PER_VIDEO_ASSETS, ROBOT_ASSETS
from vitra_assets.deployed_policy import LIVE_CHECK, deployed_policy
from vitra_assets.episodes import episodes
from vitra_assets.lineage import render_lineage
from vitra_assets.policy_eval import GATE_CHECK as POLICY_GATE
from vitra_assets.vla_eval import GATE_CHECK as VLA_GATE
from vitra_core.training.tracking import CANDIDATE, CHAMPION

CLIPS = ["lavila/ego4d_3c0dffd0_012_014.mp4", "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif"]
TINY_TRAINING = {"size": "tiny", "train.steps": "12", "train.batch_size": "8", "train.warmup_steps": "2",
                 "train.checkpoint_every": "6", "train.log_every": "2"}


def metadata_of(result, name: str) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(name)[0].metadata.items()}


@pytest.mark.slow
def test_pretrain_finetune_evaluate_and_deploy_to_a_real_controller(shared_data, tmp_project, tmp_path, monkeypatch):
    keys = tmp_path / "keys"
    private_key, public_key = write_keypair(keys)
    tmp_project.overrides.update({
        "mlflow.tracking_uri": f"sqlite:///{tmp_path}/mlflow.db", "mlflow.artifact_location": str(tmp_path / "mlartifacts"),
        "paths.runs": str(tmp_path / "runs"), "robot_demos.episodes_per_task": "2",
        "policy_eval.seeds_per_task": "2", "policy_eval.min_success_rate": "1.0", "deploy.signing_key": str(private_key),
        "deploy.bundles_dir": str(tmp_path / "bundles"), "deploy.token_env": TOKEN_ENV,
        **{f"pretrain.{k}": v for k, v in TINY_TRAINING.items()},
        **{f"finetune.{k}": v for k, v in TINY_TRAINING.items() if k != "size"},
    })
    cfg = tmp_project.config
    controller = ControllerProcess(write_config(tmp_path, public_key), "t0ken", TOKEN_ENV)
    tmp_project.overrides["deploy.controller_config"] = str(controller.config_path)
    monkeypatch.setenv(TOKEN_ENV, controller.token)
    resources = {"vitra": tmp_project.resource(), "controller": ControllerResource(url=controller.url, token_env=TOKEN_ENV)}
    video_ids = [store_video(tmp_project, shared_data / clip) for clip in CLIPS]

    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", video_ids)
        for video_id in video_ids:
            assert materialize(PER_VIDEO_ASSETS, instance=instance, partition_key=video_id, resources=resources).success
        assert materialize([episodes], instance=instance, resources=resources).success

        model = materialize(MODEL_ASSETS, instance=instance, resources=resources, raise_on_error=False)
        pretrained, evaluation = metadata_of(model, "pretrained_vla"), metadata_of(model, "vla_eval")
        assert pretrained["steps"] == 12 and pretrained["held_out_videos"] in video_ids
        assert "| constant_velocity |" in evaluation["errors"] and evaluation["hand_chunks"] > 0
        [vla_gate] = model.get_asset_check_evaluations()
        assert vla_gate.check_name == VLA_GATE and model.success == vla_gate.passed  # a blocking check
        beats_both = evaluation["wrist_ade_cm"] < min(evaluation["wrist_ade_cm_hold"], evaluation["wrist_ade_cm_constant_velocity"])
        assert vla_gate.passed == beats_both == evaluation[f"promoted_to_{CHAMPION}"]  # the first model, if it beats both

        client = MlflowClient(cfg.mlflow_tracking_uri)
        candidate = client.get_model_version_by_alias("vitra-vla", CANDIDATE)
        assert candidate.run_id == pretrained["mlflow_run_id"]
        assert evaluation[CHAMPION] == (f"vitra-vla v{candidate.version}" if beats_both else "none")
        run = client.get_run(candidate.run_id)
        assert run.data.params["dataset.dvc_md5"] == pretrained["episodes_dvc_md5"]
        assert "eval/model/wrist_ade_cm" in run.data.metrics and len(client.get_metric_history(run.info.run_id, "train/loss")) >= 6

        robot = materialize(ROBOT_ASSETS[:-1], instance=instance, resources=resources, raise_on_error=False)
        [policy_gate] = [c for c in robot.get_asset_check_evaluations() if c.check_name == POLICY_GATE]
        assert not policy_gate.passed and not robot.success
        assert metadata_of(robot, "pretraining_benefit")["benefit"].startswith("| demos/task | pretrained, demonstrated")
        assert metadata_of(robot, "policy_eval")[f"promoted_to_{CHAMPION}"] is False
        assert metadata_of(robot, "policy_eval")[CHAMPION] == "none"
        table = metadata_of(robot, "policy_eval")["success"]
        assert table.splitlines()[0] == "| task | fine-tuned | from-scratch | scripted demonstrator |"
        assert metadata_of(robot, "policy_eval")["success_rate_demonstrator"] == 1.0
        assert client.get_model_version_by_alias("vitra-policy", CANDIDATE).run_id == metadata_of(robot, "finetuned_policy")["mlflow_run_id"]
        assert client.get_model_version_by_alias("vitra-policy-scratch", CANDIDATE)
        finetuned = metadata_of(robot, "finetuned_policy")
        tags = client.get_run(finetuned["mlflow_run_id"]).data.tags
        assert tags["vitra.robot_demos.fingerprint"] == finetuned["demos_fingerprint"]  # not called a DVC hash
        assert not [key for key in tags if "dvc_md5" in key] and tags["dagster.asset_key"] == "finetuned_policy"

        controller.start()
        try:
            refused = materialize([deployed_policy], instance=instance, resources=resources, raise_on_error=False)
            assert "has no champion" in refused.failure_data_for_node("deployed_policy").error.cause.message
            assert not controller.client().policy()["bundle_id"]
            pinned = client.get_model_version_by_alias("vitra-policy", CANDIDATE).version
            tmp_project.overrides["deploy.model_version"] = str(pinned)
            resources["vitra"] = tmp_project.resource()
            deployed = materialize([deployed_policy], instance=instance, resources=resources)
            assert deployed.success
            meta = metadata_of(deployed, "deployed_policy")
            assert meta["model"] == f"vitra-policy v{pinned}" and meta["selected_by"] == "deploy.model_version (pinned)"
            active = controller.client().policy()
            assert active["bundle_id"] == meta["bundle_id"]
            assert [c.check_name for c in deployed.get_asset_check_evaluations()] == [LIVE_CHECK]
            lineage = render_lineage(cfg, active)
        finally:
            controller.stop()
    assert active["manifest"]["lineage"]["model_name"] == "vitra-policy"
    assert all(video_id in lineage for video_id in video_ids)
    assert pretrained["mlflow_run_id"] in lineage and "NOT FOUND" not in lineage
