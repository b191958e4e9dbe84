"""`policy_eval`: success rates of the fine-tuned policy, its from-scratch control and the demonstrator."""

from dagster import AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue, asset

from robot.policy_eval import (
    CHAMPION_METRIC, CODE_VERSION, FINETUNED, SCRATCH, SCRIPTED, comparison_table, evaluate_finetuning,
    mean_success,
)
from vitra_assets.finetuned_policy import finetuned_policy
from vitra_assets.metadata import promotion_outcome
from vitra_assets.resources import VitraConfigResource
from vitra_core.training.tracking import champion_version

POLICY_EVAL_DIR = "policy_eval"  # under the data root: failed roll-out videos
GATE_CHECK = "beats_control"


@asset(
    deps=[finetuned_policy], code_version=CODE_VERSION, group_name="robot", kinds={"mujoco", "mlflow"},
    check_specs=[AssetCheckSpec(GATE_CHECK, asset="policy_eval", blocking=True,
                                description="The fine-tuned policy beats its from-scratch control over all tasks "
                                            "and reaches policy_eval.min_success_rate on each demonstrated one; else `champion` stays and nothing new "
                                            "is deployed.")],
)
def policy_eval(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Seeded roll-outs per task (seeds disjoint from the demos'); tables and failed roll-out videos go to
    each policy's MLflow run; `champion` of vitra-policy moves only if the fine-tuned one passes the gate
    (the blocking check) and beats the current champion."""
    cfg = vitra.load()
    reports, gate, promoted = evaluate_finetuning(cfg, cfg.data_root / POLICY_EVAL_DIR)
    table = comparison_table(reports)
    context.log.info(f"policy_eval:\n{table}\ngate {gate.summary()}")
    champion = champion_version(cfg.mlflow_tracking_uri, cfg.finetune.registered_model)
    promotion, gate_check = promotion_outcome(GATE_CHECK, gate, promoted, cfg.finetune.registered_model, champion,
                                              CHAMPION_METRIC)
    return MaterializeResult(
        metadata={
            "success": MetadataValue.md(table),
            "success_rate_finetuned": round(mean_success(reports[FINETUNED]), 3),
            "success_rate_scratch": round(mean_success(reports[SCRATCH]), 3),
            "success_rate_demonstrator": round(mean_success(reports[SCRIPTED]), 3),
            "min_success_rate": cfg.policy_eval.min_success_rate,
            "seeds": ", ".join(map(str, reports[FINETUNED].settings.seeds)),
            "failed_rollout_videos": sum(r.video is not None for rep in reports.values() for r in rep.rollouts),
            **promotion,
        },
        check_results=[gate_check],
    )
