"""Declarative automation: corpus-level assets follow the per-video stages by themselves.

Per-video runs are started by the inbox sensor (one run per new video, see docs/operations.md for
why not an AutomationCondition); what depends on the whole corpus is declared here and evaluated by
one automation sensor, so the UI shows for each tick why `episodes` did or did not run. A nightly
schedule of the `dataset` job is defined too, stopped until someone starts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import (
    AssetSelection, AutomationCondition, AutomationConditionSensorDefinition, DefaultScheduleStatus, DefaultSensorStatus,
    ScheduleDefinition,
)

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

AUTOMATION_SENSOR = "automation_sensor"
NIGHTLY_DATASET = "nightly_dataset"
NIGHTLY_CRON = "0 3 * * *"  # 03:00 UTC: after a day's ingests, before a morning's training

# `eager()` without its `~any_deps_missing()`: with per-video parents, one failed or quarantined video
# would hold the whole dataset back forever. Waiting while any video is in flight batches a burst of
# ingests into one dataset update and never reads a video halfway through reprocessing.
EPISODES_CONDITION = (
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("a video's captions changed and no video is in flight")


def build_automation_sensor(interval_s: int) -> AutomationConditionSensorDefinition:
    """Evaluates every asset's automation condition (assets without one are ignored), on by default."""
    return AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=AssetSelection.all(),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=interval_s,
        description="Declarative automation: updates `episodes` once captioned videos change.",
    )


def build_nightly_dataset_schedule(dataset_job: "UnresolvedAssetJobDefinition") -> ScheduleDefinition:
    """The `dataset` job once a night, stopped by default: for a deployment that wants one dataset version (one
    DVC commit) per day rather than one per burst of ingests, start it in the UI and stop the automation sensor.
    With both on, a night without new videos costs a fingerprint scan and writes nothing."""
    return ScheduleDefinition(
        name=NIGHTLY_DATASET, job=dataset_job, cron_schedule=NIGHTLY_CRON, execution_timezone="UTC",
        default_status=DefaultScheduleStatus.STOPPED,
        description="Rebuild `episodes` from every captioned video nightly (off by default; see docs/operations.md).",
    )
