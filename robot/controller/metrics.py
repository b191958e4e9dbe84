"""The controller's Prometheus metrics, in a registry of its own (GET /metrics serves exactly these)."""

from __future__ import annotations

from collections import deque

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from robot.safety import REASONS

_PERIOD_BUCKETS_S = (0.005, 0.01, 0.02, 0.025, 0.03, 0.033, 0.036, 0.04, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0)
_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_RATE_WINDOW_TICKS = 60
_TIMING_WINDOW = 1024  # raw samples kept for percentiles (~34 s of ticks at 30 Hz)


class ControllerMetrics:
    """Loop timing, policy latency, safety interventions by reason, deploys, rollbacks and refusals by check."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.loop_rate_hz = Gauge("vitra_controller_loop_rate_hz", f"loop rate over the last {_RATE_WINDOW_TICKS} ticks",
                                  registry=r)
        self.loop_period_s = Histogram("vitra_controller_loop_period_seconds", "time between loop ticks",
                                       buckets=_PERIOD_BUCKETS_S, registry=r)
        self.loop_ticks = Counter("vitra_controller_loop_ticks", "loop ticks (one command sent each)", registry=r)
        self.loop_overruns = Counter("vitra_controller_loop_overruns", "ticks whose work outlasted the period", registry=r)
        self.policy_latency_s = Histogram("vitra_controller_policy_latency_seconds", "one predict() call",
                                          buckets=_LATENCY_BUCKETS_S, registry=r)
        self.policy_errors = Counter("vitra_controller_policy_errors", "predict() calls that failed or returned "
                                                                        "no usable chunk", registry=r)
        self.policy_timeouts = Counter("vitra_controller_policy_timeouts", "predict() calls abandoned past their "
                                                                            "deadline", registry=r)
        self.safety_interventions = Counter("vitra_controller_safety_interventions", "commands changed by the safety "
                                                                                      "filter", ["reason"], registry=r)
        self.deploys = Counter("vitra_controller_deploys", "bundles deployed", registry=r)
        self.rollbacks = Counter("vitra_controller_rollbacks", "rollbacks to the previous bundle", registry=r)
        self.refusals = Counter("vitra_controller_deploy_refusals", "deploys and rollbacks refused", ["check"], registry=r)
        self.policy_active = Gauge("vitra_controller_policy_active", "1 while a policy drives the hand", registry=r)
        for reason in REASONS:
            self.safety_interventions.labels(reason)  # every reason is exported, at 0 until it happens
        self._recent_periods_s: deque[float] = deque(maxlen=_RATE_WINDOW_TICKS)
        self._periods_s: deque[float] = deque(maxlen=_TIMING_WINDOW)
        self._latencies_s: deque[float] = deque(maxlen=_TIMING_WINDOW)
        self.rate_hz = 0.0

    def observe_period(self, period_s: float) -> None:
        self.loop_period_s.observe(period_s)
        self._periods_s.append(period_s)
        self._recent_periods_s.append(period_s)
        self.rate_hz = len(self._recent_periods_s) / max(sum(self._recent_periods_s), 1e-9)
        self.loop_rate_hz.set(self.rate_hz)

    def observe_latency(self, latency_s: float) -> None:
        self.policy_latency_s.observe(latency_s)
        self._latencies_s.append(latency_s)

    def clear_timing(self) -> None:
        """Start a fresh window for `timing` (e.g. after a deploy, to measure the steady state)."""
        self._periods_s.clear()
        self._latencies_s.clear()

    def timing(self, nominal_period_s: float) -> dict[str, float | int | None]:
        """Percentiles over the last ticks and predict() calls (at most 1024 of each): loop period error
        |period - nominal| in ms and policy latency in s; None where there are no samples yet."""
        errors_ms = np.abs(np.array(list(self._periods_s)) - nominal_period_s) * 1e3  # list(): one atomic copy
        latencies_s = np.array(list(self._latencies_s))

        def percentile(values: np.ndarray, q: float) -> float | None:
            return float(np.percentile(values, q)) if len(values) else None

        return {
            "ticks": len(errors_ms), "period_error_p50_ms": percentile(errors_ms, 50),
            "period_error_p99_ms": percentile(errors_ms, 99), "predictions": len(latencies_s),
            "policy_latency_p50_s": percentile(latencies_s, 50), "policy_latency_p99_s": percentile(latencies_s, 99),
        }

    def render(self) -> bytes:
        return generate_latest(self.registry)
