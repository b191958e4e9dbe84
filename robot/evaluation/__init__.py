"""Roll-out evaluation of policies in the simulated tasks (`policy_eval`), with reference policies."""

from vitra_core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "baselines": ["HoldStatePolicy", "ScriptedPolicy"],
    "evaluate": ["PolicyFactory", "evaluate", "evaluate_policy", "evaluate_scripted"],
    "rollouts": ["RolloutResult", "rollout"],  # not named rollout: importing it would shadow the function
    "scores": ["EvalSettings", "EvaluationReport", "RolloutSummary", "TaskScore", "wilson_interval"],
})
