"""Scale, measured in one run: the marginal cost of one more video as the corpus grows (N = 10, 100, 1000
short clips), and the throughput of a batched backfill against one run per video.

The corpus is built, not simulated: distinct 1 s, 160x120 clips cut with ffmpeg from the sample videos
(each from another source or start time, with its index drawn in a corner, so every clip is a new video
with its own content id), ingested, DVC-tracked and processed through the whole per-video chain and the
episodes update by batched backfills (`vitra backfill`'s code path, vitra_assets.backfill.run_batches).
Growing the corpus from one size to the next is the batched-throughput measurement. At each size, one
more video is added the way `vitra ingest` adds it (inbox, one run of the per-video stages, episodes
update), `--repeats` times (so the corpus holds N plus the few added before), fastest and spread per
phase; "dvc add" is `DvcStore.track` of one more small file in the corpus' repository. The one-run-per-
video throughput is `vitra ingest`'s path on `--per-video` clips at the largest N. Everything runs in this
one process (warm imports), as the CLI does: the per-process import cost of a daemon-launched run (issue
#16) is in neither figure. Wall time on a shared machine mostly measures the other jobs, so CPU seconds
(this process and its finished children: ffmpeg, DVC) are printed too. The growth fit is a least-squares
slope of each phase against N (seconds per 1000 more videos). `--max-n` caps the sizes so a run fits the
time at hand (1000 clips are about an hour of stage work on 2 cores); the output says what was built.

Usage: nice -n 10 .venv/bin/python benchmarks/scale.py [--max-n 100] [--batch-size 16] [--repeats 3]
       [--per-video 10] [--samples ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from incremental import activate, scratch_project

from vitra_assets.runner import (
    IngestReport, drain_inbox, drop_into_inbox, materialize_corpus_asset, materialize_partitions, pending_work,
)
from vitra_core.config import VitraConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["lavila/ego4d_3c0dffd0_012_014.mp4", "lavila/ego4d_cf7c12db.gif", "mediapipe_samples/hl_test_video.mp4",
           "egoloc/egopat3d_rgb.mp4", "lavila/mixkit-hands-of-a-baker-kneading-a-dough-42467-medium.gif",
           "lavila/mixkit-chef-preparing-a-sauce-in-a-blender-43034-medium.gif",
           "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif", "video_to_data/human-web.mp4"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PHASES = ["ingest", "dvc add", "per-video stages", "episodes", "total"]


def short_clips(samples: Path, count: int, folder: Path, offset: int = 0) -> list[Path]:
    """`count` distinct 1 s 160x120 H.264 clips: clip i cuts source i mod len(SOURCES) at a start time that
    walks through that source, and draws i in a corner (so no two clips share bytes or frames)."""
    folder.mkdir(parents=True, exist_ok=True)
    durations = {name: float(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(samples / name)],
        check=True, capture_output=True, text=True).stdout) for name in SOURCES}
    made = []
    for i in range(offset, offset + count):
        name = SOURCES[i % len(SOURCES)]
        start_s = (0.37 * (i // len(SOURCES))) % max(durations[name] - 1.0, 0.01)
        out = folder / f"clip{i:05d}.mp4"
        text = f"drawtext=fontfile={FONT}:text={i}:x=2:y=2:fontsize=9:fontcolor=white"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", f"{start_s:.2f}", "-t", "1", "-i", str(samples / name),
                        "-vf", f"scale=160:120,setsar=1,{text}", "-an", "-c:v", "libx264", "-preset", "veryfast",
                        "-pix_fmt", "yuv420p", str(out)], check=True)
        made.append(out)
    return made


@contextmanager
def timed(into: dict[str, tuple[float, float]], phase: str) -> Iterator[None]:
    """Record (wall seconds, CPU seconds of this process and its finished children) of the block as `phase`."""
    wall, cpu = time.perf_counter(), _cpu_s()
    yield
    into[phase] = (time.perf_counter() - wall, _cpu_s() - cpu)


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def add_videos(cfg: VitraConfig, clips: list[Path], batch_size: int | None) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per phase of adding `clips` to the active project: `vitra ingest` (one run per
    video) without `batch_size`, `vitra backfill` (batched runs) with it."""
    from vitra_assets.backfill import run_batches
    from vitra_assets.definitions import PER_VIDEO_ASSETS, defs
    from vitra_assets.episodes import episodes
    from vitra_assets.instance import project_instance
    from vitra_core.layout import DataLayout

    seconds: dict[str, tuple[float, float]] = {}
    report = IngestReport()
    with project_instance(cfg) as instance:
        with timed(seconds, "ingest"):
            drain_inbox(cfg, instance, report, drop_into_inbox(clips, cfg.inbox_dir))
        with timed(seconds, "per-video stages"):
            new = set(report.new_partitions)  # a video that failed before is not retried (and not timed) again
            work = {key: stages for key, stages in pending_work(instance, [a.key for a in PER_VIDEO_ASSETS]).items()
                    if key in new}
            if batch_size:
                run_batches(instance, defs, work, batch_size, report, DataLayout(cfg.data_root))
            else:
                materialize_partitions(instance, defs, work, report)
        with timed(seconds, "episodes"):
            assert materialize_corpus_asset(instance, defs, episodes.key), "the episodes update failed"
    if report.failed:
        print(f"    {len(report.failed)} of {len(clips)} videos failed, left out: {', '.join(report.failed)}", flush=True)
    return seconds


