"""`pretraining_benefit`: the sweep of `robot.evaluation.benefit` on the project's data, tracked in MLflow.

Light to import (the Dagster definitions load it): simulation and torch are imported when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vitra_core.fsutil import write_json_atomic

if TYPE_CHECKING:
    from robot.evaluation.benefit import BenefitReport
    from vitra_core.config import VitraConfig

CODE_VERSION = "pretraining-benefit-v1"
BENEFIT_DIR = "pretraining_benefit"  # under the data root (report, plot) and the runs folder (the sweep's policies)

EXPERIMENT = "vitra-benefit"
PLOT_FILE = "pretraining_benefit.png"
REPORT_FILE = "pretraining_benefit.json"


def benefit_stage(cfg: VitraConfig, demos_per_task: list[int] | None = None) -> tuple[BenefitReport, Path, str]:
    """The sweep on data/robot_demos from data/pretrained_vla with the fine-tuning budget (`finetune.train`)
    and policy_eval's seeds; at all demos per task it rolls out finetuned_policy and its control (trained so);
    counts above the demos recorded per task are that count.
    The table, report and plot go to `data/pretraining_benefit` and to an MLflow run of experiment
    `vitra-benefit`. Returns (report, plot path, MLflow run id)."""
    from robot.demos import DATASET_DIR
    from robot.evaluation.benefit import BenefitSettings, measure_benefit, plot_benefit
    from robot.sim.tasks import with_variations
    from vitra_core.training.finetune import FINETUNED_DIR, SCRATCH_DIR
    from vitra_core.training.pretrain import PRETRAINED_DIR
    from vitra_core.training.tracking import tracked_run, tracking_target

    evals = cfg.policy_eval
    all_demos = cfg.robot_demos.episodes_per_task  # finetuned_policy and its control: same budget, every demo
    counts = sorted({min(n, all_demos) for n in demos_per_task or evals.benefit_demos_per_task})
    settings = BenefitSettings(demos_per_task=counts, seeds_per_task=evals.seeds_per_task,
                               first_seed=evals.first_seed, execute_steps=evals.execute_steps,
                               tasks=with_variations(cfg.robot_demos.tasks))
    out_dir = cfg.data_root / BENEFIT_DIR
    with tracked_run(tracking_target(cfg), EXPERIMENT, "pretraining_benefit",
                     {"benefit": settings.model_dump(), "train": cfg.finetune.train.model_dump(mode="json")},
                     {"vitra.stage": "pretraining_benefit"}) as run:
        trained = {("pretrained", all_demos): cfg.data_root / FINETUNED_DIR,
                   ("scratch", all_demos): cfg.data_root / SCRATCH_DIR}
        report = measure_benefit(cfg.data_root / DATASET_DIR, cfg.data_root / PRETRAINED_DIR,
                                 cfg.runs_dir / BENEFIT_DIR, cfg.finetune.train, settings, trained)
        plot = plot_benefit(report, out_dir / PLOT_FILE)
        write_json_atomic(out_dir / REPORT_FILE, report)
        run.log_text(report.markdown(), "benefit/pretraining_benefit.md")
        run.log_artifacts(out_dir, "benefit")
    return report, plot, run.run_id
