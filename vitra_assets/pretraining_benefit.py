"""`pretraining_benefit`: success vs demos per task, fine-tuned from the pretrained VLA vs from scratch."""

import base64

from dagster import (
    AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue,
    asset,
)

from robot.pretraining_benefit import CODE_VERSION, benefit_stage
from vitra_assets.finetuned_policy import finetuned_policy
from vitra_assets.pretrained_vla import pretrained_vla
from vitra_assets.resources import VitraConfigResource
from vitra_assets.robot_demos import robot_demos

BENEFIT_CHECK = "pretraining_helps"


@asset(
    deps=[pretrained_vla, robot_demos, finetuned_policy], code_version=CODE_VERSION, group_name="model",
    kinds={"pytorch", "mujoco", "mlflow"},
    check_specs=[AssetCheckSpec(BENEFIT_CHECK, asset="pretraining_benefit",
                                description="Summed over the sweep, policies fine-tuned from the pretrained VLA "
                                            "succeed more often than from scratch (a warning, not a block: "
                                            "the measurement is the product, whichever way it comes out).")],
)
def pretraining_benefit(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Trains both starts at each demo count of `policy_eval.benefit_demos_per_task` with the fine-tuning budget
    and seed, rolls them out on unseen seeds of every task and its held-out variations; the plot is in this
    metadata and in the MLflow run (experiment vitra-benefit)."""
    cfg = vitra.load()
    report, plot, run_id = benefit_stage(cfg)
    table = report.markdown()
    context.log.info(f"pretraining_benefit:\n{table}")
    rates = {start: report.overall_rate(start) for start in ("pretrained", "scratch")}
    png = base64.b64encode(plot.read_bytes()).decode()
    return MaterializeResult(
        metadata={
            "benefit": MetadataValue.md(table),
            "plot": MetadataValue.md(f"![success vs demos per task](data:image/png;base64,{png})"),
            "plot_path": MetadataValue.path(str(plot)),
            "success_rate_pretrained": round(rates["pretrained"], 3),
            "success_rate_scratch": round(rates["scratch"], 3),
            "demos_per_task": ", ".join(map(str, report.settings.demos_per_task)),
            "tasks": ", ".join(report.settings.tasks),
            "train_steps": report.train.steps,
            "mlflow_run_id": run_id,
        },
        check_results=[AssetCheckResult(
            check_name=BENEFIT_CHECK, passed=rates["pretrained"] > rates["scratch"],
            severity=AssetCheckSeverity.WARN,
            description=f"pretrained {rates['pretrained']:.0%} vs scratch {rates['scratch']:.0%} over the sweep")],
    )
