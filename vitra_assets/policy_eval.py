"""`policy_eval`: success rates of the fine-tuned policy, its from-scratch control and the demonstrator."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from robot.policy_eval import CHAMPION_METRIC, FINETUNED, SCRATCH, SCRIPTED, comparison_table, evaluate_finetuning, mean_success
from vitra_assets.finetuned_policy import finetuned_policy
from vitra_assets.resources import VitraConfigResource
from vitra_core.training.tracking import CHAMPION

POLICY_EVAL_DIR = "policy_eval"  # under the data root: failed roll-out videos


@asset(deps=[finetuned_policy], group_name="robot", kinds={"mujoco", "mlflow"})
def policy_eval(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Seeded roll-outs per task (seeds disjoint from the demos'); tables and failed roll-out videos go to
    each policy's MLflow run; `champion` of vitra-policy moves only if the fine-tuned one beats it."""
    cfg = vitra.load()
    reports, promoted = evaluate_finetuning(cfg, cfg.data_root / POLICY_EVAL_DIR)
    table = comparison_table(reports)
    context.log.info("policy_eval:\n" + table)
    return MaterializeResult(metadata={
        "success": MetadataValue.md(table),
        "success_rate_finetuned": mean_success(reports[FINETUNED]),
        "success_rate_scratch": mean_success(reports[SCRATCH]),
        "success_rate_demonstrator": mean_success(reports[SCRIPTED]),
        "seeds": ", ".join(map(str, reports[FINETUNED].settings.seeds)),
        "failed_rollout_videos": sum(r.video is not None for rep in reports.values() for r in rep.rollouts),
        f"promoted_to_{CHAMPION}": promoted,
        "champion_metric": CHAMPION_METRIC,
    })
