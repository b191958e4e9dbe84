"""Incremental cost, measured in one run: adding one clip to a project that already holds N processed
videos, divided by processing the same clip into an empty project (goal <= 1.2: the corpus already
built costs little more than its bookkeeping).

Both timings cover what `vitra ingest` does for the clip: inbox scan (hash, validate, store), one run
of the per-video stages, and the `episodes` update (fingerprints of every video, LeRobot writes,
`dvc commit` and push of the dataset stage). Other agents on a shared machine make single timings
noisy, so the two measurements alternate `--repeats` times (each time with a byte-different copy of
the clip, a new video) and the fastest of each is compared. The N-video project is built first,
which also warms every import and model, so both measured additions run warm; its build also gives
each stage's frames/s (from the step durations Dagster recorded), which docs/scaling.md extrapolates.
Last, the cost of tracking one more source file with DVC as the number already tracked grows.

Usage: .venv/bin/python benchmarks/incremental.py [--samples ../shared/data] [--clip lavila/ego4d_3c0dffd0_012_014.mp4]
       [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vitra_assets.runner import (
    IngestReport, drain_inbox, drop_into_inbox, materialize_corpus_asset, materialize_partitions, pending_work,
)
from vitra_core.config import VitraConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
VIDEO_SUFFIXES = (".mp4", ".gif")


def scratch_project(root: Path) -> VitraConfig:
    """A new project under `root` (own data root, DVC repo and remote, DAGSTER_HOME), made the active one."""
    root.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=root, check=True)
    (root / "dvc.yaml").write_text((REPO_ROOT / "dvc.yaml").read_text())
    return activate(root)


def activate(root: Path) -> VitraConfig:
    """Point the environment, which is where the Definitions' resource reads its settings, at the project in `root`."""
    overrides = {
        "paths.data_root": root / "data", "paths.inbox": root / "data" / "inbox", "dvc.repo_root": root,
        "dvc.remote_url": root / "dvc-remote", "dagster.home": root / "dagster_home", "inbox.settle_s": 0,
    }
    for key, value in overrides.items():
        os.environ["VITRA_" + key.upper().replace(".", "__")] = str(value)
    os.environ["VITRA_CONFIG_DIR"] = str(REPO_ROOT / "configs")
    return load_config("default")


def step_seconds(instance, run_ids) -> dict[str, float]:
    """Seconds per step (asset) summed over the given runs, from the step durations Dagster recorded."""
    seconds: dict[str, float] = {}
    for run_id in run_ids:
        for step in instance.get_run_step_stats(run_id):
            if step.end_time and step.start_time:
                seconds[step.step_key] = seconds.get(step.step_key, 0.0) + step.end_time - step.start_time
    return seconds


def stage_frames_per_s(cfg: VitraConfig) -> dict[str, float]:
    """Frames/s of each per-video stage over every run in the active project (frames of the normalised
    clips), and of `episodes` over the frames it wrote."""
    from vitra_assets.definitions import PER_VIDEO_ASSETS
    from vitra_assets.instance import project_instance
    from vitra_core.episodes.meta import DatasetMeta
    from vitra_core.episodes.stage import dataset_dir
    from vitra_core.layout import DataLayout
    from vitra_core.video.raw_clip import read_clip_meta

    layout = DataLayout(cfg.data_root)
    with project_instance(cfg) as instance:
        seconds = step_seconds(instance, [run.run_id for run in instance.get_runs()])
    video_frames = sum(read_clip_meta(layout, v).clip.frames for v in layout.raw_video_ids())
    episode_frames = sum(row["length"] for row in DatasetMeta.load(dataset_dir(layout)).episodes.values())
    stages = [asset.key.to_user_string() for asset in PER_VIDEO_ASSETS] + ["episodes"]
    return {stage: (episode_frames if stage == "episodes" else video_frames) / seconds[stage] for stage in stages}


