"""The pretraining benefit: closed-loop success against demos per task, pretrained start vs from scratch.

For each demo count n, two policies are trained on the first n successful demos of every task with the
same model, optimisation budget and seed, one starting from the pretrained VLA and one from fresh
weights; both are rolled out on the same unseen seeds of the demonstrated tasks and of their held-out
variations (`robot.sim.tasks.HELD_OUT_TASKS`). Only the starting weights differ, so the gap between
the two curves is what human-video pretraining buys at that amount of robot data.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from robot.evaluation.scores import EvaluationReport, wilson_interval
from robot.sim.tasks import HELD_OUT_TASKS, TRAINING_TASKS
from vitra_core.training.train_config import TrainConfig

Start = Literal["pretrained", "scratch"]
STARTS: tuple[Start, Start] = ("pretrained", "scratch")


class BenefitSettings(BaseModel):
    """The sweep: demo counts, roll-out seeds (past the demos' 0..n-1) and the tasks rolled out."""

    model_config = ConfigDict(extra="forbid")

    demos_per_task: list[int] = Field(default_factory=lambda: [1, 2, 5, 10, 20], min_length=1)
    seeds_per_task: int = Field(10, ge=1)
    first_seed: int = Field(1000, ge=0)
    execute_steps: int = Field(8, ge=1)
    tasks: list[str] = Field(default_factory=lambda: [*TRAINING_TASKS, *HELD_OUT_TASKS])


class BenefitPoint(BaseModel):
    """One trained policy's roll-outs: its start, the demos per task it saw, and its evaluation."""

    start: Start
    demos_per_task: int
    episodes: int
    report: EvaluationReport


class BenefitReport(BaseModel):
    settings: BenefitSettings
    train: TrainConfig
    points: list[BenefitPoint]

    def point(self, start: Start, demos: int) -> BenefitPoint:
        return next(p for p in self.points if p.start == start and p.demos_per_task == demos)

    def successes(self, start: Start, demos: int, tasks: list[str]) -> tuple[int, int]:
        """(successes, roll-outs) of one policy over `tasks`."""
        scores = [self.point(start, demos).report.tasks[t] for t in tasks]
        return sum(s.successes for s in scores), sum(s.n for s in scores)

    def overall_rate(self, start: Start) -> float:
        """Success rate of `start` over every task and demo count of the sweep."""
        counts = [self.successes(start, n, self.settings.tasks) for n in self.settings.demos_per_task]
        return sum(k for k, _ in counts) / sum(total for _, total in counts)

    def markdown(self) -> str:
        """Rows: demos per task; columns: each start on the demonstrated tasks and on the held-out ones."""
        groups = {"demonstrated tasks": [t for t in self.settings.tasks if t not in HELD_OUT_TASKS],
                  "held-out variations": [t for t in self.settings.tasks if t in HELD_OUT_TASKS]}
        groups = {name: tasks for name, tasks in groups.items() if tasks}
        header = [f"{start}, {name}" for name in groups for start in STARTS]
        lines = ["| demos/task | " + " | ".join(header) + " |", "|---:|" + "---|" * len(header)]
        for n in self.settings.demos_per_task:
            cells = []
            for tasks in groups.values():
                for start in STARTS:
                    k, total = self.successes(start, n, tasks)
                    low, high = wilson_interval(k, total)
                    cells.append(f"{k}/{total} {k / total:.0%} [{low:.2f}-{high:.2f}]")
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def first_demos(task_episodes: dict[str, list[int]], n: int) -> list[int]:
    """Dataset episode indices of the first `n` successful demos of every task (all of a task's if fewer)."""
    return sorted(i for indices in task_episodes.values() for i in indices[:n])


def measure_benefit(demos_root: Path, pretrained_dir: Path, work_dir: Path, train_config: TrainConfig,
                    settings: BenefitSettings | None = None,
                    trained: dict[tuple[Start, int], Path] | None = None) -> BenefitReport:
    """Train and roll out both starts at every demo count of `settings`; policies are kept in
    `work_dir/<start>_<n>` (rebuilt each time: a sweep is never resumed from a different run).

    trained: policy folders already trained with `train_config` on the first n demos of every task (the
    fine-tuned policy and its control on all demos), rolled out without training again."""
    from robot.demos import read_demo_report
    from robot.evaluation.evaluate import evaluate_policy
    from robot.evaluation.scores import EvalSettings
    from vitra_core.model import VLAConfig, VLAPolicy
    from vitra_core.training.loop import train

    settings = settings or BenefitSettings()
    demos = read_demo_report(demos_root)
    task_episodes = {task: d.episode_indices for task, d in demos.tasks.items()}
    model_config = VLAConfig.model_validate_json((Path(pretrained_dir) / VLAPolicy.CONFIG_FILE).read_text())
    seeds = list(range(settings.first_seed, settings.first_seed + settings.seeds_per_task))
    eval_settings = EvalSettings(tasks=settings.tasks, seeds=seeds, execute_steps=settings.execute_steps)
    points = []
    for n in settings.demos_per_task:
        episodes = first_demos(task_episodes, n)
        for start in STARTS:
            policy_dir = (trained or {}).get((start, n))
            if policy_dir is None:
                out_dir = Path(work_dir) / f"{start}_{n}"
                shutil.rmtree(out_dir, ignore_errors=True)
                init = Path(pretrained_dir) if start == "pretrained" else None
                policy_dir = train(model_config, train_config.model_copy(update={"init_from": init}), demos_root,
                                   out_dir, episodes=episodes).policy_dir
            report = evaluate_policy(VLAPolicy.load(policy_dir), f"{start} {n} demos/task", eval_settings)
            points.append(BenefitPoint(start=start, demos_per_task=n, episodes=len(episodes), report=report))
    return BenefitReport(settings=settings, train=train_config, points=points)


def plot_benefit(report: BenefitReport, path: Path) -> Path:
    """Success rate vs demos per task (log x), one panel per task, both starts with Wilson 95% bars; a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = report.settings.tasks
    demos = report.settings.demos_per_task
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 3.0), sharey=True, squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for offset, start in zip((0.97, 1.03), STARTS):
            scores = [report.point(start, n).report.tasks[task] for n in demos]
            rates = [s.rate for s in scores]
            errors = [[s.rate - s.ci95_low for s in scores], [s.ci95_high - s.rate for s in scores]]
            ax.errorbar([n * offset for n in demos], rates, yerr=errors, marker="o", capsize=3, label=start)
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(demos, [str(n) for n in demos])
        ax.set_title(task + (" (held out)" if task in HELD_OUT_TASKS else ""), fontsize=9)
        ax.set_xlabel("demos per task")
        ax.set_ylim(-0.05, 1.05)
    axes[0][0].set_ylabel("success rate (Wilson 95%)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

