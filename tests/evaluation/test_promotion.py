"""Honest promotion: `champion` moves only for a candidate that beats its baselines or control (the gate)
and then the current champion; deployment takes the champion or an explicitly pinned version, never the newest."""

import pytest
from mlflow import MlflowClient

from robot.evaluation import EvalSettings, EvaluationReport, TaskScore
from robot.policy_eval import FINETUNED, SCRATCH, policy_gate
from vitra_core.training.evaluation import ActionErrors
from vitra_core.training.job import TrainingRecord
from vitra_core.training.pretrain import record_vla_evaluation
from vitra_core.training.tracking import (
    CANDIDATE,
    GATE_TAG,
    NoChampionError,
    TrackingTarget,
    TrainingRun,
    champion_version,
    deployable_version,
    ensure_registered_model,
    promote,
    tracked_run,
)

VLA, POLICY = "vitra-vla-test", "vitra-policy-test"


@pytest.fixture
def tracking(tmp_path) -> TrackingTarget:
    return TrackingTarget(uri=f"sqlite:///{tmp_path}/mlflow.db", artifact_location=tmp_path / "artifacts")


def register(tracking: TrackingTarget, name: str) -> TrainingRecord:
    """A finished training run with a registered version aliased `candidate` (no weights: the gate reads metrics)."""
    ensure_registered_model(tracking.uri, name, "test")
    with tracked_run(tracking, "exp", "train", {}, {}) as run:
        pass
    client = MlflowClient(tracking.uri)
    version = client.create_model_version(name, f"runs:/{run.run_id}/policy", run_id=run.run_id)
    client.set_registered_model_alias(name, CANDIDATE, version.version)
    return TrainingRecord(run_id=run.run_id, experiment="exp", model_name=name, model_version=str(version.version),
                          dataset_dvc_md5="0" * 32, dataset_episodes=4, episodes=[0, 1], git_commit="unknown", steps=12,
                          first_loss=1.0, final_loss=0.5, seconds=1.0)


def vla_errors(model_cm: float, hold_cm: float, velocity_cm: float) -> dict[str, ActionErrors]:
    def errors(wrist_cm: float) -> ActionErrors:
        return ActionErrors(wrist_ade_cm=wrist_cm, wrist_fde_cm=wrist_cm * 1.5, wrist_rotation_deg=10.0,
                            joint_angle_deg=8.0, hand_chunks=40)
    return {"model": errors(model_cm), "hold": errors(hold_cm), "constant_velocity": errors(velocity_cm)}


def policy_reports(finetuned: tuple[int, int], scratch: tuple[int, int]) -> dict[str, EvaluationReport]:
    """Reports with one task each: (successes, roll-outs)."""
    def report(name: str, successes: int, n: int) -> EvaluationReport:
        score = TaskScore(task="palm_ball", successes=successes, n=n, rate=successes / n, ci95_low=0.0, ci95_high=1.0,
                          failed_seeds=[])
        return EvaluationReport(policy=name, settings=EvalSettings(tasks=["palm_ball"], seeds=list(range(n))),
                                tasks={"palm_ball": score}, rollouts=[])
    return {FINETUNED: report(FINETUNED, *finetuned), SCRATCH: report(SCRATCH, *scratch)}


def test_a_vla_that_loses_to_hold_is_not_promoted_even_with_no_champion(tracking):
    record = register(tracking, VLA)
    gate, promoted = record_vla_evaluation(record, vla_errors(model_cm=12.3, hold_cm=5.1, velocity_cm=14.0), tracking)
    assert not gate.passed and not promoted
    assert champion_version(tracking.uri, VLA) is None
    assert gate.summary() == "failed: wrist ADE (cm) 12.30 loses to hold 5.10"
    assert MlflowClient(tracking.uri).get_model_version(VLA, record.model_version).tags[GATE_TAG] == gate.summary()


def test_a_vla_that_loses_to_constant_velocity_is_not_promoted(tracking):
    record = register(tracking, VLA)
    gate, promoted = record_vla_evaluation(record, vla_errors(model_cm=4.0, hold_cm=5.1, velocity_cm=3.9), tracking)
    assert not promoted and gate.summary() == "failed: wrist ADE (cm) 4.00 loses to constant_velocity 3.90"


def test_a_vla_that_beats_both_baselines_must_still_beat_the_champion(tracking):
    first = register(tracking, VLA)
    assert record_vla_evaluation(first, vla_errors(4.0, 5.1, 6.0), tracking)[1]
    worse = register(tracking, VLA)
    gate, promoted = record_vla_evaluation(worse, vla_errors(4.5, 5.1, 6.0), tracking)
    assert gate.passed and not promoted
    assert champion_version(tracking.uri, VLA) == first.model_version
    better = register(tracking, VLA)
    assert record_vla_evaluation(better, vla_errors(3.0, 5.1, 6.0), tracking)[1]
    assert champion_version(tracking.uri, VLA) == better.model_version


def promote_policy(tracking: TrackingTarget, record: TrainingRecord, reports, min_success_rate: float):
    """What policy_eval does after its roll-outs: log the success rate to the run, judge the gate, promote."""
    gate = policy_gate(reports, min_success_rate)
    TrainingRun.resume(tracking, record.run_id).log_metrics({"success_rate": gate.comparisons[0].candidate}, "eval.")
    return gate, promote(tracking.uri, record.model_name, record.model_version, gate, "eval.success_rate", True)


def test_a_policy_that_loses_to_scratch_is_not_promoted(tracking):
    record = register(tracking, POLICY)
    gate, promoted = promote_policy(tracking, record, policy_reports(finetuned=(10, 30), scratch=(11, 30)), 0.2)
    assert not gate.passed and not promoted
    assert gate.summary() == "failed: success rate 33% loses to from-scratch 37%"
    assert champion_version(tracking.uri, POLICY) is None


def test_a_policy_that_ties_with_scratch_is_not_promoted(tracking):
    record = register(tracking, POLICY)
    assert not promote_policy(tracking, record, policy_reports(finetuned=(20, 30), scratch=(20, 30)), 0.2)[1]


def test_a_policy_below_the_minimum_success_is_not_promoted_though_it_beats_scratch(tracking):
    record = register(tracking, POLICY)
    gate, promoted = promote_policy(tracking, record, policy_reports(finetuned=(12, 30), scratch=(3, 30)), 0.5)
    assert not promoted
    assert gate.summary() == "failed: worst demonstrated task's success 40% is below policy_eval.min_success_rate 50%"


def test_a_policy_that_beats_scratch_and_reaches_the_minimum_becomes_champion(tracking):
    record = register(tracking, POLICY)
    gate, promoted = promote_policy(tracking, record, policy_reports(finetuned=(15, 30), scratch=(3, 30)), 0.5)
    assert gate.passed and promoted
    assert champion_version(tracking.uri, POLICY) == record.model_version


def test_deployment_takes_the_champion_or_a_pinned_version_never_just_the_newest(tracking):
    first = register(tracking, POLICY)
    with pytest.raises(NoChampionError, match="no champion.*deploy.model_version"):
        deployable_version(tracking.uri, POLICY)
    assert str(deployable_version(tracking.uri, POLICY, pinned=first.model_version).version) == first.model_version
    promote_policy(tracking, first, policy_reports(finetuned=(15, 30), scratch=(3, 30)), 0.5)
    register(tracking, POLICY)  # newer, never evaluated
    assert str(deployable_version(tracking.uri, POLICY).version) == first.model_version
