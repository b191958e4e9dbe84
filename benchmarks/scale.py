"""Scale, measured in one run: the marginal cost of one more video as the corpus grows (N = 10, 100, 1000
short clips), and the throughput of a batched backfill against one run per video.

The corpus is built, not simulated: distinct 1 s, 160x120 clips cut with ffmpeg from the sample videos
(each from another source/start time, with its index drawn in a corner, so every clip is a new video
with its own content id), ingested, DVC-tracked and processed through the whole per-video chain and the
episodes update by batched backfills (`vitra backfill`'s code path: vitra_assets.backfill.run_batches).
Growing the corpus from one size to the next is itself the batched-throughput measurement. At each size,
one more video is added the way `vitra ingest` adds it (inbox, one run of the per-video stages, episodes
update), `--repeats` times, fastest and spread printed per phase; also `DvcStore.track` of one more small
file in the corpus' DVC repository. The one-run-per-video throughput is `vitra ingest`'s path on
`--per-video` clips. Everything runs in this one process (warm imports), as the CLI does: the per-process
import cost a daemon-launched run pays (issue #16) is not in either figure. The growth fit is a
least-squares line of each marginal phase against N (seconds per 1000 videos), printed with the ratio of
the largest N to the smallest. `--max-n` caps the sizes so a run fits the time at hand (1000 clips take
about an hour of stage work on 2 cores); the output says which sizes were built.

Usage: nice -n 10 .venv/bin/python benchmarks/scale.py [--max-n 100] [--batch-size 16] [--repeats 3]
       [--per-video 10] [--samples ../shared/data]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from incremental import activate, add_clips, scratch_project

from vitra_assets.runner import IngestReport, drain_inbox, drop_into_inbox, materialize_corpus_asset, pending_work
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


def backfill_clips(cfg: VitraConfig, clips: list[Path], batch_size: int) -> dict[str, float]:
    """Seconds per phase of `vitra backfill clips` in the active project (batched per-video runs)."""
    from vitra_assets.backfill import run_batches
    from vitra_assets.definitions import PER_VIDEO_ASSETS, defs
    from vitra_assets.episodes import episodes
    from vitra_assets.instance import project_instance
    from vitra_core.layout import DataLayout

    seconds, report = {}, IngestReport()
    with project_instance(cfg) as instance:
        start = time.perf_counter()
        drain_inbox(cfg, instance, report, drop_into_inbox(clips, cfg.inbox_dir))
        seconds["ingest"] = time.perf_counter() - start
        start = time.perf_counter()
        work = pending_work(instance, [a.key for a in PER_VIDEO_ASSETS])
        run_batches(instance, defs, work, batch_size, report, DataLayout(cfg.data_root))
        seconds["per-video stages"] = time.perf_counter() - start
        start = time.perf_counter()
        assert not report.failed and materialize_corpus_asset(instance, defs, episodes.key), "a run failed"
        seconds["episodes"] = time.perf_counter() - start
    seconds["total"] = sum(seconds.values())
    return seconds


def dvc_add_seconds(cfg: VitraConfig, tag: str) -> float:
    """`DvcStore.track` (with push) of one new small file in the corpus' own DVC repository."""
    from vitra_core.versioning.dvc_store import dvc_store_for

    path = cfg.data_root / "dvc_probe" / f"{tag}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tag.encode())
    start = time.perf_counter()
    dvc_store_for(cfg).track([path])
    return time.perf_counter() - start


def marginal(cfg: VitraConfig, clips: list[Path], n: int) -> dict[str, list[float]]:
    """Seconds per phase of adding each clip alone (one after another) the way `vitra ingest` does."""
    runs: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for k, clip in enumerate(clips):
        phases = add_clips(cfg, [clip])
        phases["dvc add"] = dvc_add_seconds(cfg, f"n{n}-{k}")
        phases["total"] += phases["dvc add"]
        for phase in PHASES:
            runs[phase].append(phases[phase])
    return runs


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
    args = parser.parse_args()
    sizes = [n for n in sorted(args.sizes) if n <= args.max_n]
    skipped = [n for n in args.sizes if n > args.max_n]

    with tempfile.TemporaryDirectory(prefix="vitra-scale-") as tmp:
        tmp = Path(tmp)
        cfg = scratch_project(tmp / "corpus")
        batch_size = args.batch_size or cfg.dagster.backfill_batch_size
        extra = len(sizes) * args.repeats + args.per_video
        start = time.perf_counter()
        clips = short_clips(args.samples, sizes[-1] + extra, tmp / "clips")
        print(f"made {len(clips)} distinct 1 s 160x120 clips in {time.perf_counter() - start:.0f} s; "
              f"batch size {batch_size}; sizes built {sizes}" + (f", not built (over --max-n) {skipped}" if skipped else ""))
        spare, growth, per_size = clips[sizes[-1]:], [], {}
        built = 0
        for n in sizes:
            phases = backfill_clips(activate(tmp / "corpus"), clips[built:n], batch_size)
            growth.append((n - built, phases))
            print(f"  built N={n}: {n - built} videos by batched backfill in {phases['total']:.0f} s "
                  f"({60 * (n - built) / phases['total']:.1f} videos/min)", flush=True)
            built = n
            per_size[n], spare = marginal(cfg, spare[:args.repeats], n), spare[args.repeats:]
        per_video = add_clips(cfg, spare[:args.per_video])

    print(f"\nmarginal cost of one more video (seconds; fastest of {args.repeats}, [min-max]); corpus of N videos")
    print(f"{'phase':<18}" + "".join(f"{f'N={n}':>20}" for n in sizes) + f"{'slope s/1000':>14}")
    for phase in PHASES:
        fastest = [min(per_size[n][phase]) for n in sizes]
        cells = "".join(f"{min(v):>8.2f} [{min(v):.2f}-{max(v):.2f}]".rjust(20) for v in (per_size[n][phase] for n in sizes))
        print(f"{phase:<18}{cells}{slope_per_1000(sizes, fastest):>14.2f}")
    if len(sizes) > 1:
        first, last = min(per_size[sizes[0]]["total"]), min(per_size[sizes[-1]]["total"])
        print(f"total at N={sizes[-1]} / at N={sizes[0]}: {last / first:.2f} (goal <= 1.3)")

    count, phases = max(growth, key=lambda g: g[0])
    batched = 60 * count / phases["total"]
    single = 60 * args.per_video / per_video["total"]
    print(f"\nbackfill throughput (ingest + per-video stages + one episodes update), videos/min")
    print(f"  batched, {batch_size} per run ({count} videos): {batched:6.1f}  (per-video stages alone "
          f"{60 * count / phases['per-video stages']:.1f})")
    print(f"  one run per video ({args.per_video} videos): {single:6.1f}  (per-video stages alone "
          f"{60 * args.per_video / per_video['per-video stages']:.1f})")
    print(f"  ratio batched / one run per video: {batched / single:.2f} (both in one warm process)")


if __name__ == "__main__":
    main()
