"""One step, many video partitions: how a per-video asset materializes a batch (a partition key range).

A run of one video (the inbox sensor's) and a run of a batch (a backfill, `vitra backfill`) call the same
asset body; it builds each key of `context.partition_keys` in turn, so heavy imports, model loads and a
DVC repository open once per step instead of once per video.

Dagster records a range step as all or nothing: a successful step materializes every partition of the
range, a failed one none (a per-partition failure inside a range cannot be expressed; dagster-io/dagster
#17836). So a batch step builds every video, and when any failed it raises one `Failure` whose metadata
names each failed video with its reason (the run's step failure in the UI); the good videos' files stay
on disk. `vitra backfill` then runs that batch's videos one run each (the sensor's path), so each bad
video fails alone in its own run and the good ones are materialized (see vitra_assets/backfill.py).
Per-partition metadata rides on each partition's materialization; a check gives one result per step,
failing if any video fails it, with the failing videos and their figures in its metadata.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from dagster import (
    AssetCheckResult, AssetExecutionContext, DataVersion, Failure, MaterializeResult, MetadataValue,
)

from vitra_assets.partitions import source_name
from vitra_core.layout import DataLayout

T = TypeVar("T")
_MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class PartitionResult:
    """What one video's materialization records: its metadata, its check results, its data version."""

    metadata: dict
    checks: list[AssetCheckResult] = field(default_factory=list)
    data_version: str | None = None


def build_each(context: AssetExecutionContext, layout: DataLayout, build: Callable[[str], T]) -> dict[str, T]:
    """`build(key)` for every partition of the step; a Failure naming every video that raised, if any did.

    With one partition the exception propagates unchanged (the single-video run fails as it always did)."""
    keys = context.partition_keys
    if len(keys) == 1:
        return {keys[0]: build(keys[0])}
    built, failed = {}, {}
    for key in keys:
        try:
            built[key] = build(key)
        except Exception as exc:  # one bad video must not stop the others' work in this step
            failed[key] = f"{type(exc).__name__}: {exc}"[:_MAX_REASON_CHARS]
            context.log.error(f"{key} ({source_name(layout, key) or '?'}) failed:\n{traceback.format_exc()}")
    if failed:
        raise Failure(
            description=f"{len(failed)} of {len(keys)} videos of this batch failed: "
                        + ", ".join(f"{key} ({source_name(layout, key) or '?'})" for key in failed),
            metadata={"failed_videos": MetadataValue.json(failed), "batch_size": len(keys)},
        )
    return built


def materialize_each(context: AssetExecutionContext, results: dict[str, PartitionResult]) -> MaterializeResult:
    """The step's MaterializeResult: one video's as is; for a batch, each video's metadata scoped to its
    partition (its data version among it: Dagster takes one data version per step) and one result per check."""
    if len(results) == 1:
        [result] = results.values()
        version = DataVersion(result.data_version) if result.data_version else None
        return MaterializeResult(metadata=result.metadata, check_results=result.checks, data_version=version)
    for key, result in results.items():
        extra = {"content_version": result.data_version} if result.data_version else {}
        context.add_asset_metadata({**result.metadata, **extra}, partition_key=key)
    return MaterializeResult(metadata={"batch_size": len(results)}, check_results=_merged_checks(results))


def _merged_checks(results: dict[str, PartitionResult]) -> list[AssetCheckResult]:
    """Per check name: passed when every video passed; the failing videos' check metadata under their ids."""
    by_name: dict[str, list[tuple[str, AssetCheckResult]]] = {}
    for key, result in results.items():
        for check in result.checks:
            by_name.setdefault(check.check_name, []).append((key, check))
    merged = []
    for name, checks in by_name.items():
        failing = {key: {k: v.value for k, v in check.metadata.items()} for key, check in checks if not check.passed}
        merged.append(AssetCheckResult(
            check_name=name, passed=not failing, severity=checks[0][1].severity,
            description=f"{len(checks) - len(failing)} of {len(checks)} videos pass",
            metadata={"videos": len(checks), "failing_videos": MetadataValue.json(failing)},
        ))
    return merged
