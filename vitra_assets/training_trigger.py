"""When a training asset runs by itself: manual, at cron ticks, or once the dataset grew by a fraction.

The decision is a pure function of the policy (`training.trigger` in configs/), the dataset now
(the latest `episodes` materialization's `episodes` and `dvc_md5` metadata) and the dataset the
target was last trained on: the `episodes` materialization its latest materialization read, which
Dagster records as data provenance (the `dagster/input_event_pointer/episodes` tag), so the target
needs no bookkeeping of its own. The sensor only gathers those and turns a "yes" into a run request
keyed by the dataset hash, so one dataset version is never trained twice by the trigger.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

from dagster import (
    AssetKey, AssetRecordsFilter, DagsterInstance, EventLogRecord, DefaultSensorStatus, RunRequest, RunsFilter, SensorDefinition,
    SensorEvaluationContext, SkipReason, sensor,
)
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES
from dagster._utils.schedules import get_latest_completed_cron_tick, is_valid_cron_string

from vitra_core.config import TrainingTriggerConfig
from vitra_core.errors import ConfigError

DATASET_KEY = AssetKey("episodes")
DATASET_EPISODES, DATASET_MD5 = "episodes", "dvc_md5"  # metadata of the dataset's materializations
INPUT_POINTER_TAG = "dagster/input_event_pointer/"  # + the upstream asset: the materialization a run read
TARGET_TAG = "vitra/trigger_target"


class MissingDatasetMetadata(ValueError):
    """A materialization does not say which dataset version it holds or was trained on."""


@dataclass(frozen=True)
class DatasetState:
    episodes: int
    dvc_md5: str


@dataclass(frozen=True)
class TriggerDecision:
    run: bool
    reason: str


def decide_training(
    policy: TrainingTriggerConfig, current: DatasetState | None, trained_on: DatasetState | None, cron_due: bool
) -> TriggerDecision:
    """Whether to train now. `trained_on` is None when the target was never materialized;
    `cron_due` says a cron tick passed since the last check (cron mode only)."""
    if policy.mode == "manual":
        return TriggerDecision(False, "manual mode: training starts only when launched by hand")
    if current is None or current.episodes < policy.min_episodes:
        found = 0 if current is None else current.episodes
        return TriggerDecision(False, f"dataset has {found} episodes, fewer than min_episodes={policy.min_episodes}")
    if trained_on is not None and trained_on.dvc_md5 == current.dvc_md5:
        return TriggerDecision(False, f"dataset {current.dvc_md5} unchanged since the last training")
    if policy.mode == "cron":
        if not cron_due:
            return TriggerDecision(False, f"no cron tick of '{policy.cron}' since the last check")
        return TriggerDecision(True, f"cron tick of '{policy.cron}' and the dataset changed")
    if trained_on is None:
        return TriggerDecision(True, f"never trained; dataset has {current.episodes} episodes")
    needed = math.ceil(trained_on.episodes * (1 + policy.growth_fraction))
    if current.episodes < needed:
        return TriggerDecision(False, f"{current.episodes} episodes, training at {needed} "
                                      f"({trained_on.episodes} x (1 + {policy.growth_fraction:g}))")
    return TriggerDecision(True, f"dataset grew from {trained_on.episodes} to {current.episodes} episodes")


def latest_cron_tick_s(policy: TrainingTriggerConfig, now: datetime) -> float:
    """POSIX time of the latest cron tick at or before `now` (in the policy's time zone)."""
    return get_latest_completed_cron_tick(policy.cron, now, policy.timezone).timestamp()


def _dataset_state(record: EventLogRecord, dataset_key: AssetKey) -> DatasetState:
    metadata = {name: value.value for name, value in record.asset_materialization.metadata.items()}
    missing = [k for k in (DATASET_EPISODES, DATASET_MD5) if k not in metadata]
    if missing:
        raise MissingDatasetMetadata(f"{dataset_key.to_user_string()}: materialization {record.storage_id} "
                                     f"has no metadata {missing}")
    return DatasetState(int(metadata[DATASET_EPISODES]), str(metadata[DATASET_MD5]))


def dataset_now(instance: DagsterInstance, dataset_key: AssetKey) -> DatasetState | None:
    """The dataset's latest materialization, or None if it was never built."""
    records = instance.fetch_materializations(dataset_key, limit=1).records
    return _dataset_state(records[0], dataset_key) if records else None


def dataset_trained_on(instance: DagsterInstance, target: AssetKey, dataset_key: AssetKey) -> DatasetState | None:
    """The dataset materialization the target's latest materialization read; None if the target was never
    materialized (or that record is gone)."""
    event = instance.get_latest_materialization_event(target)
    if event is None:
        return None
    tag = INPUT_POINTER_TAG + dataset_key.to_user_string()
    pointer = (event.asset_materialization.tags or {}).get(tag)
    if pointer is None:
        raise MissingDatasetMetadata(f"{target.to_user_string()}: latest materialization has no {tag} tag, so "
                                     f"which {dataset_key.to_user_string()} it was trained on is unknown")
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=dataset_key, storage_ids=[int(pointer)]), limit=1).records
    return _dataset_state(records[0], dataset_key) if records else None


def build_training_trigger(
    asset_key: AssetKey, policy: TrainingTriggerConfig, dataset_key: AssetKey = DATASET_KEY
) -> SensorDefinition:
    """A sensor that requests `asset_key` when `policy` says so (see `decide_training`).

    The Definitions must hold `asset_key`, depending on `dataset_key`. Stopped by default in manual
    mode; the cursor holds the last cron tick handled, so starting the sensor never fires for past ticks.
    """
    if policy.mode == "cron" and not is_valid_cron_string(policy.cron):
        raise ConfigError(f"training.trigger.cron: {policy.cron!r} is not a valid 5-field cron string")
    target = asset_key.to_user_string()

    @sensor(
        name=f"{asset_key.to_python_identifier()}_trigger",
        asset_selection=[asset_key],
        minimum_interval_seconds=policy.check_interval_s,
        default_status=DefaultSensorStatus.STOPPED if policy.mode == "manual" else DefaultSensorStatus.RUNNING,
        description=f"Trains `{target}` by policy '{policy.mode}' (configs: training.trigger).",
    )
    def training_trigger(context: SensorEvaluationContext):
        instance = context.instance
        cron_due, tick_s = False, 0.0
        if policy.mode == "cron":
            tick_s = latest_cron_tick_s(policy, datetime.now(timezone.utc))
            cron_due = context.cursor is not None and tick_s > float(context.cursor)
            context.update_cursor(str(tick_s))
        try:
            current = dataset_now(instance, dataset_key)
            trained_on = dataset_trained_on(instance, asset_key, dataset_key)
        except MissingDatasetMetadata as exc:
            return SkipReason(str(exc))
        decision = decide_training(policy, current, trained_on, cron_due)
        if not decision.run:
            return SkipReason(decision.reason)
        in_flight = RunsFilter(statuses=list(IN_PROGRESS_RUN_STATUSES), tags={TARGET_TAG: target})
        running = instance.get_runs(in_flight, limit=1)
        if running:
            return SkipReason(f"{decision.reason}, but run {running[0].run_id} is still training {target}")
        context.log.info(decision.reason)
        return RunRequest(
            # growth: once per dataset version; cron: once per tick (a failed run is retried at the next)
            run_key=f"{target}-{policy.mode}-{current.dvc_md5}" + (f"-{tick_s:.0f}" if policy.mode == "cron" else ""),
            asset_selection=[asset_key],
            tags={TARGET_TAG: target, "vitra/trigger": decision.reason[:200]},
        )

    return training_trigger