def add_clips(cfg: VitraConfig, clips: list[Path]) -> dict[str, float]:
    """Seconds per phase of `vitra ingest clips` in the active project."""
    from vitra_assets.definitions import PER_VIDEO_ASSETS, defs
    from vitra_assets.episodes import episodes
    from vitra_assets.instance import project_instance

    seconds, report = {}, IngestReport()
    with project_instance(cfg) as instance:
        runs_before = {run.run_id for run in instance.get_runs()}
        start = time.perf_counter()
        drain_inbox(cfg, instance, report, drop_into_inbox(clips, cfg.inbox_dir))
        seconds["ingest"] = time.perf_counter() - start
        start = time.perf_counter()
        materialize_partitions(instance, defs, pending_work(instance, [a.key for a in PER_VIDEO_ASSETS]), report)
        seconds["per-video stages"] = time.perf_counter() - start
        start = time.perf_counter()
        assert not report.failed and materialize_corpus_asset(instance, defs, episodes.key), "a run failed"
        seconds["episodes"] = time.perf_counter() - start
        steps = step_seconds(instance, [run.run_id for run in instance.get_runs() if run.run_id not in runs_before])
    seconds["total"] = sum(seconds.values())
    return seconds | {f"  step {key}": value for key, value in steps.items()}


def dvc_track_seconds(root: Path, already_tracked: int) -> float:
    """Seconds of `DvcStore.track` (what `raw_clips` calls per video) for one small new file, in a DVC
    repository that already tracks `already_tracked` files one by one (fastest of 3, push off)."""
    from dvc_growth import track_seconds  # benchmarks/ is on the path when this script runs

    return min(track_seconds(root, already_tracked, 3, push=False))


def variants(clip: Path, count: int, folder: Path) -> list[Path]:
    """`count` copies of `clip` with the same frames but different bytes (a metadata comment), so each is a
    new video to the inbox; normalisation drops the comment, so every copy costs the same work."""
    made = []
    for k in range(count):
        out = folder / f"{clip.stem}.v{k}{clip.suffix}"
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-map", "0", "-c", "copy",
                        "-metadata", f"comment=variant {k}", str(out)], check=True)
        made.append(out)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--clip", default="lavila/ego4d_3c0dffd0_012_014.mp4",
                        help="the clip added (relative to --samples)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements; the fastest of each counts")
    parser.add_argument("--dvc-tracked", type=int, nargs="*", default=[0, 250, 1000],
                        help="also time tracking one more source file with DVC when this many are tracked already")
    args = parser.parse_args()
    clip = args.samples / args.clip
    corpus = sorted(p for p in args.samples.rglob("*") if p.suffix in VIDEO_SUFFIXES and p != clip)

    with tempfile.TemporaryDirectory(prefix="vitra-incremental-") as tmp:
        full = Path(tmp) / "full"
        full_cfg = scratch_project(full)
        built = add_clips(full_cfg, corpus)
        print(f"built {len(corpus)} videos in {built['total']:.1f} s (warm-up); frames/s per stage (step time, "
              "episodes: frames written):")
        for stage, rate in stage_frames_per_s(full_cfg).items():
            print(f"  {stage:<12}{rate:8.1f}")
        alone, added = [], []
        for k, copy in enumerate(variants(clip, args.repeats, Path(tmp))):
            alone.append(add_clips(scratch_project(Path(tmp) / f"empty{k}"), [copy]))
            added.append(add_clips(activate(full), [copy]))  # N, N+1, ... videos already there

    best_alone, best_added = min(alone, key=lambda t: t["total"]), min(added, key=lambda t: t["total"])
    print(f"\nadding {args.clip} (seconds, fastest of {args.repeats})")
    print(f"{'phase':<18}{'empty project':>15}{f'{len(corpus)}+ videos':>15}")
    for phase in best_alone:
        print(f"{phase:<18}{best_alone[phase]:>15.2f}{best_added[phase]:>15.2f}")
    ratios = sorted(b["total"] / a["total"] for a, b in zip(alone, added))
    print(f"\nratio (with {len(corpus)}+ videos / into an empty project): {best_added['total'] / best_alone['total']:.2f}"
          f"  (goal <= 1.2; per repeat {', '.join(f'{r:.2f}' for r in ratios)})")
    if args.dvc_tracked:
        print("\nDVC: tracking one more source file (raw_clips does this per video, under a lock)")
        with tempfile.TemporaryDirectory(prefix="vitra-dvc-") as tmp:
            for count in args.dvc_tracked:
                seconds = dvc_track_seconds(Path(tmp) / str(count), count)
                print(f"  {count:>6} files tracked already: {seconds:6.2f} s")


if __name__ == "__main__":
    main()
