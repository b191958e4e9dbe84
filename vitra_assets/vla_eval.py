"""`vla_eval`: zero-shot action prediction of the pretrained VLA on held-out videos, beside two baselines."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from vitra_assets.pretrained_vla import pretrained_vla
from vitra_assets.resources import VitraConfigResource
from vitra_core.episodes.stage import EPISODES_DIR
from vitra_core.training.evaluation import errors_table
from vitra_core.training.pretrain import CHAMPION_METRIC, PRETRAINED_DIR, evaluate_pretrained
from vitra_core.training.tracking import CHAMPION, tracking_target


@asset(deps=[pretrained_vla], group_name="model", kinds={"mlflow"})
def vla_eval(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Logs the error table to the training run and moves `champion` only if this model beats it."""
    cfg = vitra.load()
    errors, promoted = evaluate_pretrained(cfg.data_root / PRETRAINED_DIR, cfg.data_root / EPISODES_DIR, tracking_target(cfg))
    table = errors_table(errors)
    context.log.info("vla_eval on held-out videos:\n" + table)
    model, hold, velocity = errors["model"], errors["hold"], errors["constant_velocity"]
    return MaterializeResult(metadata={
        "errors": MetadataValue.md(table),
        "wrist_ade_cm": model.wrist_ade_cm,
        "wrist_ade_cm_hold": hold.wrist_ade_cm,
        "wrist_ade_cm_constant_velocity": velocity.wrist_ade_cm,
        "joint_angle_deg": model.joint_angle_deg,
        "joint_angle_deg_hold": hold.joint_angle_deg,
        "hand_chunks": model.hand_chunks,
        f"promoted_to_{CHAMPION}": promoted,
        "champion_metric": CHAMPION_METRIC,
    })
