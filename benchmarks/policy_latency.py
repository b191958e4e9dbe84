"""CPU latency of VLAPolicy.predict (one observation -> one 16-step chunk), per model size, measured in one run.

For each size: build an (untrained: latency does not depend on the weights) policy, warm it up (the
first calls embed the instruction with MiniLM and let the allocator settle), then time N predict()
calls on a 1280 x 720 camera frame and print p50 / p99 / mean in ms and the rate they allow, plus the
ratio of each size's p50 to tiny's. The instruction stays the same, as within one episode, so the
frozen MiniLM's embedding comes from its cache; the first call's cost (MiniLM on a new instruction)
is printed separately.

Usage: .venv/bin/python benchmarks/policy_latency.py [--sizes tiny small] [--calls 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from vitra_core.episodes.state_layout import ACTION_DIM  # noqa: E402
from vitra_core.model import Normaliser, VLAConfig, VLAPolicy  # noqa: E402

INSTRUCTION = "Left hand: None. Right hand: Pick up the bottle."


def observation(rng: np.random.Generator) -> dict:
    state = np.zeros(ACTION_DIM, dtype=np.float32)
    state[51:] = rng.normal(0, 0.3, 51)
    state[51:54] = (0.05, 0.02, 0.45)
    return {"image": rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8), "instruction": INSTRUCTION,
            "state": state, "state_mask": np.array([False, True]), "fov": np.array([60.0, 36.0], np.float32)}


def measure(size: str, calls: int, warmup: int) -> dict[str, float]:
    normaliser = Normaliser(state_mean=[0.0] * ACTION_DIM, state_std=[0.2] * ACTION_DIM,
                            fov_mean_deg=[55.0, 40.0], fov_std_deg=[10.0, 10.0])
    policy = VLAPolicy.create(VLAConfig.preset(size), normaliser)
    obs = observation(np.random.default_rng(0))
    started = time.perf_counter()
    policy.predict(**obs)
    first_ms = (time.perf_counter() - started) * 1e3
    for _ in range(warmup):
        policy.predict(**obs)
    times_ms = []
    for _ in range(calls):
        started = time.perf_counter()
        policy.predict(**obs)
        times_ms.append((time.perf_counter() - started) * 1e3)
    params = sum(p.numel() for name, p in policy.model.named_parameters() if not name.startswith("language.model."))
    return {"params_m": params / 1e6, "first_ms": first_ms, "p50_ms": float(np.percentile(times_ms, 50)),
            "p99_ms": float(np.percentile(times_ms, 99)), "mean_ms": float(np.mean(times_ms))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["tiny", "small"], choices=["tiny", "small", "base"])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"VLAPolicy.predict on CPU, {torch.get_num_threads()} threads, {args.calls} calls after {args.warmup} "
          f"warm-up, 1280x720 frame")
    print(f"{'size':<6} {'params (M, w/o MiniLM)':>22} {'first call ms':>14} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'mean ms':>8} {'max Hz':>7} {'p50 / tiny':>10}")
    baseline = None
    for size in args.sizes:
        m = measure(size, args.calls, args.warmup)
        baseline = baseline or m["p50_ms"]
        print(f"{size:<6} {m['params_m']:>22.2f} {m['first_ms']:>14.1f} {m['p50_ms']:>8.2f} {m['p99_ms']:>8.2f} "
              f"{m['mean_ms']:>8.2f} {1e3 / m['mean_ms']:>7.0f} {m['p50_ms'] / baseline:>10.2f}")


if __name__ == "__main__":
    main()
