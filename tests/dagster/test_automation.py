"""`episodes` follows the per-video stages by declarative automation: once per change, never mid-flight,
and never held back by a video that failed."""

from __future__ import annotations

from dagster import AssetMaterialization, DagsterInstance, DagsterRunStatus, DefaultSensorStatus

from tests.dagster.daemon import Daemon
from vitra_assets.automation import AUTOMATION_SENSOR
from vitra_assets.captions import captions
from vitra_assets.definitions import defs
from vitra_assets.episodes import episodes


def daemon(instance: DagsterInstance) -> Daemon:
    """Only evaluates automation here: materializations are reported, nothing is executed."""
    return Daemon(instance, defs, resources={})


def captioned(instance: DagsterInstance, video: str) -> None:
    instance.report_runless_asset_event(AssetMaterialization(captions.key, partition=video))


def test_the_automation_sensor_is_on_by_default_and_targets_episodes():
    sensor = defs.resolve_sensor_def(AUTOMATION_SENSOR)
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    assert episodes.key in sensor.asset_selection.resolve(defs.resolve_asset_graph())
    assert defs.resolve_assets_def(episodes.key).automation_conditions_by_key[episodes.key] is not None


def test_episodes_is_requested_once_after_a_video_is_captioned():
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", ["a", "b"])
        d = daemon(instance)
        assert d.evaluate_automation() == []
        captioned(instance, "a")
        assert d.evaluate_automation() == [episodes.key]
        assert d.evaluate_automation() == []  # handled


def test_episodes_waits_while_a_video_is_in_flight_and_a_failed_one_does_not_block_it():
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", ["a", "b"])
        d = daemon(instance)
        d.evaluate_automation()
        job = defs.resolve_implicit_global_asset_job_def()
        run_b = instance.create_run_for_job(job_def=job, asset_selection=frozenset({captions.key}),
                                            tags={"dagster/partition": "b"}, status=DagsterRunStatus.STARTED)
        captioned(instance, "a")
        assert d.evaluate_automation() == []  # b is being processed: one dataset update for both
        instance.report_run_failed(run_b)
        assert d.evaluate_automation() == [episodes.key]  # b failed: a's episodes must not wait for it


def test_a_dataset_update_made_by_the_cli_is_not_repeated_by_automation():
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", ["a"])
        d = daemon(instance)
        d.evaluate_automation()
        captioned(instance, "a")
        instance.report_runless_asset_event(AssetMaterialization(episodes.key))  # `vitra ingest` updated it
        assert d.evaluate_automation() == []
