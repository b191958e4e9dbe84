"""The pretraining-benefit sweep's bookkeeping: demo subsets, the table, the plot, the policy gate's floor."""

from __future__ import annotations

import numpy as np
from PIL import Image

from robot.evaluation.benefit import BenefitPoint, BenefitReport, BenefitSettings, first_demos, plot_benefit
from robot.evaluation.scores import EvalSettings, EvaluationReport, RolloutSummary, TaskScore
from robot.policy_eval import FINETUNED, SCRATCH, policy_gate
from vitra_core.training.train_config import TrainConfig

TASKS = ["palm_ball", "table_grasp_wide_can"]


def _report(name: str, successes: dict[str, int], n: int = 10) -> EvaluationReport:
    rollouts = [RolloutSummary(task=task, seed=1000 + s, success=s < k, steps=45)
                for task, k in successes.items() for s in range(n)]
    scores = {task: TaskScore.of(task, [r for r in rollouts if r.task == task]) for task in successes}
    settings = EvalSettings(tasks=list(successes), seeds=list(range(1000, 1000 + n)))
    return EvaluationReport(policy=name, settings=settings, tasks=scores, rollouts=rollouts)


def _sweep() -> BenefitReport:
    successes = {("pretrained", 1): (3, 1), ("scratch", 1): (2, 0), ("pretrained", 5): (10, 4), ("scratch", 5): (9, 2)}
    points = [BenefitPoint(start=start, demos_per_task=n, episodes=2 * n,
                           report=_report(start, dict(zip(TASKS, counts))))
              for (start, n), counts in successes.items()]
    settings = BenefitSettings(demos_per_task=[1, 5], tasks=TASKS)
    return BenefitReport(settings=settings, train=TrainConfig(), points=points)


def test_first_demos_takes_the_first_n_of_every_task():
    assert first_demos({"a": [0, 1, 2], "b": [3, 4, 5]}, 2) == [0, 1, 3, 4]
    assert first_demos({"a": [0], "b": [3, 4, 5]}, 2) == [0, 3, 4]


def test_benefit_table_splits_demonstrated_and_held_out_tasks_with_wilson_intervals():
    table = _sweep().markdown().splitlines()
    assert table[0] == ("| demos/task | pretrained, demonstrated tasks | scratch, demonstrated tasks | "
                        "pretrained, held-out variations | scratch, held-out variations |")
    assert table[2] == ("| 1 | 3/10 30% [0.11-0.60] | 2/10 20% [0.06-0.51] | 1/10 10% [0.02-0.40] | "
                        "0/10 0% [0.00-0.28] |")
    assert _sweep().overall_rate("pretrained") == (3 + 1 + 10 + 4) / 40


def test_benefit_plot_is_a_png_with_one_panel_per_task(tmp_path):  # 10/10 among them: its bar ends at exactly 1
    path = plot_benefit(_sweep(), tmp_path / "benefit.png")
    image = np.asarray(Image.open(path))
    assert image.shape[1] > image.shape[0] * 1.5  # two panels side by side


def test_policy_gate_floor_is_the_worst_demonstrated_task_not_the_held_out_one():
    reports = {FINETUNED: _report(FINETUNED, {"palm_ball": 9, "reach": 7, "table_grasp_wide_can": 1}),
               SCRATCH: _report(SCRATCH, {"palm_ball": 9, "reach": 5, "table_grasp_wide_can": 0})}
    gate = policy_gate(reports, 0.8)
    assert [c.passed for c in gate.comparisons] == [True, False]
    assert gate.comparisons[1].candidate == 0.7
    reports[FINETUNED] = _report(FINETUNED, {"palm_ball": 9, "reach": 8, "table_grasp_wide_can": 0})
    assert policy_gate(reports, 0.8).passed
