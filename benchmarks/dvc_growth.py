"""DVC cost per added video at N videos already versioned: `DvcStore.track` of one more source file (+ push)
and `DvcStore.commit_stage` of the episodes stage after one more video (+ push), for several N.

Synthetic files, clearly so (DVC's cost depends on file counts, not content): sources of 8 bytes tracked
one by one; for the stage, per video 3 dataset files in `data/episodes` and 2 files in each of the five
per-video dep folders of `dvc.yaml`'s episodes stage. Local-folder remote. Prints each of `--repeats`
timings (after one untimed warm-up call).

    python benchmarks/dvc_growth.py --sizes 0 100 1000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vitra_core.versioning.dvc_store import DvcStore  # noqa: E402

DEPS = ("raw_clips", "hand_poses", "camera_motion", "segments", "captions")


def _store(root: Path, push: bool = True) -> DvcStore:
    root.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=root, check=True)
    return DvcStore(root, "local", str(root / "remote"), push=push)


def track_seconds(root: Path, tracked: int, repeats: int = 3, push: bool = True) -> list[float]:
    """Seconds of `track` (add, and push unless `push` is off) of one new file each, with `tracked` files
    already tracked."""
    store = _store(root, push)
    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    existing = [raw / f"{i:08d}.bin" for i in range(tracked)]
    for i, path in enumerate(existing):
        path.write_bytes(i.to_bytes(8, "little"))
    if existing:
        store.track(existing)
    times = []
    for k in range(repeats + 1):
        new = raw / f"new{k}.bin"
        new.write_bytes(f"new {k}".encode())
        start = time.perf_counter()
        store.track([new])
        times.append(time.perf_counter() - start)
    return times[1:]


def _video_files(root: Path, i: int) -> None:
    for dep in DEPS:
        for name in ("a.bin", "b.bin"):
            path = root / "data" / dep / f"v{i:06d}" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"{dep}{name}{i}".encode() * 50)
    for kind in ("data", "meta/episodes", "videos/main"):
        path = root / "data" / "episodes" / kind / f"chunk-{i // 1000:03d}" / f"file-{i % 1000:03d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{kind}{i}".encode() * 100)


def stage_commit_seconds(root: Path, videos: int, repeats: int = 3) -> list[float]:
    """Seconds of `commit_stage("episodes")` (+ push) after one more video each, `videos` already committed."""
    store = _store(root)
    deps = "".join(f"      - data/{dep}\n" for dep in DEPS)
    (root / "dvc.yaml").write_text(f"stages:\n  episodes:\n    cmd: vitra episodes build\n    deps:\n{deps}"
                                   "    outs:\n      - data/episodes:\n          persist: true\n")
    for i in range(videos):
        _video_files(root, i)
    info = root / "data" / "episodes" / "meta" / "info.json"
    info.parent.mkdir(parents=True, exist_ok=True)
    info.write_text("{}")
    store.commit_stage("episodes")
    times = []
    for k in range(repeats + 1):
        _video_files(root, videos + k)
        info.write_text(str(k))
        start = time.perf_counter()
        store.commit_stage("episodes")
        times.append(time.perf_counter() - start)
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 100, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vitra-dvc-growth-") as tmp:
        for n in args.sizes:
            track = track_seconds(Path(tmp) / f"track{n}", n, args.repeats)
            videos = max(n, 1)  # the stage's dep folders must exist
            commit = stage_commit_seconds(Path(tmp) / f"commit{n}", videos, args.repeats)
            print(f"N={n:6d}: track+push {', '.join(f'{t:.3f}' for t in track)} s; episodes stage commit+push at "
                  f"{videos} videos ({13 * (videos + args.repeats + 1)} files) {', '.join(f'{t:.3f}' for t in commit)} s")


if __name__ == "__main__":
    main()
