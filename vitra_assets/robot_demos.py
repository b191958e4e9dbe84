"""`robot_demos`: scripted demonstrations of the simulated Shadow hand as a LeRobot-format episode dataset."""

from dagster import AssetExecutionContext, DataVersion, MaterializeResult, MetadataValue, asset

from robot.demos import (
    CODE_VERSION,
    DATASET_DIR,
    TRAINING_EPISODES,
    DemoReport,
    build_robot_demos,
    dataset_fingerprint,
)
from vitra_assets.metadata import image_markdown
from vitra_assets.resources import VitraConfigResource
from vitra_core.imaging import encode_jpeg


def _task_table(report: DemoReport) -> MetadataValue:
    rows = [f"| {t.task} | {t.demos} | {t.successes} | {t.success_rate:.0%} | {t.failed_seeds or '-'} |"
            for t in report.tasks.values()]
    header = ["| task | demos | successes | rate | failed seeds |", "|---|---|---|---|---|"]
    return MetadataValue.md("\n".join([*header, *rows]))


@asset(code_version=CODE_VERSION, group_name="robot", kinds={"lerobot", "mujoco"})
def robot_demos(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Records every task's scripted demos through the sim driver; successful ones become the dataset's episodes."""
    cfg = vitra.load()
    root = cfg.data_root / DATASET_DIR
    report, preview = build_robot_demos(root, cfg.robot_demos)
    context.log.info(f"{report.episodes} episodes, {report.frames} frames; " + ", ".join(
        f"{t.task} {t.successes}/{t.demos}" for t in report.tasks.values()))
    fingerprint = dataset_fingerprint(root)
    per_task = {
        f"{t.task}_{key}": value for t in report.tasks.values()
        for key, value in (("demos", t.demos), ("successes", t.successes), ("success_rate", round(t.success_rate, 4)))
    }
    return MaterializeResult(
        data_version=DataVersion(fingerprint),
        metadata={
            "demonstrators": _task_table(report),
            **per_task,
            "episodes": report.episodes,
            "frames": report.frames,
            "training_episodes": TRAINING_EPISODES,
            "preview": image_markdown(encode_jpeg(preview, max_width=720), "four frames of each task's first demo"),
            "dataset_path": MetadataValue.path(str(root)),
            "fingerprint": fingerprint,
        },
    )
