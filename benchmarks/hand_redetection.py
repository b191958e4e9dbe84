"""Hand frames found by the hand-pose stage vs plain MediaPipe tracking, on every sample clip (videos and GIFs).

Baseline: mp.solutions.hands, static_image_mode=False, max_num_hands=2, model_complexity=1,
min_detection_confidence=0.3, fed the same decoded frames. Per clip it prints
  - baseline: hands MediaPipe returned, summed over frames ("raw"), and after merging two boxes of one frame
    that overlap by IoU >= 0.5 (the stage's `duplicate_iou`: one hand reported twice) ("distinct");
  - stage: hands in the two slots on detected (not interpolated) frames, with default settings;
  - frames with at least one hand, for both;
  - shared: stage hands that overlap a baseline hand (IoU >= 0.3), and the baseline's distinct hands the stage
    misses.
With --sheets DIR it also writes, per clip, a contact sheet of every hand the stage and the baseline do not
share (`<clip>_only_stage.png`, `<clip>_only_baseline.png`), and one of up to 10 crops of each stage track
(`<clip>_tracks.png`): the pictures the false-hand counts in docs/hand_poses.md come from, by eye.

Usage: .venv/bin/python benchmarks/hand_redetection.py [--samples ../shared/data] [--sheets DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np

from vitra_core.hands import HandPoseSettings, extract_hand_poses
from vitra_core.hands.detect import HandDetection, detections_from
from vitra_core.hands.tracking import _duplicates, box_iou
from vitra_core.video.frames import iter_frames

CLIPS = [
    "tfjs/asl_hand.25fps.mp4", "mediapipe_samples/hl_test_video.mp4", "lavila/ego4d_3c0dffd0_012_014.mp4",
    "lavila/ego4d_cf7c12db.gif", "lavila/mixkit-chef-preparing-a-sauce-in-a-blender-43034-medium.gif",
    "lavila/mixkit-hands-of-a-baker-kneading-a-dough-42467-medium.gif",
    "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif",
    "egoloc/egopat3d_video1.mp4", "egoloc/egopat3d_video2.mp4", "egoloc/egopat3d_rgb.mp4",
    "video_to_data/human-web.mp4",
]
SAME_HAND_IOU = 0.3


def baseline_hands(clip: Path) -> list[list[HandDetection]]:
    """Plain MediaPipe tracking at a 0.3 palm threshold: every hand it returns, per frame."""
    found = []
    with mp.solutions.hands.Hands(static_image_mode=False, max_num_hands=2, model_complexity=1,
                                  min_detection_confidence=0.3) as hands:
        for frame in iter_frames(clip):
            height, width = frame.rgb.shape[:2]
            found.append(detections_from(hands.process(frame.rgb), width, height, mirrored=False))
    return found


def _crop(rgb: np.ndarray, points_px: np.ndarray, label: str, size: int = 128) -> np.ndarray:
    """A square around the landmarks (twice their extent), landmarks dotted, `label` written on it."""
    centre = (points_px.min(0) + points_px.max(0)) / 2
    half = float(np.max(points_px.max(0) - points_px.min(0))) + 12
    pad = int(half) + 2
    padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(40, 40, 40))
    x0, y0 = int(centre[0] - half) + pad, int(centre[1] - half) + pad
    crop = padded[y0:y0 + int(2 * half), x0:x0 + int(2 * half)]
    scale = size / crop.shape[0]
    crop = cv2.resize(crop, (size, size))
    for x, y in points_px:
        cv2.circle(crop, (int((x + pad - x0) * scale), int((y + pad - y0) * scale)), 1, (255, 0, 255), -1)
    cv2.putText(crop, label, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 0), 1)
    return crop


def _sheet(crops: list[np.ndarray], path: Path, per_row: int = 10) -> None:
    if not crops:
        return
    blank = np.zeros_like(crops[0])
    rows = [np.hstack(crops[i:i + per_row] + [blank] * (per_row - len(crops[i:i + per_row])))
            for i in range(0, len(crops), per_row)]
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--sheets", type=Path, default=None)
    args = parser.parse_args()
    duplicate_iou = HandPoseSettings().duplicate_iou
    print(f"{'clip':<44} {'frames':>6} | {'baseline raw':>12} {'distinct':>8} {'frames':>6} | "
          f"{'stage':>5} {'frames':>6} | {'only stage':>10} {'only baseline':>13}")
    for relpath in CLIPS:
        clip = args.samples / relpath
        base = baseline_hands(clip)
        base_distinct = [[hand for hand, dup in zip(hands, _duplicates(hands, duplicate_iou)) if not dup]
                         for hands in base]
        poses = extract_hand_poses(clip)
        detected = poses.mask & ~poses.interpolated
        ours = [[poses.joints_2d[t, slot] for slot in np.flatnonzero(detected[t])] for t in range(poses.num_frames)]
        only_stage = [(t, points) for t, hands in enumerate(ours) for points in hands
                      if all(box_iou(points, other.image_px) < SAME_HAND_IOU for other in base_distinct[t])]
        only_base = [(t, other.image_px) for t, hands in enumerate(base_distinct) for other in hands
                     if all(box_iou(points, other.image_px) < SAME_HAND_IOU for points in ours[t])]
        print(f"{Path(relpath).name[:44]:<44} {poses.num_frames:>6} | {sum(map(len, base)):>12} "
              f"{sum(map(len, base_distinct)):>8} {sum(map(bool, base)):>6} | {int(detected.sum()):>5} "
              f"{int(detected.any(axis=1).sum()):>6} | {len(only_stage):>10} {len(only_base):>13}")
        if args.sheets is not None:
            args.sheets.mkdir(parents=True, exist_ok=True)
            frames = [frame.rgb for frame in iter_frames(clip)]
            stem = Path(relpath).stem[:32]
            _sheet([_crop(frames[t], p, f"{t}") for t, p in only_stage], args.sheets / f"{stem}_only_stage.png")
            _sheet([_crop(frames[t], p, f"{t}") for t, p in only_base], args.sheets / f"{stem}_only_baseline.png")
            tracks = []
            for slot in range(2):
                for track in np.unique(poses.track_id[detected[:, slot], slot]):
                    times = np.flatnonzero(detected[:, slot] & (poses.track_id[:, slot] == track))
                    picked = times[np.linspace(0, len(times) - 1, min(10, len(times))).round().astype(int)]
                    tracks += [_crop(frames[t], poses.joints_2d[t, slot], f"{t} s{slot} t{track}") for t in picked]
                    tracks += [np.zeros((128, 128, 3), np.uint8)] * (-len(tracks) % 10)
            _sheet(tracks, args.sheets / f"{stem}_tracks.png")


if __name__ == "__main__":
    main()
