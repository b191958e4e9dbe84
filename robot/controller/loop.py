"""The fixed-rate control loop, on the one thread that ever calls the driver.

A hand driver is not thread-safe, and the simulator's offscreen GL context belongs to the thread that
created it, so the driver is built, run and closed on the loop's own thread (a one-worker executor);
other threads read only its static description (joints, cameras, field of view) and get observations
through `request_observation`.

Every tick sends exactly one command, and every command has passed the safety filter: the planner's
proposal while a policy is active, the filter's hold otherwise. The driver is observed only when the
planner wants a re-plan or someone (a deploy's smoke inference) asked for an observation, since an
observation carries camera images and rendering them is the costly part of a tick in simulation.
Deadlines are absolute (start + n periods), so an overrunning tick (counted) is made up by starting the
next one at once and the mean rate stays the configured one; a loop more than one period behind drops
the missed ticks instead of bursting through them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from robot.controller.metrics import ControllerMetrics
from robot.controller.planner import Planner
from robot.drivers.base import HandDriver, Observation
from robot.safety import WATCHDOG, CommandArrays, FilterResult, SafetyFilter

log = logging.getLogger(__name__)


class ControlLoop:
    """Builds the driver with `driver_factory` on its thread; `start` runs the loop there until `stop`."""

    def __init__(self, driver_factory: Callable[[], HandDriver], metrics: ControllerMetrics, rate_hz: float):
        self.metrics = metrics
        self.period_s = 1.0 / rate_hz
        self.error: str | None = None
        self.last_tick_s: float | None = None
        self.ticks = 0
        self.overruns = 0
        self.last_command: CommandArrays | None = None
        self.last_watchdog_s: float | None = None  # when the watchdog last held the hand for a silent policy
        self.last_observation: Observation | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._observation_requests: list[Future[Observation]] = []
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="control-loop")
        self.driver = self._thread.submit(driver_factory).result()
        self._running: Future[None] | None = None

    @property
    def running(self) -> bool:
        return self._running is not None and not self._running.done()

    def start(self, planner: Planner, safety: SafetyFilter) -> None:
        """Take the hand's current pose as the first hold, then tick until `stop`."""
        self._running = self._thread.submit(self._run, planner, safety)

    def stop(self) -> None:
        """End the loop, then close the driver, both on the loop's thread."""
        self._stop.set()
        self._thread.submit(self.driver.close).result(timeout=10)
        self._thread.shutdown(wait=True)

    def request_observation(self) -> Future[Observation]:
        """An observation taken by the loop thread at its next tick."""
        future: Future[Observation] = Future()
        with self._lock:
            self._observation_requests.append(future)
        return future

    def _run(self, planner: Planner, safety: SafetyFilter) -> None:
        try:
            observation = self.driver.observe()
            self.last_observation = observation
            safety.reset(CommandArrays.from_pose(safety.joint_names, observation.joint_positions_rad, observation.wrist))
            deadline_s = time.monotonic()
            previous_s: float | None = None
            while not self._stop.is_set():
                now_s = time.monotonic()
                if previous_s is not None:
                    self.metrics.observe_period(now_s - previous_s)
                previous_s = now_s
                self._tick(now_s, planner, safety)
                self.last_tick_s = time.monotonic()
                deadline_s += self.period_s
                if deadline_s < self.last_tick_s:
                    self.metrics.loop_overruns.inc()
                    self.overruns += 1
                    deadline_s = max(deadline_s, self.last_tick_s - self.period_s)
                self._stop.wait(deadline_s - self.last_tick_s)
        except Exception as exc:  # a failing driver must stop the loop loudly, never silently
            log.exception("control loop stopped")
            self.error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                requests, self._observation_requests = self._observation_requests, []
            for future in requests:
                future.set_exception(exc)

    def _tick(self, now_s: float, planner: Planner, safety: SafetyFilter) -> None:
        with self._lock:
            requests, self._observation_requests = self._observation_requests, []
        replan = planner.needs_observation(now_s)
        if requests or replan:
            observation = self.driver.observe()
            observed_at_s = time.monotonic()
            self.last_observation = observation
            for future in requests:
                future.set_result(observation)
            if replan:
                planner.submit(observation, observed_at_s)
        if planner.has_policy:
            proposed, planned_at_s = planner.proposal(now_s)
            result = safety.apply(proposed, planned_at_s, now_s)
        else:
            result = FilterResult(safety.hold(), ())
        for reason in result.interventions:
            self.metrics.safety_interventions.labels(reason).inc()
        if WATCHDOG in result.interventions:
            self.last_watchdog_s = now_s
        result.command.to_command(safety.joint_names).send(self.driver)
        self.last_command = result.command
        self.metrics.loop_ticks.inc()
        self.ticks += 1
