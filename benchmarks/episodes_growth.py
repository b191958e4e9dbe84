"""Time to add one more source to an episode dataset that already holds N sources, for several N.

Synthetic data, clearly so: each source is a batch of recorded episodes (3 episodes x 30 frames of random
hand states and flat 32 x 32 frames) written through the real writer (`add_recorded`), because building
1000 sources from real clips takes hours here. A recorded source goes through the same bookkeeping as a
video (its three LeRobot files, its record, the index, stats, tasks, info); a real clip only adds its
constant encode cost. Each N is built once; the update is timed `--repeats` times (N, N + 1, ...).
`episode_add_seconds` is there for benchmarks/scale.py to reuse.

    python benchmarks/episodes_growth.py --sizes 10 100 1000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vitra_core.episodes import DatasetSettings, add_recorded  # noqa: E402
from vitra_core.episodes.source import RecordedEpisode, RecordedEpisodesInput  # noqa: E402
from vitra_core.episodes.state_layout import STATE_DIM  # noqa: E402

FPS = 30
SETTINGS = DatasetSettings(image_size_px=32, fps=FPS)


def synthetic_source(source_id: str, seed: int, episodes: int = 3, frames: int = 30) -> RecordedEpisodesInput:
    """A recorded source of random states (both hands present) and grey frames; instructions repeat across
    sources, as a corpus's do."""
    rng = np.random.default_rng(seed)
    made = []
    for k in range(episodes):
        state = rng.normal(size=(frames, STATE_DIM)).astype(np.float32)
        state[:, -2:] = 1.0
        made.append(RecordedEpisode(np.full((frames, 32, 32, 3), 96 + k, np.uint8), state,
                                    f"pick up object {seed % 20}", "right"))
    return RecordedEpisodesInput(source_id, FPS, (60.0, 45.0), made, fingerprint=f"synthetic-{seed}")


def build(root: Path, sources: int) -> None:
    """N synthetic sources through the writer. Every source has the same frames, so the first one's encoded
    episode videos and image stats are reused for the others (the encode is the only step skipped)."""
    from unittest import mock

    from vitra_core.episodes import writer

    add_recorded(root, synthetic_source("src000000", 0), SETTINGS)
    with tempfile.TemporaryDirectory() as tmp:
        joined = Path(tmp) / "joined.mp4"
        shutil.copy(root / writer.video_file(0, SETTINGS), joined)
        stats = [writer.write_frames_video(e.frames, Path(tmp) / f"{k}.mp4", SETTINGS.image_size_px, FPS, SETTINGS.crf)
                 for k, e in enumerate(synthetic_source("probe", 0).episodes)]
        encoded = iter(stats * sources)
        with mock.patch.object(writer, "write_frames_video", lambda *args: next(encoded)), \
                mock.patch.object(writer, "concat_videos", lambda parts, out, fps: shutil.copy(joined, out)):
            for k in range(1, sources):
                add_recorded(root, synthetic_source(f"src{k:06d}", k), SETTINGS)


@dataclass(frozen=True)
class AddTiming:
    """One add: wall seconds, and CPU seconds of this process (the writer's own work, without the ffmpeg
    encoders it waits for; on a shared machine the steadier figure)."""

    wall_s: float
    cpu_s: float


def episode_add_seconds(root: Path, repeats: int = 3) -> list[AddTiming]:
    """Timings of `repeats` successive `add_recorded` calls of a new synthetic source each."""
    times = []
    for k in range(repeats):
        source = synthetic_source(f"added{time.time_ns()}", 10**6 + k)
        wall, cpu = time.perf_counter(), time.process_time()
        add_recorded(root, source, SETTINGS)
        times.append(AddTiming(time.perf_counter() - wall, time.process_time() - cpu))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="build the datasets here (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vitra-episodes-growth-") as tmp:
        base = args.keep or Path(tmp)
        medians = {}
        for n in args.sizes:
            root = base / f"n{n}"
            start = time.perf_counter()
            build(root, n)
            built = time.perf_counter() - start
            episode_add_seconds(root, 1)  # warm-up: imports, first ffmpeg start
            timings = episode_add_seconds(root, args.repeats)
            wall, cpu = [t.wall_s for t in timings], [t.cpu_s for t in timings]
            medians[n] = (statistics.median(wall), statistics.median(cpu))
            print(f"N={n:6d}: add one source: wall {medians[n][0]:.3f} s median (min {min(wall):.3f}, max "
                  f"{max(wall):.3f}), writer CPU {medians[n][1]:.3f} s median (min {min(cpu):.3f}, max {max(cpu):.3f}); "
                  f"{args.repeats} repeats; built in {built:.0f} s")
        first = args.sizes[0]
        for n in args.sizes[1:]:
            print(f"ratio N={n} / N={first}: wall {medians[n][0] / medians[first][0]:.2f}, "
                  f"CPU {medians[n][1] / medians[first][1]:.2f}")


if __name__ == "__main__":
    main()
