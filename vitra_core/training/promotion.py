"""The promotion gate: what a candidate model must beat before `champion` may move to it.

A gate is a list of comparisons of the candidate's held-out figure with a reference: a baseline or a
control it must beat (strictly), or a floor it must reach. Only a candidate that passes every one is
then compared with the current champion (`tracking.promote`). Pure: no MLflow, no Dagster.
"""

from __future__ import annotations

from pydantic import BaseModel


class Comparison(BaseModel):
    """The candidate's `metric` against one reference (a baseline, a control or a floor)."""

    metric: str  # what is compared, as a person reads it: "wrist ADE (cm)", "success rate"
    against: str  # the reference's name: "hold", "from-scratch", "policy_eval.min_success_rate"
    candidate: float
    reference: float
    higher_is_better: bool
    floor: bool = False  # a floor is reached at equality; a baseline or control must be beaten
    percent: bool = False  # show values as percentages (rates)

    @property
    def passed(self) -> bool:
        if self.candidate == self.reference:
            return self.floor
        return (self.candidate > self.reference) == self.higher_is_better

    def _fmt(self, value: float) -> str:
        return f"{value:.0%}" if self.percent else f"{value:.2f}"

    def describe(self) -> str:
        """One line, e.g. `wrist ADE (cm) 12.30 loses to hold 5.10`."""
        if self.floor:
            verb = "reaches" if self.passed else "is below"
        else:
            verb = "beats" if self.passed else "loses to"
        return f"{self.metric} {self._fmt(self.candidate)} {verb} {self.against} {self._fmt(self.reference)}"


class PromotionGate(BaseModel):
    """Every comparison a candidate must pass; `passed` only if all do."""

    comparisons: list[Comparison]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons)

    def summary(self) -> str:
        """`passed: ...` or `failed: <the failed comparisons>`, one line (an MLflow tag, a check description)."""
        if self.passed:
            return "passed: " + "; ".join(c.describe() for c in self.comparisons)
        return "failed: " + "; ".join(c.describe() for c in self.comparisons if not c.passed)

    def table(self) -> str:
        """A markdown table: one row per comparison, with its outcome."""
        lines = ["| candidate | reference | outcome |", "|---|---|---|"]
        for c in self.comparisons:
            lines.append(f"| {c.metric} {c._fmt(c.candidate)} | {c.against} {c._fmt(c.reference)} | "
                         f"{'pass' if c.passed else 'FAIL'} |")
        return "\n".join(lines)
