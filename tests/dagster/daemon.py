"""Do in-process what the Dagster daemon does for VITRA-Ops: inbox sensor ticks, their runs, automation ticks.

Runs go through the Definitions' asset job against a real (on-disk) instance, so run records,
materializations and the automation cursor are the ones the daemon would leave behind.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from dagster import (
    AssetKey, AssetRecordsFilter, BetaWarning, DagsterInstance, Definitions, build_sensor_context,
    evaluate_automation_conditions,
)
from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor

from vitra_assets.runner import IngestReport, materialize_corpus_asset, materialize_partitions


@dataclass
class Daemon:
    instance: DagsterInstance
    defs: Definitions
    resources: dict
    automation_cursor: AssetDaemonCursor | None = None

    def inbox_tick(self) -> list[str]:
        """One tick of the inbox sensor; adds the partitions it asks for; returns the run requests' partitions."""
        sensor = self.defs.resolve_sensor_def("inbox_sensor")
        result = sensor(build_sensor_context(instance=self.instance, resources=self.resources))
        for request in result.dynamic_partitions_requests:
            self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        return [request.partition_key for request in result.run_requests]

    def run_partitions(self, partitions: list[str], assets: list[AssetKey]) -> IngestReport:
        report = IngestReport()
        materialize_partitions(self.instance, self.defs, {p: assets for p in partitions}, report)
        return report

    def evaluate_automation(self) -> list[AssetKey]:
        """One evaluation of every automation condition (advances the cursor); returns the requested assets."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BetaWarning)  # raised inside dagster's own evaluator
            result = evaluate_automation_conditions(self.defs, self.instance, cursor=self.automation_cursor)
        self.automation_cursor = result.cursor
        return [r.key for r in result.results if r.true_subset.size]

    def automation_tick(self) -> list[AssetKey]:
        """Evaluate automation and run what it requests (corpus assets), as the automation sensor would."""
        requested = self.evaluate_automation()
        for key in requested:
            assert materialize_corpus_asset(self.instance, self.defs, key), f"{key.to_user_string()} failed"
        return requested


def materialization_count(instance: DagsterInstance, key: AssetKey, partition: str | None = None) -> int:
    """How many times `key` (one partition of it, if given) was materialized."""
    records_filter = AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None)
    return len(instance.fetch_materializations(records_filter, limit=1000).records)
