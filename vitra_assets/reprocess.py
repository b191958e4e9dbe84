"""Which video partitions an older algorithm built, and from which stage on they must run again.

A partition is stale for an asset when the `dagster/code_version` tag of its latest materialization
differs from the asset's code version in the current Definitions (the same comparison the UI's
"code version changed" badge makes). Everything after the first stale stage of the per-video chain
runs again, because it was built from the stale output; earlier stages are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import AssetKey, AssetRecordsFilter, DagsterEventType, DagsterInstance, Definitions

from vitra_assets.partitions import VIDEOS

CODE_VERSION_TAG = "dagster/code_version"
_BATCH = 500  # storage ids per event-log query


@dataclass(frozen=True)
class StalePartition:
    partition: str
    first_stale: AssetKey
    built_with: str | None  # code version of the stale asset's latest materialization
    current: str | None
    assets: list[AssetKey]  # the stale asset and every stage after it, in order


def materialized_code_versions(instance: DagsterInstance, key: AssetKey) -> dict[str, str | None]:
    """Partition -> code version of its latest materialization (only materialized partitions)."""
    latest = instance.get_latest_storage_id_by_partition(key, DagsterEventType.ASSET_MATERIALIZATION)
    ids = list(latest.values())
    versions: dict[str, str | None] = {}
    for start in range(0, len(ids), _BATCH):
        batch = ids[start:start + _BATCH]
        records = instance.fetch_materializations(AssetRecordsFilter(asset_key=key, storage_ids=batch), limit=len(batch))
        for record in records.records:
            versions[record.partition_key] = record.asset_materialization.tags.get(CODE_VERSION_TAG)
    return versions


def stale_partitions(instance: DagsterInstance, defs: Definitions, chain: list[AssetKey]) -> list[StalePartition]:
    """Every video partition with a stage built by another code version than `defs` now declares."""
    graph = defs.resolve_asset_graph()
    videos = set(instance.get_dynamic_partitions(VIDEOS))
    found: dict[str, StalePartition] = {}
    for index, key in enumerate(chain):
        current = graph.get(key).code_version
        for partition, built_with in materialized_code_versions(instance, key).items():
            if partition in videos and partition not in found and built_with != current:
                found[partition] = StalePartition(partition, key, built_with, current, chain[index:])
    return [found[p] for p in sorted(found)]
