"""Asynchronous receding-horizon planning: predict() runs on its own thread, the loop never waits for it.

The loop hands the planner an observation whenever a re-plan is due (`needs_observation`); a worker
thread turns it into C2 `PolicyInputs`, calls the policy and maps every row of the chunk to a command
through C2 `action_to_command`. Each tick the loop asks for the command at the current time
(`proposal`): rows are stamped from the observation they were planned from (row i is the command for
`observed_at + i / policy_hz`, i.e. row 0 is sent right after the observation, as the dataset's action
at t is the command sent after observation t), interpolated between rows, so inference latency is
skipped over rather than replayed late. Rows are command targets, passed on as such (no lead or lag
compensation: the labels already hold what the demonstrator commanded). A chunk keeps being executed
past `execute_steps` until the next one arrives; past its last row there is nothing to propose and
the safety filter's watchdog holds. C2's `ChunkExecutor` does the same synchronously (predict inside
`step`), which a fixed-rate loop cannot afford; its building blocks are reused here.

A predict() still running after `predict_deadline_s` (the watchdog timeout: its answer could only be held)
or when another policy is swapped in is abandoned: its worker thread is left to finish alone and its
answer dropped, and a fresh worker takes the next request, so a hung policy never keeps a good one from
planning. Python cannot stop a thread, so a policy whose abandoned predict() has not returned is not asked
again (one stuck thread per policy at most); the watchdog holds the hand meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from robot.controller.metrics import ControllerMetrics
from robot.drivers.base import Observation
from robot.policy_adapter import Policy, PolicyInputs, action_to_command, observation_to_inputs
from robot.safety import CommandArrays

log = logging.getLogger(__name__)

_ROW_TOLERANCE = 1e-9  # in rows: the last row is still due when float rounding puts "now" a hair past it


def interpolate(a: CommandArrays, b: CommandArrays, fraction: float) -> CommandArrays:
    """Joints and wrist position linearly, the wrist quaternion by normalised lerp on the short arc."""
    qb = b.wrist_quat_wxyz if float(a.wrist_quat_wxyz @ b.wrist_quat_wxyz) >= 0 else -b.wrist_quat_wxyz
    quat = (1 - fraction) * a.wrist_quat_wxyz + fraction * qb
    return CommandArrays(
        (1 - fraction) * a.joint_targets_rad + fraction * b.joint_targets_rad,
        (1 - fraction) * a.wrist_position_m + fraction * b.wrist_position_m,
        quat / np.linalg.norm(quat),
    )


@dataclass(frozen=True)
class Plan:
    """One chunk as commands; `observed_at_s` is the monotonic time of the observation it answers."""

    observed_at_s: float
    commands: Sequence[CommandArrays]

    def at(self, now_s: float, policy_hz: float) -> CommandArrays | None:
        """The command for `now_s`, or None once past the last row."""
        position = max(now_s - self.observed_at_s, 0.0) * policy_hz
        last = len(self.commands) - 1
        if position > last + _ROW_TOLERANCE:
            return None
        if last == 0:
            return self.commands[0]
        index = min(int(position), last - 1)
        return interpolate(self.commands[index], self.commands[index + 1], min(position - index, 1.0))


@dataclass(frozen=True)
class _Request:
    inputs: PolicyInputs
    observed_at_s: float
    generation: int
    policy: Policy


class _Worker:
    """One thread running the predict() requests put on its queue, one at a time."""

    def __init__(self, work: Callable[[_Worker], None]):
        self.requests: queue.Queue[_Request | None] = queue.Queue(maxsize=1)
        self.busy: _Request | None = None  # the request being answered
        self.busy_since_s = 0.0
        self.thread = threading.Thread(target=work, args=(self,), name="policy-worker", daemon=True)
        self.thread.start()


class Planner:
    """The active policy and its latest plan; one worker thread at a time runs predict() (see the module doc)."""

    def __init__(self, joint_names: Sequence[str], instruction: str, fov_deg: tuple[float, float], camera: str,
                 policy_hz: float, execute_steps: int, predict_deadline_s: float, metrics: ControllerMetrics):
        self.joint_names = list(joint_names)
        self.instruction = instruction
        self.fov_deg = fov_deg
        self.camera = camera
        self.policy_hz = policy_hz
        self.replan_after_s = execute_steps / policy_hz
        self.predict_deadline_s = predict_deadline_s
        self.metrics = metrics
        self._lock = threading.Lock()
        self._policy: Policy | None = None
        self._generation = 0
        self._stuck_generation: int | None = None  # a policy whose abandoned predict() has not returned yet
        self._plan: Plan | None = None
        self._last_request_s: float | None = None
        self._activated_at_s = 0.0
        self._worker: _Worker | None = None

    def start(self) -> None:
        self._worker = _Worker(self._work)

    def stop(self) -> None:
        """End the worker once its predict() (if any) returns; a stuck one is a daemon and is left behind."""
        worker = self._worker
        if worker is not None:
            worker.requests.put(None)
            worker.thread.join(timeout=self.predict_deadline_s)

    @property
    def has_policy(self) -> bool:
        return self._policy is not None

    def set_policy(self, policy: Policy | None) -> None:
        """Swap the policy; the old one's plan (and any answer still on its way) is dropped."""
        with self._lock:
            if self._worker is not None and self._worker.busy is not None:
                self._abandon_worker()
            self._policy = policy
            self._generation += 1
            self._plan = None
            self._last_request_s = None
            self._activated_at_s = time.monotonic()
        self.metrics.policy_active.set(policy is not None)

    def to_inputs(self, observation: Observation) -> PolicyInputs:
        """predict() inputs for `observation` with this controller's instruction, camera and field of view."""
        return observation_to_inputs(observation, self.instruction, self.fov_deg, self.camera)

    def to_plan(self, chunk: np.ndarray, observed_at_s: float) -> Plan:
        """A chunk [C, 102] as commands in the safety filter's joint order."""
        commands = [CommandArrays.from_command(self.joint_names, action_to_command(row)) for row in chunk]
        return Plan(observed_at_s, commands)

    def needs_observation(self, now_s: float) -> bool:
        """Whether the loop should observe and `submit` now: a policy is active and can be asked, none is
        thinking, and nothing was asked yet or `execute_steps` rows have passed since the last request (a
        failing policy is asked again at the same pace, not every tick). A predict() past its deadline is
        abandoned here."""
        with self._lock:
            worker = self._worker
            if worker is not None and worker.busy is not None and now_s - worker.busy_since_s > self.predict_deadline_s:
                log.error("policy predict() has not answered within %.3f s; abandoned, holding the hand",
                          self.predict_deadline_s)
                self.metrics.policy_timeouts.inc()
                self._stuck_generation = worker.busy.generation
                self._abandon_worker()
            if not self._can_ask():
                return False
            return self._last_request_s is None or now_s - self._last_request_s >= self.replan_after_s

    def submit(self, observation: Observation, observed_at_s: float) -> None:
        with self._lock:
            if not self._can_ask():
                return
            self._last_request_s = observed_at_s
            request = _Request(self.to_inputs(observation), observed_at_s, self._generation, self._policy)
            self._worker.busy, self._worker.busy_since_s = request, time.monotonic()
            self._worker.requests.put(request)

    def _can_ask(self) -> bool:
        return (self._policy is not None and self._worker is not None and self._worker.busy is None
                and self._stuck_generation != self._generation)

    def _abandon_worker(self) -> None:
        """Leave the busy worker to finish its predict() alone (its answer is dropped); a fresh one takes over."""
        self._worker = _Worker(self._work)

    def proposal(self, now_s: float) -> tuple[CommandArrays | None, float]:
        """The command the active plan asks for at `now_s` (None past its end) and when it was observed;
        before the policy's first plan, (None, when the policy was set) so the watchdog can time the wait."""
        plan = self._plan
        if plan is None:
            return None, self._activated_at_s
        return plan.at(now_s, self.policy_hz), plan.observed_at_s

    def _work(self, worker: _Worker) -> None:
        while (request := worker.requests.get()) is not None:
            plan = None
            started = time.perf_counter()
            try:
                plan = self.to_plan(request.inputs.predict(request.policy), request.observed_at_s)
            except Exception:  # a failing policy must not end the worker; the watchdog holds the hand meanwhile
                log.exception("policy predict() failed; holding until the next plan")
                self.metrics.policy_errors.inc()
            finally:
                self.metrics.observe_latency(time.perf_counter() - started)
            with self._lock:
                if worker is not self._worker:  # abandoned meanwhile: this policy may be asked again, nothing more
                    if self._stuck_generation == request.generation:
                        self._stuck_generation = None
                    return
                if plan is not None and request.generation == self._generation:
                    self._plan = plan
                worker.busy = None
