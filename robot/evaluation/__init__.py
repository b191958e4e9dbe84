"""Roll-out evaluation of policies in the simulated tasks (`policy_eval`), with reference policies."""

from robot.evaluation.baselines import HoldStatePolicy, ScriptedPolicy
from robot.evaluation.evaluate import PolicyFactory, evaluate, evaluate_policy, evaluate_scripted
from robot.evaluation.rollout import RolloutResult, rollout
from robot.evaluation.scores import EvalSettings, EvaluationReport, RolloutSummary, TaskScore, wilson_interval

__all__ = [
    "EvalSettings", "EvaluationReport", "HoldStatePolicy", "PolicyFactory", "RolloutResult", "RolloutSummary",
    "ScriptedPolicy", "TaskScore", "evaluate", "evaluate_policy", "evaluate_scripted", "rollout", "wilson_interval",
]