def dvc_add_seconds(cfg: VitraConfig, tag: str) -> tuple[float, float]:
    """(wall, CPU) seconds of `DvcStore.track` (with push) of one new small file in the corpus' DVC repository."""
    from vitra_core.versioning.dvc_store import dvc_store_for

    path = cfg.data_root / "dvc_probe" / f"{tag}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tag.encode())
    seconds: dict[str, tuple[float, float]] = {}
    with timed(seconds, "dvc add"):
        dvc_store_for(cfg).track([path])
    return seconds["dvc add"]


def marginal(cfg: VitraConfig, clips: list[Path], n: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds per phase of adding each clip alone, one after another, as `vitra ingest` does."""
    runs: dict[str, list[tuple[float, float]]] = {phase: [] for phase in PHASES}
    for k, clip in enumerate(clips):
        phases = add_videos(cfg, [clip], None)
        phases["dvc add"] = dvc_add_seconds(cfg, f"n{n}-{k}")
        phases["total"] = tuple(sum(v[i] for v in phases.values()) for i in (0, 1))
        for phase in PHASES:
            runs[phase].append(phases[phase])
    return runs


def separate_processes(cfg: VitraConfig, clips: list[Path], singles: int) -> dict[str, tuple[int, float, float]]:
    """(videos, wall, CPU seconds) of the per-video stages run as the daemon runs them, each run a process of
    its own (`dagster job execute`; the multiprocess executor makes each step a process too): `singles`
    videos one run each, then the rest of `clips` as one batched run over their key range."""
    from vitra_assets.backfill import RANGE_END_TAG, RANGE_START_TAG
    from vitra_assets.instance import project_instance

    with project_instance(cfg) as instance:
        report = IngestReport()
        drain_inbox(cfg, instance, report, drop_into_inbox(clips, cfg.inbox_dir))
    keys = report.new_partitions
    dagster = [str(Path(sys.executable).parent / "dagster"), "job", "execute", "-m", "vitra_assets.definitions",
               "-j", "per_video", "--tags"]
    seconds: dict[str, tuple[float, float]] = {}
    with timed(seconds, "one run per video"):
        for key in keys[:singles]:
            subprocess.run([*dagster, json.dumps({"dagster/partition": key})], check=True, capture_output=True)
    batch = keys[singles:]
    with timed(seconds, "one batched run"):
        subprocess.run([*dagster, json.dumps({RANGE_START_TAG: batch[0], RANGE_END_TAG: batch[-1]})], check=True,
                       capture_output=True)
    return {"one run per video": (singles, *seconds["one run per video"]),
            f"one run of {len(batch)}": (len(batch), *seconds["one batched run"])}


def integrity(cfg: VitraConfig) -> str:
    """After a batched backfill: `dvc status -c` of the corpus' repository (every tracked source and the
    episodes stage in the remote and unchanged), and lineage by count: every video partition materialized
    through every per-video stage, and the episodes the latest `episodes` materialization lists come from
    those videos (added, replaced or unchanged: some clips may yield no episode)."""
    from vitra_assets.definitions import PER_VIDEO_ASSETS
    from vitra_assets.episodes import episodes
    from vitra_assets.instance import project_instance
    from vitra_assets.runner import materialization_status

    from vitra_core.versioning.dvc_store import dvc_store_for

    unsynced = dvc_store_for(cfg).cloud_status()
    with project_instance(cfg) as instance:
        states = [materialization_status(instance, asset.key) for asset in PER_VIDEO_ASSETS]
        keys = set(states[0])
        complete = sum(all(state.get(key) == "materialized" for state in states) for key in keys)
        event = instance.get_latest_materialization_event(episodes.key)
        meta = event.asset_materialization.metadata if event else {}
        videos = sum(meta[f"videos_{k}"].value for k in ("added", "replaced", "unchanged")) if meta else 0
    return (f"dvc status -c: {'clean' if not unsynced else f'{len(unsynced)} not in sync, e.g. {sorted(unsynced.items())[:3]}'}; "
            f"{complete}/{len(keys)} partitions through all {len(states)} per-video stages; episodes from {videos} videos")


def slope_per_1000(ns: list[int], values: list[float]) -> float:
    """Least-squares slope of `values` against `ns`, in seconds per 1000 more videos."""
    mean_n, mean_v = statistics.fmean(ns), statistics.fmean(values)
    denominator = sum((n - mean_n) ** 2 for n in ns)
    return 1000 * sum((n - mean_n) * (v - mean_v) for n, v in zip(ns, values)) / denominator if denominator else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--max-n", type=int, default=100, help="build and measure only sizes up to this")
    parser.add_argument("--batch-size", type=int, default=None, help="default: dagster.backfill_batch_size")
    parser.add_argument("--repeats", type=int, default=3, help="single videos added at each size (fastest + spread)")
    parser.add_argument("--per-video", type=int, default=10, help="clips run one run per video for the throughput")
    parser.add_argument("--per-process", type=int, default=3,
                        help="clips run one run (one process) per video as the daemon runs them, against one batch "
                             "run of --batch-size clips; 0: skip")
    args = parser.parse_args()
    sizes = [n for n in sorted(args.sizes) if n <= args.max_n]
    skipped = [n for n in args.sizes if n > args.max_n]

    with tempfile.TemporaryDirectory(prefix="vitra-scale-") as tmp:
        tmp = Path(tmp)
        cfg = scratch_project(tmp / "corpus")
        batch_size = args.batch_size or cfg.dagster.backfill_batch_size
        extra = len(sizes) * args.repeats + args.per_video + (args.per_process + batch_size if args.per_process else 0)
        start = time.perf_counter()
        clips = short_clips(args.samples, sizes[-1] + extra, tmp / "clips")
        print(f"made {len(clips)} distinct 1 s 160x120 clips in {time.perf_counter() - start:.0f} s; "
              f"batch size {batch_size}; sizes built {sizes}" + (f", not built (over --max-n) {skipped}" if skipped else ""))
        spare, growth, per_size = clips[sizes[-1]:], [], {}
        built = 0
        for n in sizes:
            phases = add_videos(activate(tmp / "corpus"), clips[built:n], batch_size)
            growth.append((n - built, phases))
            wall, cpu = (sum(v[i] for v in phases.values()) for i in (0, 1))
            print(f"  built N={n}: {n - built} videos by batched backfill in {wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)
            print(f"    {integrity(cfg)}", flush=True)
            built = n
            per_size[n], spare = marginal(cfg, spare[:args.repeats], n), spare[args.repeats:]
        single, spare = add_videos(cfg, spare[:args.per_video], None), spare[args.per_video:]
        processes = separate_processes(cfg, spare, args.per_process) if args.per_process else {}
    report(sizes, per_size, args.repeats, growth, single, args.per_video, batch_size)
    if processes:
        print("\nper-video stages with a process per run, as the daemon launches them (no episodes update)")
        for name, (videos, wall, cpu) in processes.items():
            print(f"  {name:<24} {videos:>4} videos: {60 * videos / wall:6.1f} videos/min wall, {cpu / videos:6.2f} CPU s/video")
        (n_one, wall_one, cpu_one), (n_batch, wall_batch, cpu_batch) = processes.values()
        print(f"  batched / one run per video: {(n_batch / wall_batch) / (n_one / wall_one):.2f}x videos/min wall, "
              f"{(cpu_one / n_one) / (cpu_batch / n_batch):.2f}x less CPU per video")


def report(sizes, per_size, repeats, growth, single, per_video, batch_size) -> None:
    for unit, i in (("wall", 0), ("CPU", 1)):
        print(f"\nmarginal cost of one more video, {unit} seconds (fastest of {repeats} [min-max]); corpus of N videos")
        print(f"{'phase':<18}" + "".join(f"{f'N={n}':>22}" for n in sizes) + f"{'slope s/1000':>14}")
        for phase in PHASES:
            values = [[run[i] for run in per_size[n][phase]] for n in sizes]
            cells = "".join(f"{min(v):.2f} [{min(v):.2f}-{max(v):.2f}]".rjust(22) for v in values)
            print(f"{phase:<18}{cells}{slope_per_1000(sizes, [min(v) for v in values]):>14.2f}")
        if len(sizes) > 1:
            first, last = (min(run[i] for run in per_size[n]["total"]) for n in (sizes[0], sizes[-1]))
            print(f"total at N={sizes[-1]} / at N={sizes[0]}: {last / first:.2f} (goal <= 1.3)")

    count, batched = max(growth, key=lambda g: g[0])
    print("\nbackfill throughput (ingest + per-video stages + one episodes update)")
    rows = [(f"batched, {batch_size} per run", count, batched), ("one run per video", per_video, single)]
    rates = []
    for name, videos, phases in rows:
        wall, cpu = (sum(v[i] for v in phases.values()) for i in (0, 1))
        stages_wall, stages_cpu = phases["per-video stages"]
        rates.append((60 * videos / wall, cpu / videos))
        print(f"  {name:<24} {videos:>4} videos: {60 * videos / wall:6.1f} videos/min wall, {cpu / videos:6.2f} CPU s/video"
              f"  (per-video stages alone: {60 * videos / stages_wall:.1f} videos/min, {stages_cpu / videos:.2f} CPU s/video)")
    print(f"  batched / one run per video: {rates[0][0] / rates[1][0]:.2f}x videos/min wall, "
          f"{rates[1][1] / rates[0][1]:.2f}x less CPU per video (both in one warm process, the CLI's)")


if __name__ == "__main__":
    main()
