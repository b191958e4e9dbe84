"""Hand controller loop timing at 30 Hz on the simulated hand, measured in one run.

Prints, for a controller holding (no policy) and one driven by a tiny untrained VLAPolicy (deployed
as a signed bundle through the real deploy path):
  - loop period error |period - 1/30 s|: p50 and p99 (ms), overruns, measured loop rate
  - policy latency (one predict() + mapping the chunk): p50 and p99 (s)
  - the cost of one observation (camera render) alone, which the loop pays at every re-plan
and the ratio of the p99 period errors with and without a policy.

Usage: .venv/bin/python benchmarks/controller_loop.py [--seconds 30] [--task palm_ball]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from robot.bundle import BundleLineage, build_bundle, load_private_key, write_keypair  # noqa: E402
from robot.controller.config import ControllerConfig, DeploySettings, DriverSettings  # noqa: E402
from robot.controller.service import Controller, build_driver  # noqa: E402
from vitra_core.episodes.state_layout import ACTION_DIM  # noqa: E402
from vitra_core.model import Normaliser, VLAConfig, VLAPolicy  # noqa: E402

RATE_HZ = 30.0
_SETTLE_S = 3.0


def observe_ms(task: str, repeats: int = 20) -> float:
    driver = build_driver(DriverSettings(task=task), RATE_HZ)
    try:
        driver.observe()
        started = time.perf_counter()
        for _ in range(repeats):
            driver.observe()
        return (time.perf_counter() - started) / repeats * 1e3
    finally:
        driver.close()


def tiny_bundle(work: Path) -> tuple[Path, Path]:
    """A signed bundle of an untrained tiny VLAPolicy and the public key that verifies it."""
    private_key, public_key = write_keypair(work / "keys")
    normaliser = Normaliser(state_mean=[0.0] * ACTION_DIM, state_std=[0.01] * ACTION_DIM, fov_mean_deg=[45.0, 45.0],
                            fov_std_deg=[1.0, 1.0], source="benchmark")
    VLAPolicy.create(VLAConfig.preset("tiny"), normaliser).save(work / "policy")
    lineage = BundleLineage(model_name="vitra-policy", model_version="bench", run_id="none", dataset_dvc_md5="none",
                            git_commit="none")
    return build_bundle(work / "policy", lineage, load_private_key(private_key), work / "tiny.tar"), public_key


def run(config: ControllerConfig, seconds: float, bundle: Path | None) -> dict:
    controller = Controller(config, token="benchmark")
    controller.start()
    try:
        if bundle is not None:
            controller.deployer.deploy(bundle.read_bytes())
        time.sleep(_SETTLE_S)
        controller.metrics.clear_timing()  # steady state only: not start-up, not the deploy itself
        time.sleep(seconds)
        timing = controller.metrics.timing(controller.loop.period_s)
        loop = controller.loop
        return {**timing, "rate_hz": controller.metrics.rate_hz, "overruns": loop.overruns, "total_ticks": loop.ticks}
    finally:
        controller.stop()


def report(name: str, figures: dict) -> None:
    line = (f"{name:>12}: period error p50 {figures['period_error_p50_ms']:.2f} ms, "
            f"p99 {figures['period_error_p99_ms']:.2f} ms "
            f"over the last {figures['ticks']} ticks; rate {figures['rate_hz']:.1f} Hz; overruns "
            f"{figures['overruns']:.0f}/{figures['total_ticks']}")
    if figures["predictions"]:
        line += (f"; policy latency p50 {figures['policy_latency_p50_s'] * 1e3:.1f} ms, "
                 f"p99 {figures['policy_latency_p99_s'] * 1e3:.1f} ms ({figures['predictions']} calls)")
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured per run (at most 1024 ticks are kept)")
    parser.add_argument("--task", default="palm_ball")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {RATE_HZ:.0f} Hz loop, task {args.task}")
    print(f"one observation (224 x 224 render): {observe_ms(args.task):.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bundle, public_key = tiny_bundle(work)
        config = ControllerConfig(driver=DriverSettings(task=args.task),
                                  deploy=DeploySettings(trusted_keys=[public_key], store_dir=work / "store"))
        holding = run(config, args.seconds, None)
        report("no policy", holding)
        driven = run(config, args.seconds, bundle)
        report("tiny policy", driven)
    print(f"p99 period error, tiny policy / no policy: {driven['period_error_p99_ms'] / holding['period_error_p99_ms']:.2f}")


if __name__ == "__main__":
    main()
