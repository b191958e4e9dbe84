"""Evaluate a policy over tasks x seeds in simulation: a success table per task, failed roll-outs as mp4.

Learned policies, the scripted demonstrator and the zero policy all go through the same loop
(`evaluate`); they differ only in how the policy is made for a task's driver.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from robot.evaluation.baselines import ScriptedPolicy
from robot.evaluation.rollouts import RolloutResult, rollout
from robot.evaluation.scores import EvalSettings, EvaluationReport, RolloutSummary, TaskScore
from robot.policy_adapter import Policy
from robot.sim.driver import SimHandDriver
from robot.sim.tasks import get_task
from vitra_core.video.writer import write_clip

PolicyFactory = Callable[[SimHandDriver], Policy]


def _save_failure(result: RolloutResult, failure_dir: Path | None, fps: float) -> str | None:
    if result.success or failure_dir is None or len(result.frames) == 0:
        return None
    path = Path(failure_dir) / result.task / f"seed{result.seed:04d}.mp4"
    write_clip(result.frames, path, fps)
    return str(path)


def evaluate(policy_for: PolicyFactory, name: str, settings: EvalSettings | None = None,
             failure_dir: Path | None = None) -> EvaluationReport:
    """Roll out `policy_for(driver)` on every task and seed of `settings` (one driver per task, reset per seed).

    Failed roll-outs of a rendering evaluation are written to `failure_dir/<task>/seed<NNNN>.mp4`
    when a folder is given.
    """
    settings = settings or EvalSettings()
    for task in settings.tasks:
        get_task(task)  # unknown names fail before anything runs
    size = (settings.image_size_px, settings.image_size_px)
    rollouts: list[RolloutSummary] = []
    for task in settings.tasks:
        with SimHandDriver(task, control_hz=settings.control_hz, image_size=size, render=settings.render) as driver:
            policy = policy_for(driver)
            for seed in settings.seeds:
                result = rollout(policy, driver, seed, settings.execute_steps)
                video = _save_failure(result, failure_dir, settings.control_hz)
                rollouts.append(RolloutSummary(task=task, seed=seed, success=result.success, steps=result.steps,
                                               video=video))
    scores = {task: TaskScore.of(task, [r for r in rollouts if r.task == task]) for task in settings.tasks}
    return EvaluationReport(policy=name, settings=settings, tasks=scores, rollouts=rollouts)


def evaluate_policy(policy: Policy, name: str, settings: EvalSettings | None = None,
                    failure_dir: Path | None = None) -> EvaluationReport:
    """`evaluate` for one policy object used on every task (a learned policy, a baseline)."""
    return evaluate(lambda driver: policy, name, settings, failure_dir)


def evaluate_scripted(settings: EvalSettings | None = None, failure_dir: Path | None = None) -> EvaluationReport:
    """The scripted demonstrators as `ScriptedPolicy`s through the same loop; default settings
    `EvalSettings.for_scripted()`. Chunks are only as long as the part executed."""
    settings = settings or EvalSettings.for_scripted()
    return evaluate(lambda driver: ScriptedPolicy(driver, chunk_size=settings.execute_steps), "scripted_demonstrator",
                    settings, failure_dir)
