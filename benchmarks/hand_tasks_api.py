"""MediaPipe's Tasks API (HandLandmarker) over the legacy models bundled in the wheel, against the tfjs references.

The alternative to `mp.solutions.hands` weighed in docs/hand_poses.md (1. Detection): the wheel's full
palm-detection and landmark models, packed as a `.task` zip (hand_detector.tflite +
hand_landmarks_detector.tflite), run by `mediapipe.tasks.python.vision.HandLandmarker`. Prints JSON:
asl_hand in VIDEO mode (the tracker) against asl_hand.full.json / asl_hand_3d.full.json, hands.jpg and
the FreiHAND stills in IMAGE mode, with the raw (selfie-convention) handedness labels.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/hand_tasks_api.py [--samples ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import zipfile
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import HandLandmarker, HandLandmarkerOptions, RunningMode

from vitra_core.video.frames import iter_frames

ROOT = Path(__file__).resolve().parents[1]


def pack_task(target: Path) -> Path:
    """The wheel's full legacy hand models as a HandLandmarker `.task` bundle."""
    modules = Path(mp.__file__).parent / "modules"
    with zipfile.ZipFile(target, "w") as bundle:
        bundle.write(modules / "palm_detection" / "palm_detection_full.tflite", "hand_detector.tflite")
        bundle.write(modules / "hand_landmark" / "hand_landmark_full.tflite", "hand_landmarks_detector.tflite")
    return target


def _landmarker(task: Path, mode: RunningMode) -> HandLandmarker:
    return HandLandmarker.create_from_options(HandLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(task)), running_mode=mode, num_hands=2,
        min_hand_detection_confidence=0.5, min_hand_presence_confidence=0.5, min_tracking_confidence=0.5))


def _hands(result, width: int, height: int) -> list[tuple[np.ndarray, np.ndarray, str, float]]:
    """(image px [21, 2], world m [21, 3], label, score) per hand."""
    return [
        (np.array([(p.x * width, p.y * height) for p in image]), np.array([(p.x, p.y, p.z) for p in world]),
         handed[0].category_name, float(handed[0].score))
        for image, world, handed in zip(result.hand_landmarks, result.hand_world_landmarks, result.handedness)
    ]


def _median_p95(values: np.ndarray, scale: float = 1.0) -> list[float]:
    return [round(float(np.median(values) * scale), 3), round(float(np.percentile(values, 95) * scale), 3)]


def asl(samples: Path, task: Path) -> dict:
    ref_2d = np.array(json.loads((samples / "tfjs" / "asl_hand.full.json").read_text()))[..., :2]
    ref_world = np.array(json.loads((samples / "tfjs" / "asl_hand_3d.full.json").read_text()))
    image = np.full(ref_2d.shape, np.nan)
    world = np.full(ref_world.shape, np.nan)
    labels = []
    with _landmarker(task, RunningMode.VIDEO) as landmarker:
        for t, frame in enumerate(iter_frames(samples / "tfjs" / "asl_hand.25fps.mp4")):
            height, width = frame.rgb.shape[:2]
            result = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=frame.rgb),
                                                 round(frame.timestamp_s * 1000))
            found = _hands(result, width, height)
            if found:
                nearest = min(found, key=lambda hand: np.abs(hand[0] - ref_2d[t]).mean())
                image[t], world[t] = nearest[0], nearest[1]
                labels.append(nearest[2])
    detected = np.isfinite(image).all(axis=(1, 2))
    error_px = np.linalg.norm(image[detected] - ref_2d[detected], axis=-1)
    error_m = np.linalg.norm(world[detected] - ref_world[detected], axis=-1)
    return dict(detected=int(detected.sum()), frames=len(ref_2d), error_2d_px_median_p95=_median_p95(error_px),
                error_world_mm_median_p95=_median_p95(error_m, 1000),
                max_px=round(float(error_px.max()), 2), labels={label: labels.count(label) for label in set(labels)})


def stills(samples: Path, task: Path) -> dict:
    expected = np.array(json.loads((samples / "tfjs" / "hands_jpg_expected_keypoints.json").read_text())["hands"])
    freihand = json.loads((samples / "freihand" / "test_freihand.json").read_text())
    names = {image["id"]: image["file_name"] for image in freihand["images"]}

    def detect(path: Path):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        with _landmarker(task, RunningMode.IMAGE) as landmarker:  # fresh per image, like detect_still
            result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        return _hands(result, rgb.shape[1], rgb.shape[0])

    found = detect(samples / "tfjs" / "hands.jpg")
    out = dict(hands_jpg=dict(
        found=len(found), labels=[hand[2] for hand in found],
        max_abs_error_px_per_expected_hand=[
            round(float(min(np.abs(hand[0] - want).max() for hand in found)), 2) if found else None
            for want in expected]))
    errors, diagonals, per_image = [], [], {}
    for annotation in freihand["annotations"]:
        x, y, w, h = annotation["bbox"]
        keypoints = np.array(annotation["keypoints"], dtype=np.float64).reshape(21, 3)[:, :2]
        name = names[annotation["image_id"]]
        hands = detect(samples / "freihand" / name)
        if not hands:
            per_image[name] = None
            continue
        hand = min(hands, key=lambda hand: np.linalg.norm(hand[0].mean(axis=0) - [x + w / 2, y + h / 2]))
        error = np.linalg.norm(hand[0] - keypoints, axis=1)
        per_image[name] = [round(float(error.mean()), 2), hand[2]]
        errors.append(error.mean())
        diagonals.append(np.hypot(w, h))
    out["freihand"] = dict(detected=len(errors), per_image=per_image, overall_mean_px=round(float(np.mean(errors)), 2),
                           overall_relative=round(float(np.mean(errors) / np.mean(diagonals)), 3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        task = pack_task(Path(tmp) / "hand_landmarker_legacy_full.task")
        figures = dict(mediapipe=mp.__version__, numpy=np.__version__, asl=asl(args.samples, task))
        figures.update(stills(args.samples, task))
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
