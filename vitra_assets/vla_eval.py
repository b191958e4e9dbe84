"""`vla_eval`: zero-shot action prediction of the pretrained VLA on held-out videos, beside two baselines."""

from dagster import AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue, asset

from vitra_assets.metadata import promotion_outcome
from vitra_assets.pretrained_vla import pretrained_vla
from vitra_assets.resources import VitraConfigResource
from vitra_core.episodes.stage import EPISODES_DIR
from vitra_core.training.evaluation import errors_table
from vitra_core.training.pretrain import (
    CHAMPION_METRIC, EVAL_CODE_VERSION, PRETRAINED_DIR, evaluate_pretrained,
)
from vitra_core.training.tracking import champion_version, tracking_target

GATE_CHECK = "beats_baselines"


@asset(
    deps=[pretrained_vla], code_version=EVAL_CODE_VERSION, group_name="model", kinds={"mlflow"},
    check_specs=[AssetCheckSpec(GATE_CHECK, asset="vla_eval", blocking=True,
                                description="Held-out wrist ADE beats hold and constant velocity; "
                                            "else `champion` of vitra-vla stays where it is.")],
)
def vla_eval(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Logs the error table to the training run; `champion` moves only if this model beats both baselines
    (the blocking check) and the current champion."""
    cfg = vitra.load()
    errors, gate, promoted = evaluate_pretrained(cfg.data_root / PRETRAINED_DIR, cfg.data_root / EPISODES_DIR,
                                                 tracking_target(cfg), cfg.pretrain.flow_samples)
    table = errors_table(errors)
    context.log.info(f"vla_eval on held-out videos:\n{table}\ngate {gate.summary()}")
    model, hold, velocity = errors["model"], errors["hold"], errors["constant_velocity"]
    champion = champion_version(cfg.mlflow_tracking_uri, cfg.pretrain.registered_model)
    promotion, gate_check = promotion_outcome(GATE_CHECK, gate, promoted, cfg.pretrain.registered_model, champion,
                                              CHAMPION_METRIC)
    return MaterializeResult(
        metadata={
            "errors": MetadataValue.md(table),
            "wrist_ade_cm": round(model.wrist_ade_cm, 2),
            "wrist_ade_cm_hold": round(hold.wrist_ade_cm, 2),
            "wrist_ade_cm_constant_velocity": round(velocity.wrist_ade_cm, 2),
            "joint_angle_deg": round(model.joint_angle_deg, 2),
            "joint_angle_deg_hold": round(hold.joint_angle_deg, 2),
            "hand_chunks": model.hand_chunks,
            "prediction": f"mean of {cfg.pretrain.flow_samples} flow samples per chunk",
            **promotion,
        },
        check_results=[gate_check],
    )
