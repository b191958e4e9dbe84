"""The training trigger: manual, cron or growth policy as a pure decision, and the sensor around it
(with a stand-in `pretrained_vla` asset depending on `episodes`, as the real one does)."""

from __future__ import annotations

import pytest
from dagster import (
    AssetKey, AssetMaterialization, DagsterInstance, DagsterRunStatus, DefaultSensorStatus, Definitions,
    MaterializeResult, RunRequest, SkipReason, asset, build_sensor_context, materialize,
)
from dagster._core.test_utils import create_run_for_test

from vitra_assets.training_trigger import TARGET_TAG, DatasetState, build_training_trigger, decide_training
from vitra_core.config import TrainingTriggerConfig
from vitra_core.errors import ConfigError

TARGET = AssetKey("pretrained_vla")
GROWTH = TrainingTriggerConfig(mode="growth", growth_fraction=0.2, min_episodes=10)
CRON = TrainingTriggerConfig(mode="cron", cron="0 3 * * *", min_episodes=10)


@asset(key=TARGET, deps=["episodes"])
def pretrained_vla() -> MaterializeResult:
    return MaterializeResult()


def state(episodes: int, md5: str | None = None) -> DatasetState:
    return DatasetState(episodes, md5 or f"md5-{episodes}")


@pytest.mark.parametrize(("policy", "current", "trained_on", "cron_due", "run", "because"), [
    (TrainingTriggerConfig(), state(500), None, True, False, "manual mode"),
    (GROWTH, None, None, False, False, "0 episodes, fewer than min_episodes=10"),
    (GROWTH, state(9), None, False, False, "9 episodes, fewer than min_episodes=10"),
    (GROWTH, state(10), None, False, True, "never trained"),
    (GROWTH, state(23), state(20), False, False, "23 episodes, training at 24"),
    (GROWTH, state(24), state(20), False, True, "grew from 20 to 24"),
    (GROWTH, state(24, "same"), state(20, "same"), False, False, "unchanged"),
    (CRON, state(30), state(20), False, False, "no cron tick"),
    (CRON, state(30), state(20), True, True, "cron tick"),
    (CRON, state(21), state(20), True, True, "cron tick"),  # any change counts at a tick, not only growth
    (CRON, state(20, "same"), state(20, "same"), True, False, "unchanged"),
    (CRON, state(30), None, True, True, "cron tick"),
])
def test_decide_training(policy, current, trained_on, cron_due, run, because):
    decision = decide_training(policy, current, trained_on, cron_due)
    assert decision.run is run and because in decision.reason


def evaluate(instance: DagsterInstance, policy: TrainingTriggerConfig, cursor: str | None = None):
    sensor = build_training_trigger(TARGET, policy)
    # as the coordinator wires it: the target asset and its trigger in one Definitions
    context = build_sensor_context(instance=instance, cursor=cursor,
                                   definitions=Definitions(assets=[pretrained_vla], sensors=[sensor]))
    return sensor(context), context


def dataset_built(instance: DagsterInstance, episodes: int, md5: str) -> None:
    instance.report_runless_asset_event(AssetMaterialization("episodes", metadata={"episodes": episodes, "dvc_md5": md5}))


def trained(instance: DagsterInstance) -> None:
    """A training run on the dataset as it is now (Dagster records which `episodes` materialization it read)."""
    assert materialize([pretrained_vla], instance=instance).success


def test_growth_sensor_trains_first_on_enough_data_then_again_after_20_percent_more():
    with DagsterInstance.ephemeral() as instance:
        result, _ = evaluate(instance, GROWTH)
        assert isinstance(result, SkipReason) and "0 episodes" in result.skip_message
        dataset_built(instance, 20, "v1")
        request, _ = evaluate(instance, GROWTH)
        assert isinstance(request, RunRequest)
        assert request.asset_selection == [TARGET] and request.run_key == "pretrained_vla-growth-v1"
        assert request.tags[TARGET_TAG] == "pretrained_vla"
        trained(instance)
        dataset_built(instance, 23, "v2")
        assert "23 episodes, training at 24" in evaluate(instance, GROWTH)[0].skip_message
        dataset_built(instance, 24, "v3")
        assert evaluate(instance, GROWTH)[0].run_key == "pretrained_vla-growth-v3"


def test_no_second_training_while_one_is_running():
    with DagsterInstance.ephemeral() as instance:
        dataset_built(instance, 40, "v1")
        create_run_for_test(instance, job_name="__ASSET_JOB", status=DagsterRunStatus.STARTED,
                            tags={TARGET_TAG: "pretrained_vla"})
        result, _ = evaluate(instance, GROWTH)
        assert isinstance(result, SkipReason) and "still training pretrained_vla" in result.skip_message


def test_cron_sensor_fires_only_for_a_tick_after_its_first_look():
    with DagsterInstance.ephemeral() as instance:
        dataset_built(instance, 40, "v1")
        first, context = evaluate(instance, CRON)  # no cursor yet: remember the latest tick, do not fire for it
        assert isinstance(first, SkipReason) and "no cron tick" in first.skip_message
        again, _ = evaluate(instance, CRON, cursor=context.cursor)
        assert isinstance(again, SkipReason)
        due, _ = evaluate(instance, CRON, cursor="0")  # a tick passed since the cursor
        assert isinstance(due, RunRequest) and due.run_key.startswith("pretrained_vla-cron-v1-")


def test_a_target_materialized_without_provenance_is_reported_not_retrained():
    with DagsterInstance.ephemeral() as instance:
        dataset_built(instance, 40, "v2")
        instance.report_runless_asset_event(AssetMaterialization(TARGET))  # not a run: no record of its input
        result, _ = evaluate(instance, GROWTH)
        assert isinstance(result, SkipReason)
        assert "no dagster/input_event_pointer/episodes tag" in result.skip_message


def test_manual_mode_sensor_is_stopped_and_a_bad_cron_string_fails_at_load():
    assert build_training_trigger(TARGET, TrainingTriggerConfig()).default_status == DefaultSensorStatus.STOPPED
    assert build_training_trigger(TARGET, GROWTH).default_status == DefaultSensorStatus.RUNNING
    with pytest.raises(ConfigError, match="training.trigger.cron: 'every day' is not a valid"):
        build_training_trigger(TARGET, TrainingTriggerConfig(mode="cron", cron="every day"))
