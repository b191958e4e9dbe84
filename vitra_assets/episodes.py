"""`episodes`: the human V-L-A dataset (LeRobot v3.0) built incrementally from every captioned video."""

from dagster import (
    AssetCheckResult, AssetCheckSpec, AssetExecutionContext, DataVersion, MaterializeResult, MetadataValue, asset,
)

from vitra_assets.automation import EPISODES_CONDITION
from vitra_assets.captions import captions
from vitra_assets.resources import VitraConfigResource
from vitra_core.episodes.stage import CODE_VERSION, EPISODES_DIR, EPISODES_STAGE, dataset_dir, nonfinite_stats, sync_episodes

STATS_CHECK = "stats_finite"


@asset(
    deps=[captions],
    code_version=CODE_VERSION,
    automation_condition=EPISODES_CONDITION,
    group_name="dataset",
    kinds={"lerobot", "dvc"},
    check_specs=[AssetCheckSpec(STATS_CHECK, asset=EPISODES_DIR, blocking=True,
                                description="Normalisation statistics hold no NaN or infinity.")],
)
def episodes(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Appends new videos' episodes, replaces reprocessed ones, skips the unchanged; records the DVC stage."""
    layout, cfg = vitra.layout(), vitra.load()
    report = sync_episodes(layout, cfg.episodes, cfg.episode_quality, workers=cfg.episode_writer.workers)
    dvc_hash = vitra.dvc_store().commit_stage(EPISODES_STAGE)[f"data/{EPISODES_DIR}"]
    bad = nonfinite_stats(layout) if report.episodes else []
    context.log.info(f"{report.episodes} episodes; added {report.added}, replaced {report.replaced}; "
                     f"{report.excluded} below the quality floor {cfg.episode_quality.min_score}")
    return MaterializeResult(
        data_version=DataVersion(dvc_hash),
        metadata={
            "episodes": report.episodes,
            "frames": report.frames,
            "episodes_below_quality_floor": report.excluded,
            "quality_floor": cfg.episode_quality.min_score,
            "videos_added": len(report.added),
            "videos_replaced": len(report.replaced),
            "videos_unchanged": len(report.unchanged),
            "videos_removed": len(report.removed),
            "dataset_path": MetadataValue.path(str(dataset_dir(layout))),
            "dvc_md5": dvc_hash,
        },
        check_results=[AssetCheckResult(check_name=STATS_CHECK, passed=not bad,
                                        metadata={"nonfinite": ", ".join(bad) or "none"})],
    )
