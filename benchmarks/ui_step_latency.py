"""How long one small step takes end to end from the UI path: a run launched through the instance (code
server -> run worker process -> the step's subprocess, as the UI's "Materialize" and `vitra ingest` do),
from the launch call until the run's record says SUCCESS.

The step is `--asset` of the 2 s sample GIF: `raw_clips` (one ffmpeg normalisation, ~2 s of work) or a small
step such as `segments` (a few hundred ms), whose upstream stages are built first by an untimed run. From
the run's event log the
total splits into: launch to run worker up (RUN_START), the step subprocess starting (STEP_WORKER_STARTING
-> STEP_START; 0 in process), the step itself (STEP_START -> STEP_SUCCESS), and the rest (run end,
polling). Both executors of the embedded profile are measured (`dagster.executor.kind`: in_process, the
default, then multiprocess, each with a code server of its own), which shows what a process per step costs. Other jobs on a shared machine
make single timings noisy: each variant runs `--repeats` times (a new partition each time) and the fastest
is shown.

Usage: .venv/bin/python benchmarks/ui_step_latency.py [--repeats 3] [--asset segments]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from dagster import DagsterEventType

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.incremental import scratch_project  # noqa: E402

CLIP = REPO_ROOT.parent / "shared" / "data" / "lavila" / "ego4d_cf7c12db.gif"
EXECUTOR_ENV = "VITRA_DAGSTER__EXECUTOR__KIND"


def _event_times(instance, run_id: str) -> dict[str, float]:
    """First timestamp of each event type of the run."""
    times: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        if record.dagster_event is not None:
            times.setdefault(record.dagster_event.event_type_value, record.timestamp)
    return times


def measure(launcher, cfg, n: int, asset: str) -> dict[str, float]:
    """One run of `asset` on a new copy of the clip (its upstream per-video stages built first); seconds per phase."""
    from dagster import AssetKey

    from vitra_assets.definitions import PER_VIDEO_ASSETS
    from vitra_assets.runner import run_spec
    from vitra_core.layout import DataLayout
    from vitra_core.video.ingest import ingest_file

    copy = cfg.data_root.parent / "incoming" / f"clip{n}.gif"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(CLIP.read_bytes() + b"\0" * n)  # byte-different: a new video, a new partition
    video_id = ingest_file(copy, DataLayout(cfg.data_root)).video_id
    launcher.instance.add_dynamic_partitions("videos", [video_id])
    chain = [a.key for a in PER_VIDEO_ASSETS]
    upstream = chain[: chain.index(AssetKey(asset))]
    if upstream:
        assert launcher.run(run_spec(upstream, video_id)).is_success, f"upstream of {asset} failed"
    spec = run_spec([AssetKey(asset)], video_id)
    started = time.time()
    run = launcher.run(spec)
    total = time.time() - started
    assert run.is_success, run.run_id
    t = _event_times(launcher.instance, run.run_id)
    start = DagsterEventType.STEP_START.value
    worker = t.get(DagsterEventType.STEP_WORKER_STARTING.value, t[start])
    return {
        "total_s": total,
        "launch_to_run_worker_s": t[DagsterEventType.RUN_START.value] - started,
        "step_subprocess_start_s": t[start] - worker,
        "step_s": t[DagsterEventType.STEP_SUCCESS.value] - t[start],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--asset", default="segments", help="the per-video asset whose step is timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = scratch_project(Path(tmp) / "project")
        from vitra_assets.instance import project_instance
        from vitra_assets.launcher import workspace_launcher

        instance = project_instance(cfg)
        n = 0
        for kind in ("in_process", "multiprocess"):
            os.environ[EXECUTOR_ENV] = kind  # read by the code server the launcher starts
            started = time.time()
            with workspace_launcher(instance) as launcher:
                print(f"{kind}: code location loaded (code server up) in {time.time() - started:.2f} s")
                best = None
                for _ in range(args.repeats):
                    n += 1
                    figures = measure(launcher, cfg, n, args.asset)
                    best = figures if best is None or figures["total_s"] < best["total_s"] else best
            print(f"{args.asset}, {kind}: " + ", ".join(f"{k} {v:.2f}" for k, v in best.items())
                  + f"; step / total {best['step_s'] / best['total_s']:.2f}", flush=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
