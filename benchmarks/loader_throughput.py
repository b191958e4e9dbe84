"""Episode dataset build and loader throughput, measured in one run.

Prints, on the normalised sample clips (1-second episodes, as the tests make them):
  - dataset build seconds per video and bytes per episode (parquet + mp4)
  - loader samples/s with num_workers 0 and 2 (shuffled, batch 32, flip + colour jitter on), and their ratio

Usage: .venv/bin/python benchmarks/loader_throughput.py [--samples ../shared/data] [--dataset DIR] [--samples-read N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from torch.utils.data import DataLoader

from vitra_core.episodes import AugmentSettings, EpisodeSpan, EpisodeWindowDataset, VideoEpisodesInput, add_video
from vitra_core.hands import extract_hand_poses
from vitra_core.video import NormaliseSettings, normalise_clip

CLIPS = ["lavila/ego4d_3c0dffd0_012_014.mp4", "mediapipe_samples/hl_test_video.mp4", "tfjs/asl_hand.25fps.mp4"]


def build(samples: Path, root: Path, work: Path) -> None:
    for name in CLIPS:
        clip = work / (Path(name).stem + ".mp4")
        normalise_clip(samples / name, clip, NormaliseSettings())
        poses = extract_hand_poses(clip)
        spans = [EpisodeSpan(start_frame=s, end_frame=min(s + 30, poses.num_frames), hand="right",
                             instruction=f"Left hand: None. Right hand: Step {s // 30}.")
                 for s in range(0, poses.num_frames, 30)]
        update = add_video(root, VideoEpisodesInput(clip.stem, clip, poses, spans))
        print(f"build {clip.stem}: {len(update.episode_indices)} episodes, {update.frames} frames, "
              f"{update.seconds:.2f} s ({update.frames / update.seconds:.0f} frames/s)")
    files = [p for p in root.rglob("*") if p.is_file() and p.parts[len(root.parts)] in ("data", "videos")]
    episodes = len(list((root / "data").rglob("*.parquet")))
    print(f"dataset: {episodes} episodes, {sum(p.stat().st_size for p in files) / episodes / 1024:.1f} KiB per episode "
          f"(parquet + 224 px mp4, ~30 frames)")


def samples_per_second(root: Path, workers: int, count: int) -> float:
    augment = AugmentSettings(flip_prob=0.5, brightness=0.2, contrast=0.2, saturation=0.2)
    dataset = EpisodeWindowDataset(root, augment=augment, cache_episodes=16)
    loader = DataLoader(dataset, batch_size=32, shuffle=True, num_workers=workers, persistent_workers=False)
    seen, start = 0, time.perf_counter()
    while seen < count:
        for batch in loader:
            seen += len(batch["state"])
            if seen >= count:
                break
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--dataset", type=Path, help="an existing episode dataset (default: build one)")
    parser.add_argument("--samples-read", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.dataset
        if root is None:
            root = Path(tmp) / "dataset"
            build(args.samples, root, Path(tmp))
        rates = {workers: samples_per_second(root, workers, args.samples_read) for workers in (0, 2)}
        for workers, rate in rates.items():
            print(f"loader num_workers={workers}: {rate:.0f} samples/s")
        print(f"ratio workers=2 / workers=0: {rates[2] / rates[0]:.2f}")


if __name__ == "__main__":
    main()
