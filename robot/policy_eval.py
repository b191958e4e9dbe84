"""`policy_eval`: the fine-tuned policy, its from-scratch control and the scripted demonstrator on the
same seeded roll-outs of every demonstrated task and its held-out variations (`robot.sim.tasks`);
success rates with Wilson 95% intervals, logged to MLflow.

This is where human-video pretraining has to show its worth: same demos, model and budget, only the
starting weights differ between the first two.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vitra_core.config import VitraConfig
from vitra_core.training.finetune import FINETUNED_DIR, SCRATCH_DIR
from vitra_core.training.job import read_training_record
from vitra_core.training.promotion import Comparison, PromotionGate
from vitra_core.training.tracking import TrainingRun, promote, tracking_target

if TYPE_CHECKING:
    from robot.evaluation import EvaluationReport

FINETUNED, SCRATCH, SCRIPTED = "fine-tuned", "from-scratch", "scripted demonstrator"
CHAMPION_METRIC = "eval/success_rate"  # higher is better
CODE_VERSION = "policy-eval-v3"  # v3: held-out variations rolled out, floor on each demonstrated task
MIN_SUCCESS_KEY = "policy_eval.min_success_rate"


def mean_success(report: EvaluationReport) -> float:
    return sum(s.successes for s in report.tasks.values()) / sum(s.n for s in report.tasks.values())


def lowest_demonstrated_success(report: EvaluationReport) -> float:
    """The worst success rate over the demonstrated tasks (held-out variations measure generalisation, not a floor)."""
    from robot.sim.tasks import HELD_OUT_TASKS

    return min(s.rate for task, s in report.tasks.items() if task not in HELD_OUT_TASKS)


def comparison_table(reports: dict[str, EvaluationReport]) -> str:
    """Rows: tasks and all tasks together; columns: policies, each `k/n rate [low-high]`."""
    names = list(reports)
    tasks = list(next(iter(reports.values())).tasks)
    lines = ["| task | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for task in tasks:
        cells = [f"{s.successes}/{s.n} {s.rate:.0%} [{s.ci95_low:.2f}-{s.ci95_high:.2f}]"
                 for s in (reports[name].tasks[task] for name in names)]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    lines.append("| all | " + " | ".join(f"{mean_success(reports[n]):.0%}" for n in names) + " |")
    return "\n".join(lines)


def policy_gate(reports: dict[str, EvaluationReport], min_success_rate: float) -> PromotionGate:
    """The fine-tuned policy must beat its from-scratch control over every task rolled out, held-out variations
    included (else pretraining on human video bought nothing), and reach `min_success_rate` on each demonstrated
    task (else it is not worth putting on a hand: one good task does not make up for a failed one)."""
    finetuned = reports[FINETUNED]
    return PromotionGate(comparisons=[
        Comparison(metric="success rate", against=SCRATCH, candidate=mean_success(finetuned),
                   reference=mean_success(reports[SCRATCH]), higher_is_better=True, percent=True),
        Comparison(metric="worst demonstrated task's success", against=MIN_SUCCESS_KEY,
                   candidate=lowest_demonstrated_success(finetuned),
                   reference=min_success_rate, higher_is_better=True, floor=True, percent=True),
    ])


def _log(run: TrainingRun, report: EvaluationReport, table: str, failures: Path) -> None:
    run.log_metrics({"success_rate": mean_success(report),
                     **{f"{task}/success_rate": s.rate for task, s in report.tasks.items()}}, prefix="eval/")
    run.log_text(table, "eval/policy_eval.md")
    run.log_dict(report.model_dump(), "eval/policy_eval.json")
    if failures.exists():
        run.log_artifacts(failures, "eval/failed_rollouts")


def evaluate_finetuning(cfg: VitraConfig, work_dir: Path) -> tuple[dict[str, EvaluationReport], PromotionGate, bool]:
    """Roll out all three policies; log each learned one's results (and failed roll-out videos) to its own
    training run; move `champion` of the fine-tuned model only if it passes `policy_gate` and beats the
    current champion. Returns (reports, gate, promoted)."""
    from robot.evaluation import EvalSettings, evaluate_policy, evaluate_scripted  # mujoco: only for roll-outs
    from robot.sim.tasks import with_variations
    from vitra_core.model import VLAPolicy

    seeds = list(range(cfg.policy_eval.first_seed, cfg.policy_eval.first_seed + cfg.policy_eval.seeds_per_task))
    tasks = with_variations(cfg.robot_demos.tasks)
    settings = EvalSettings(tasks=tasks, seeds=seeds, execute_steps=cfg.policy_eval.execute_steps)
    tracking = tracking_target(cfg)
    learned = {FINETUNED: cfg.data_root / FINETUNED_DIR, SCRATCH: cfg.data_root / SCRATCH_DIR}
    reports: dict[str, EvaluationReport] = {}
    for name, policy_dir in learned.items():
        failures = work_dir / "failed_rollouts" / policy_dir.name
        reports[name] = evaluate_policy(VLAPolicy.load(policy_dir), name, settings, failure_dir=failures)
    reports[SCRIPTED] = evaluate_scripted(EvalSettings.for_scripted(tasks=tasks, seeds=seeds))
    table = comparison_table(reports)
    for name, policy_dir in learned.items():
        record = read_training_record(policy_dir)
        _log(TrainingRun.resume(tracking, record.run_id), reports[name], table,
             work_dir / "failed_rollouts" / policy_dir.name)
    finetuned = read_training_record(learned[FINETUNED])
    gate = policy_gate(reports, cfg.policy_eval.min_success_rate)
    promoted = promote(tracking.uri, finetuned.model_name, finetuned.model_version, gate, CHAMPION_METRIC,
                       higher_is_better=True)
    return reports, gate, promoted
