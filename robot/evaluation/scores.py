"""Success counts per task with Wilson 95% intervals: the table `policy_eval` reports."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from robot.sim.tasks import TRAINING_TASKS

Z_95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a binomial rate: sensible at 0/n and n/n, unlike the normal approximation."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes}/{n}")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At 0/n and n/n the bound is exactly 0 or 1; floating point lands it 1e-16 inside, i.e. beside the rate.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


class EvalSettings(BaseModel):
    """Which roll-outs an evaluation runs and how the policy is executed.

    render=False skips the camera (several times faster) and shows the policy a blank image: only
    for policies that do not look (scripted, baselines).
    """

    model_config = ConfigDict(extra="forbid")

    tasks: list[str] = Field(default_factory=lambda: list(TRAINING_TASKS))
    seeds: list[int] = Field(default_factory=lambda: list(range(20)))
    execute_steps: int = Field(8, ge=1, description="chunk rows sent before re-planning")
    render: bool = True
    control_hz: float = Field(10.0, gt=0)
    image_size_px: int = Field(224, ge=16)

    @classmethod
    def for_scripted(cls, **fields) -> EvalSettings:
        """Settings for the scripted demonstrators: re-planned every step (`reach` is closed loop), no camera."""
        return cls(**{"execute_steps": 1, "render": False, **fields})


class RolloutSummary(BaseModel):
    """One roll-out's outcome (the frames stay in `RolloutResult`); `video` where a failure was saved."""

    task: str
    seed: int
    success: bool
    steps: int
    video: str | None = None


class TaskScore(BaseModel):
    task: str
    successes: int
    n: int
    rate: float
    ci95_low: float
    ci95_high: float
    failed_seeds: list[int]

    @classmethod
    def of(cls, task: str, rollouts: list[RolloutSummary]) -> TaskScore:
        successes = sum(r.success for r in rollouts)
        low, high = wilson_interval(successes, len(rollouts))
        return cls(task=task, successes=successes, n=len(rollouts), rate=successes / len(rollouts),
                   ci95_low=low, ci95_high=high, failed_seeds=[r.seed for r in rollouts if not r.success])


class EvaluationReport(BaseModel):
    """A policy's success per task over the same seeds, plus every roll-out's outcome."""

    policy: str
    settings: EvalSettings
    tasks: dict[str, TaskScore]
    rollouts: list[RolloutSummary]

    def markdown(self) -> str:
        """The per-task table, for run metadata and logs."""
        rows = [f"| {s.task} | {s.successes}/{s.n} | {s.rate:.0%} | {s.ci95_low:.2f}-{s.ci95_high:.2f} |"
                for s in self.tasks.values()]
        return "\n".join(["| task | successes | rate | Wilson 95% |", "|---|---|---|---|", *rows])
