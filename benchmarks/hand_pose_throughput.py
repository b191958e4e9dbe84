"""Hand-pose stage throughput, measured in one run (ratios, not absolute times, are what compare).

Prints, on the normalised sample clips the stage really reads:
  - frames/s of the whole stage (`extract_hand_poses`: decode, MediaPipe, 3D, temporal, kinematics)
  - frames/s of MediaPipe inference alone on the same frames, decoded beforehand into memory: every
    MediaPipe call the stage makes (the tracker and, where it has fewer than two hands, the tile fallback)
  - their ratio (goal >= 0.9: the stage adds little beyond the model it cannot avoid)
  - the speedup of two partitions processed in parallel (two processes) over one after the other
  - frames/s of the camera-motion stage (`estimate_camera_motion` with the clip's hand poses) and the
    per-video chain's time per frame (hand poses + camera motion) relative to hand poses alone

Usage: .venv/bin/python benchmarks/hand_pose_throughput.py [--samples ../shared/data]
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from vitra_core.camera import estimate_camera_motion
from vitra_core.hands import HandPoseSettings, extract_hand_poses
from vitra_core.hands.detect import HandDetector
from vitra_core.hands.extract import detect_hands
from vitra_core.video import NormaliseSettings, iter_frames, normalise_clip

CLIPS = ["tfjs/asl_hand.25fps.mp4", "lavila/ego4d_3c0dffd0_012_014.mp4", "mediapipe_samples/hl_test_video.mp4"]


def stage_seconds(clip: Path) -> float:
    start = time.perf_counter()
    extract_hand_poses(clip)
    return time.perf_counter() - start


def camera_motion_seconds(clip: Path) -> tuple[float, float]:
    """(hand-pose s, camera-motion s) for one clip, the second given the first's poses."""
    start = time.perf_counter()
    poses = extract_hand_poses(clip)
    middle = time.perf_counter()
    estimate_camera_motion(clip, poses)
    return middle - start, time.perf_counter() - middle


def mediapipe_seconds(clip: Path) -> tuple[float, int]:
    frames = list(iter_frames(clip))
    start = time.perf_counter()
    detect_hands(frames, HandPoseSettings(), mirrored=False)
    return time.perf_counter() - start, len(frames)


def _warm_worker() -> None:
    """Load MediaPipe's graph once per worker, so the timing below is of the work alone."""
    HandDetector(HandPoseSettings(), mirrored=False).close()


def parallel_speedup(pair: list[Path]) -> tuple[float, float]:
    """(sequential s, parallel s) for two clips: one after the other vs. two spawned processes."""
    sequential = sum(stage_seconds(clip) for clip in pair)
    spawn = multiprocessing.get_context("spawn")  # forking after MediaPipe started corrupts its heap
    with ProcessPoolExecutor(max_workers=2, mp_context=spawn, initializer=_warm_worker) as pool:
        list(pool.map(time.sleep, [1.0, 1.0]))  # both workers up and warm
        start = time.perf_counter()
        list(pool.map(stage_seconds, pair))
        return sequential, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clips = []
        for relpath in CLIPS:
            out = Path(tmp) / (Path(relpath).stem + ".mp4")
            normalise_clip(args.samples / relpath, out, NormaliseSettings())
            clips.append(out)
        print(f"{'clip':<28} {'frames':>6} {'stage f/s':>10} {'mediapipe f/s':>14} {'ratio':>6}")
        stage_total = mp_total = frames_total = 0.0
        for clip in clips:
            mp_s, frames = mediapipe_seconds(clip)
            st_s = stage_seconds(clip)
            stage_total, mp_total, frames_total = stage_total + st_s, mp_total + mp_s, frames_total + frames
            print(f"{clip.name:<28} {frames:>6} {frames / st_s:>10.1f} {frames / mp_s:>14.1f} {mp_s / st_s:>6.2f}")
        print(f"{'all':<28} {int(frames_total):>6} {frames_total / stage_total:>10.1f} "
              f"{frames_total / mp_total:>14.1f} {mp_total / stage_total:>6.2f}")
        pair = [clips[0], clips[2]]
        sequential, parallel = parallel_speedup(pair)
        print(f"two partitions ({pair[0].name}, {pair[1].name}): sequential {sequential:.2f} s, "
              f"parallel {parallel:.2f} s, speedup {sequential / parallel:.2f}x")
        print(f"stage / MediaPipe-alone throughput ratio: {mp_total / stage_total:.2f} (goal >= 0.9)")
        print(f"{'clip':<28} {'frames':>6} {'camera f/s':>10} {'chain / hands':>14}")
        hands_total = camera_total = 0.0
        for clip in clips:
            hands_s, camera_s = camera_motion_seconds(clip)
            hands_total, camera_total = hands_total + hands_s, camera_total + camera_s
            frames = sum(1 for _ in iter_frames(clip))
            print(f"{clip.name:<28} {frames:>6} {frames / camera_s:>10.1f} {(hands_s + camera_s) / hands_s:>14.2f}")
        print(f"camera motion: {frames_total / camera_total:.1f} frames/s; per-video chain (hand poses + camera "
              f"motion) takes {(hands_total + camera_total) / hands_total:.2f}x the time of hand poses alone "
              f"(goal <= 1.5x)")


if __name__ == "__main__":
    main()
