"""`pretrained_vla`: the VLA pretrained on the human episodes, tracked in MLflow, registered as `vitra-vla`."""

from dagster import AssetExecutionContext, DataVersion, MaterializeResult, MetadataValue, asset

from vitra_assets.episodes import episodes
from vitra_assets.resources import VitraConfigResource
from vitra_core.training.pretrain import CODE_VERSION, PRETRAIN_STAGE, PRETRAINED_DIR, pretrain_stage
from vitra_core.training.tracking import CANDIDATE, dagster_links


@asset(deps=[episodes], code_version=CODE_VERSION, group_name="model", kinds={"pytorch", "mlflow", "dvc"})
def pretrained_vla(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Trains on the training videos, keeps the step with the best validation error and stops once it stops
    improving (checkpoints resume a killed run); the same code as `vitra train pretrain`, the DVC stage
    `pretrain`, which this records."""
    cfg = vitra.load()
    record = pretrain_stage(cfg, dagster_links(context.run_id, context.asset_key.to_user_string()))
    dvc_hash = vitra.dvc_store().commit_stage(PRETRAIN_STAGE)[f"data/{PRETRAINED_DIR}"]
    context.log.info(f"{record.model_name} v{record.model_version} ({CANDIDATE}): loss {record.first_loss:.3f} -> "
                     f"{record.final_loss:.3f} in {record.steps} steps, {record.seconds:.0f} s")
    return MaterializeResult(
        data_version=DataVersion(dvc_hash),
        metadata={
            "model": f"{record.model_name} v{record.model_version} @{CANDIDATE}",
            "mlflow_run_id": record.run_id,
            "mlflow_ui": MetadataValue.md(f"`mlflow ui --backend-store-uri {cfg.mlflow_tracking_uri}`"),
            "steps": record.steps,
            "kept_step": record.best_step,
            "stopped_early": record.stopped_early,
            "first_loss": round(record.first_loss, 4),
            "final_loss": round(record.final_loss, 4),
            **{key.replace("/", "_"): round(value, 3) for key, value in record.val.items()},
            "train_seconds": round(record.seconds, 1),
            "train_episodes": record.dataset_episodes,
            "held_out_videos": ", ".join(record.extra["split"]["eval_videos"]),
            "validation_videos": ", ".join(record.extra["split"]["val_videos"]),
            "episodes_dvc_md5": record.dataset_dvc_md5,
            "git_commit": record.git_commit,
            "policy_path": MetadataValue.path(str(cfg.data_root / PRETRAINED_DIR)),
            "dvc_md5": dvc_hash,
        },
    )
