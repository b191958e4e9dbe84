"""`finetuned_policy`: the pretrained VLA fine-tuned on the robot demos (`vitra-policy`), with its
from-scratch control (`vitra-policy-scratch`: same size, demos and budget)."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from robot.demos import DATASET_DIR, dataset_fingerprint
from vitra_assets.pretrained_vla import pretrained_vla
from vitra_assets.resources import VitraConfigResource
from vitra_assets.robot_demos import robot_demos
from vitra_core.training.finetune import CODE_VERSION, FINETUNED_DIR, finetune_stage
from vitra_core.training.tracking import CANDIDATE, dagster_links


@asset(deps=[pretrained_vla, robot_demos], code_version=CODE_VERSION, group_name="robot", kinds={"pytorch", "mlflow"})
def finetuned_policy(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Both runs are tracked in MLflow (experiment `vitra-finetune`) and registered as `candidate`."""
    cfg = vitra.load()
    demos = cfg.data_root / DATASET_DIR
    finetuned, control = finetune_stage(cfg, demos, dataset_fingerprint(demos),
                                        dagster_links(context.run_id, context.asset_key.to_user_string()))
    for r in (finetuned, control):
        context.log.info(f"{r.model_name} v{r.model_version}: loss {r.first_loss:.3f} -> {r.final_loss:.3f} "
                         f"in {r.steps} steps, {r.seconds:.0f} s")
    table = "\n".join(["| policy | start | first loss | final loss | steps | seconds |", "|---|---|---:|---:|---:|---:|"] + [
        f"| {r.model_name} v{r.model_version} | {start} | {r.first_loss:.3f} | {r.final_loss:.3f} | {r.steps} | {r.seconds:.0f} |"
        for r, start in ((finetuned, "pretrained_vla"), (control, "scratch"))])
    return MaterializeResult(metadata={
        "training": MetadataValue.md(table),
        "model": f"{finetuned.model_name} v{finetuned.model_version} @{CANDIDATE}",
        "control_model": f"{control.model_name} v{control.model_version} @{CANDIDATE}",
        "mlflow_run_id": finetuned.run_id,
        "control_mlflow_run_id": control.run_id,
        "pretrained_from": f"{finetuned.extra['pretrained']['model']} v{finetuned.extra['pretrained']['version']}",
        "demo_episodes": finetuned.dataset_episodes,
        "demos_fingerprint": finetuned.dataset_dvc_md5,
        "final_loss": finetuned.final_loss,
        "control_final_loss": control.final_loss,
        "policy_path": MetadataValue.path(str(cfg.data_root / FINETUNED_DIR)),
    })
