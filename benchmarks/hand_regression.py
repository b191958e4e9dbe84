"""The hand-pose figures of docs/hand_poses.md, measured in one run (for comparing MediaPipe/numpy versions).

Prints one JSON object with the figures the doc and the hand tests quote, all on the sample data:
  - asl_modes: MediaPipe Hands alone on tfjs/asl_hand.25fps.mp4 in the four (static, complexity) modes
    against tfjs/asl_hand.full.json and asl_hand_3d.full.json: 2D px and world mm median / p95, frames
    detected, worst frames
  - asl_pipeline: `extract_hand_poses` on the same clip: 2D / world error, reprojection of the final
    joints, their distance to the per-frame lifted joints, wrist-depth jitter with and without smoothing,
    MediaPipe's palm length, FK round trip
  - hands_jpg: per upstream hand, the max |landmark - expected| (px) of the nearest detection, labels
  - freihand: detections, per-image mean error, overall px and bbox diagonals, by joint group
  - clips: detected frames left / right, num_detected total and tile-fallback probes per sample clip
  - normalised: tile-fallback probes on the normalised clips; the normalised cooking clip without / with it
  - container_gif: the tile-fallback table's last rows (real-hand frames, false hands) on the GIF
  - plausibility: per clip and slot, frames, wrist-to-middle-tip chain, depth range, wrist acceleration
  - lift3d: the synthetic lifting error table (test_lift3d's scene)
With --save FILE.npz it also writes the raw landmarks (asl per mode, hands.jpg) so that two runs under
different versions can be compared landmark by landmark with --compare OLD.npz NEW.npz.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/hand_regression.py [--samples ../shared/data] [--save F.npz]
       PYTHONPATH=. .venv/bin/python benchmarks/hand_regression.py --compare old.npz new.npz
Needs only mediapipe, numpy, opencv, scipy, pydantic and ffmpeg (no torch).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
from scipy.spatial.transform import Rotation

from vitra_core.hands import HandPoseSettings, extract_hand_poses
from vitra_core.hands.detect import HandDetector, detections_from
from vitra_core.hands.kinematics import bone_lengths, forward_kinematics, inverse_kinematics
from vitra_core.hands.lift3d import lift_to_camera, scale_to_palm_length
from vitra_core.hands.skeleton import LEFT, MIDDLE_MCP, RIGHT, WRIST
from vitra_core.hands.tile_fallback import TileFallback
from vitra_core.video.frames import iter_frames
from vitra_core.video.intrinsics import resolve_intrinsics

ROOT = Path(__file__).resolve().parents[1]
MODES = [(False, 1), (True, 1), (False, 0), (True, 0)]  # (static_image_mode, model_complexity)
CLIPS = {
    "cooking": "lavila/ego4d_3c0dffd0_012_014.mp4",
    "mixkit_blender": "lavila/mixkit-chef-preparing-a-sauce-in-a-blender-43034-medium.gif",
    "kneading": "lavila/mixkit-hands-of-a-baker-kneading-a-dough-42467-medium.gif",
    "loaf": "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif",
    "hl_test_video": "mediapipe_samples/hl_test_video.mp4",
    "asl_hand": "tfjs/asl_hand.25fps.mp4",
    "container_gif": "lavila/ego4d_cf7c12db.gif",
}
WRIST_AND_KNUCKLES = [0, 5, 9, 13, 17]
FINGER_MIDDLE_JOINTS = [6, 7, 10, 11, 14, 15, 18, 19]
FINGERTIPS = [4, 8, 12, 16, 20]
THUMB_CMC_TO_IP = [1, 2, 3]


def _r(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


def _median_p95(values: np.ndarray, scale: float = 1.0) -> list[float]:
    return [_r(np.median(values) * scale), _r(np.percentile(values, 95) * scale)]


def asl_modes(samples: Path, raw: dict) -> dict:
    frames = [frame.rgb for frame in iter_frames(samples / CLIPS["asl_hand"])]
    ref_2d = np.array(json.loads((samples / "tfjs" / "asl_hand.full.json").read_text()))[..., :2]
    ref_world = np.array(json.loads((samples / "tfjs" / "asl_hand_3d.full.json").read_text()))
    height, width = frames[0].shape[:2]
    out = {}
    for static, complexity in MODES:
        name = f"{'static' if static else 'tracking'}_c{complexity}"
        image = np.full((len(frames), 21, 2), np.nan)
        world = np.full((len(frames), 21, 3), np.nan)
        seconds = 0.0
        with mp.solutions.hands.Hands(static_image_mode=static, max_num_hands=2, model_complexity=complexity,
                                      min_detection_confidence=0.5, min_tracking_confidence=0.5) as hands:
            for t, rgb in enumerate(frames):
                start = time.perf_counter()
                result = hands.process(rgb)
                seconds += time.perf_counter() - start
                found = detections_from(result, width, height, mirrored=False)
                if found:
                    nearest = min(found, key=lambda hand: np.abs(hand.image_px - ref_2d[t]).mean())
                    image[t], world[t] = nearest.image_px, nearest.world_m
        raw[f"asl_{name}_image"], raw[f"asl_{name}_world"] = image, world
        detected = np.isfinite(image).all(axis=(1, 2))
        error_px = np.linalg.norm(image[detected] - ref_2d[detected], axis=-1)
        error_m = np.linalg.norm(world[detected] - ref_world[detected], axis=-1)
        per_frame_max = np.full(len(frames), np.nan)
        per_frame_max[detected] = error_px.max(axis=1)
        worst = np.flatnonzero(per_frame_max > 10)
        out[name] = dict(
            detected=int(detected.sum()), frames=len(frames),
            error_2d_px_median_p95=_median_p95(error_px), error_world_mm_median_p95=_median_p95(error_m, 1000),
            max_px=_r(np.nanmax(per_frame_max), 2), mediapipe_frames_per_s=_r(len(frames) / seconds, 1),
            frames_over_10px=[int(worst.min()), int(worst.max()), len(worst)] if len(worst) else [],
        )
    return out


def asl_pipeline(samples: Path) -> dict:
    clip = samples / CLIPS["asl_hand"]
    ref_2d = np.array(json.loads((samples / "tfjs" / "asl_hand.full.json").read_text()))[..., :2]
    ref_world = np.array(json.loads((samples / "tfjs" / "asl_hand_3d.full.json").read_text()))
    poses = extract_hand_poses(clip)
    raw = extract_hand_poses(clip, settings=HandPoseSettings(smoothing_window_frames=1))
    detected, present = poses.detected[:, RIGHT], poses.mask[:, RIGHT]
    error_px = np.linalg.norm(poses.joints_2d[detected, RIGHT] - ref_2d[detected], axis=-1)
    error_m = np.linalg.norm(poses.world_m[detected, RIGHT] - ref_world[detected], axis=-1)
    camera = poses.intrinsics.matrix()
    joints = poses.joints_cam[present, RIGHT]
    projected = (joints @ camera.T)[..., :2] / joints[..., 2:]
    reprojection_px = np.linalg.norm(projected - poses.joints_2d[present, RIGHT], axis=-1)
    lifted = lift_to_camera(poses.joints_2d[detected, RIGHT], poses.world_m[detected, RIGHT], camera,
                            poses.settings.palm_length_m)
    to_lifted_m = np.linalg.norm(poses.joints_cam[detected, RIGHT] - lifted, axis=-1)
    world = poses.world_m[detected, RIGHT]
    palm_m = np.linalg.norm(world[:, MIDDLE_MCP] - world[:, WRIST], axis=-1)
    bone_cv = bone_lengths(world).std(axis=0) / bone_lengths(world).mean(axis=0)
    rest = poses.rest_pose_m[RIGHT]
    round_trip = forward_kinematics(inverse_kinematics(joints, rest), rest) - joints

    def wrist_z_mm(p, n: int) -> float:
        return _r(np.median(np.abs(np.diff(p.joints_cam[:, RIGHT, WRIST, 2], n=n))) * 1000, 2)

    return dict(
        frames=poses.num_frames, detected_right=int(detected.sum()), left_present=int(poses.mask[:, LEFT].sum()),
        tracks=len(set(poses.track_id[present, RIGHT].tolist())),
        error_2d_px_median_p95=_median_p95(error_px), error_world_mm_median_p95=_median_p95(error_m, 1000),
        reprojection_px_median_p95=_median_p95(reprojection_px),
        palm_px_median=_r(np.median(np.linalg.norm(
            poses.joints_2d[present, RIGHT, MIDDLE_MCP] - poses.joints_2d[present, RIGHT, WRIST], axis=-1)), 1),
        to_lifted_mm_median_p95=_median_p95(to_lifted_m, 1000),
        fk_round_trip_max_m=float(np.abs(round_trip).max()),
        fk_of_state_max_m=float(np.abs(forward_kinematics(poses.state[present, RIGHT], rest) - joints).max()),
        wrist_depth_diff1_mm_raw_smoothed=[wrist_z_mm(raw, 1), wrist_z_mm(poses, 1)],
        wrist_depth_diff2_mm_raw_smoothed=[wrist_z_mm(raw, 2), wrist_z_mm(poses, 2)],
        mediapipe_palm_m_median=_r(np.median(palm_m), 4), mediapipe_palm_cv=_r(palm_m.std() / palm_m.mean(), 3),
        mediapipe_bone_cv_min_max=[_r(bone_cv.min(), 3), _r(bone_cv.max(), 3)],
        confidence_over_half=_r((poses.confidence[poses.mask] > 0.5).mean(), 3),
    )


def hands_jpg(samples: Path, raw: dict) -> dict:
    image = samples / "tfjs" / "hands.jpg"
    expected = np.array(json.loads((samples / "tfjs" / "hands_jpg_expected_keypoints.json").read_text())["hands"])
    rgb = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)
    with HandDetector(HandPoseSettings(), mirrored=False) as detector:
        found = detector.detect(rgb)
    raw["hands_jpg_image"] = np.stack([hand.image_px for hand in found]) if found else np.zeros((0, 21, 2))
    raw["hands_jpg_world"] = np.stack([hand.world_m for hand in found]) if found else np.zeros((0, 21, 3))
    poses = extract_hand_poses(image)
    return dict(
        found=len(found), labels=[hand.mediapipe_label for hand in found],
        scores=[_r(hand.mediapipe_score, 4) for hand in found],
        max_abs_error_px_per_expected_hand=[
            _r(min(np.abs(hand.image_px - want).max() for hand in found), 2) if found else None for want in expected],
        pipeline_num_detected=poses.num_detected.tolist(), pipeline_mask=poses.mask.tolist(),
    )


def freihand(samples: Path) -> dict:
    data = json.loads((samples / "freihand" / "test_freihand.json").read_text())
    names = {image["id"]: image["file_name"] for image in data["images"]}
    per_image, errors, diagonals = {}, [], []
    for annotation in data["annotations"]:
        x, y, w, h = annotation["bbox"]
        name = names[annotation["image_id"]]
        keypoints = np.array(annotation["keypoints"], dtype=np.float64).reshape(21, 3)[:, :2]
        rgb = cv2.cvtColor(cv2.imread(str(samples / "freihand" / name)), cv2.COLOR_BGR2RGB)
        with HandDetector(HandPoseSettings(), mirrored=False) as detector:
            found = detector.detect(rgb)
        if not found:
            per_image[name] = None
            continue
        centre = np.array([x + w / 2, y + h / 2])
        hand = min(found, key=lambda hand: np.linalg.norm(hand.centroid_px - centre))
        error = np.linalg.norm(hand.image_px - keypoints, axis=1)
        diagonal = float(np.hypot(w, h))
        per_image[name] = dict(found=len(found), mean_px=_r(error.mean(), 2), relative=_r(error.mean() / diagonal),
                               right_prob=_r(hand.right_prob, 3))
        errors.append(error)
        diagonals.append(diagonal)
    errors_px = np.stack(errors)
    relative = errors_px / np.array(diagonals)[:, None]
    return dict(
        detected=len(errors), images=len(per_image), per_image=per_image,
        overall_mean_px=_r(errors_px.mean(), 2), overall_relative=_r(errors_px.mean() / np.mean(diagonals)),
        by_group_px={group: _r(errors_px[:, idx].mean(), 1) for group, idx in (
            ("pip_dip", FINGER_MIDDLE_JOINTS), ("tips", FINGERTIPS), ("wrist", [0]),
            ("finger_mcps", [5, 9, 13, 17]), ("thumb_cmc_ip", THUMB_CMC_TO_IP))},
        middle_vs_knuckles_relative=[_r(relative[:, FINGER_MIDDLE_JOINTS].mean()),
                                     _r(relative[:, WRIST_AND_KNUCKLES].mean())],
    )


class _ProbeCounter:
    """Counts TileFallback probes of every fallback built while active."""

    def __enter__(self) -> "_ProbeCounter":
        self.count, self._original = 0, TileFallback._probe

        def probe(fallback, rgb):
            self.count += 1
            return self._original(fallback, rgb)
        TileFallback._probe = probe
        return self

    def __exit__(self, *exc) -> None:
        TileFallback._probe = self._original


def clips(samples: Path) -> tuple[dict, dict]:
    out, poses_by_clip = {}, {}
    for name, relative in CLIPS.items():
        with _ProbeCounter() as probes:
            poses = extract_hand_poses(samples / relative)
        poses_by_clip[name] = poses
        out[name] = dict(frames=poses.num_frames, detected_left_right=poses.detected.sum(axis=0).tolist(),
                         num_detected_total=int(poses.num_detected.sum()), probes=probes.count,
                         any_hand_rate=_r(poses.detected.any(axis=1).mean(), 3))
    return out, poses_by_clip


def normalised(samples: Path) -> dict:
    """Tile-fallback probes on the clips as the pipeline stores them (re-encoded by normalise_clip), and the
    cooking clip there with the tracker alone vs the default."""
    from vitra_core.video import NormaliseSettings, normalise_clip

    with tempfile.TemporaryDirectory() as tmp:
        out = dict(probes={})
        for name in ("asl_hand", "hl_test_video", "cooking", "container_gif"):
            clip = Path(tmp) / f"{name}.mp4"
            normalise_clip(samples / CLIPS[name], clip, NormaliseSettings())
            with _ProbeCounter() as probes:
                extract_hand_poses(clip)
            out["probes"][name] = probes.count
        clip = Path(tmp) / "cooking.mp4"
        for name, settings in (("tracker_alone", HandPoseSettings(fallback_every_frames=0)),
                               ("default", HandPoseSettings())):
            poses = extract_hand_poses(clip, settings=settings)
            missed = np.flatnonzero(~poses.detected.any(axis=1))
            out[name] = dict(any_hand_rate=_r(poses.detected.any(axis=1).mean(), 3),
                             detected_left_right=poses.detected.sum(axis=0).tolist(),
                             frames_without_hand=missed.tolist()[:20])
    return out


def container_gif(samples: Path, poses) -> dict:
    tracker = extract_hand_poses(samples / CLIPS["container_gif"], settings=HandPoseSettings(fallback_every_frames=0))

    def regions(p) -> dict:
        width, height = p.intrinsics.width, p.intrinsics.height
        x_px, y_px = np.moveaxis(p.joints_2d.mean(axis=2), -1, 0)
        with np.errstate(invalid="ignore"):
            bottom_left = (x_px < width / 2) & (y_px > height / 2)
            top_right = (x_px >= width / 2) & (y_px <= height / 2)
        detected = p.mask & ~p.interpolated
        real = (bottom_left & detected).any(axis=1)
        return dict(
            real_hand_frames=int(real.sum()),
            real_hand_frames_with_interpolated=int((bottom_left & p.mask).any(axis=1).sum()),
            real_second_half=int(real[p.num_frames // 2:].sum()),
            real_first_last=[int(np.flatnonzero(real).min()), int(np.flatnonzero(real).max())] if real.any() else [],
            top_right_hand_frames=int((top_right & detected).sum()),
            elsewhere_hand_frames=int((~bottom_left & ~top_right & detected).sum()),
            slot_frames_left_right=p.mask.sum(axis=0).tolist(),
        )
    return dict(pipeline=regions(poses), tracker_alone=regions(tracker))


def _wrist_acceleration_m_s2(poses, hand: int) -> np.ndarray:
    track, wrist_m, t_s = poses.track_id[:, hand], poses.joints_cam[:, hand, WRIST], poses.timestamps_s
    mid = np.arange(1, poses.num_frames - 1)
    ok = (track[mid - 1] >= 0) & (track[mid - 1] == track[mid]) & (track[mid] == track[mid + 1])
    mid = mid[ok]
    dt_before, dt_after = t_s[mid] - t_s[mid - 1], t_s[mid + 1] - t_s[mid]
    velocity_before = (wrist_m[mid] - wrist_m[mid - 1]) / dt_before[:, None]
    velocity_after = (wrist_m[mid + 1] - wrist_m[mid]) / dt_after[:, None]
    return np.linalg.norm((velocity_after - velocity_before) / ((dt_before + dt_after) / 2)[:, None], axis=1)


def plausibility(poses_by_clip: dict) -> dict:
    out = {}
    for name in ("cooking", "container_gif"):
        poses = poses_by_clip[name]
        for hand, side in ((LEFT, "left"), (RIGHT, "right")):
            mask = poses.mask[:, hand]
            if not mask.any():
                continue
            per_frame = bone_lengths(poses.joints_cam[mask, hand])
            chain = per_frame[:, [8, 9, 10, 11]].sum(axis=1)
            depth = poses.joints_cam[mask, hand, :, 2]
            acceleration = _wrist_acceleration_m_s2(poses, hand)
            out[f"{name}_{side}"] = dict(
                present=int(mask.sum()), tracks=len(set(poses.track_id[mask, hand].tolist())),
                bone_over_time_max=float(np.abs(per_frame / np.median(per_frame, axis=0) - 1).max()),
                chain_cm_min_max=[_r(chain.min() * 100, 2), _r(chain.max() * 100, 2)],
                depth_m_min_max=[_r(depth.min(), 2), _r(depth.max(), 2)],
                wrist_accel_median_p95_max=[_r(np.median(acceleration), 1), _r(np.percentile(acceleration, 95), 1),
                                            _r(acceleration.max(), 1)] if len(acceleration) else [],
                accel_samples=len(acceleration),
            )
    return out


def lift3d(samples: Path) -> dict:
    """test_lift3d's scene at both image sizes and the doc's noise levels."""
    world_all = np.array(json.loads((samples / "tfjs" / "asl_hand_3d.full.json").read_text()))[::5]
    out = {}
    for width, height in ((640, 480), (620, 1080)):
        camera = resolve_intrinsics(width, height, None, 60.0).matrix()
        rng = np.random.default_rng(7)
        turns = Rotation.from_rotvec(rng.normal(0, 0.4, (len(world_all), 3))).as_matrix()
        positions = np.stack([rng.uniform(-0.1, 0.1, len(world_all)), rng.uniform(-0.1, 0.1, len(world_all)),
                              rng.uniform(0.3, 0.9, len(world_all))], axis=1)
        truth = np.einsum("nij,nkj->nki", turns, scale_to_palm_length(world_all, 0.09)) + positions[:, None]
        projected = (truth @ camera.T)[..., :2] / truth[..., 2:]
        for noise in (0.0, 0.5, 1.0, 2.0):
            noisy = projected + np.random.default_rng(3).normal(0, noise, projected.shape)
            error_m = np.linalg.norm(lift_to_camera(noisy, world_all, camera, 0.09) - truth, axis=-1)
            out[f"{width}x{height}_{noise}px"] = _median_p95(error_m, 1000)
    return out


def compare(old_path: Path, new_path: Path) -> dict:
    old, new = np.load(old_path), np.load(new_path)
    out = {}
    for key in sorted(set(old.files) & set(new.files)):
        a, b = old[key], new[key]
        if a.shape != b.shape:
            out[key] = f"shapes differ {a.shape} vs {b.shape}"
            continue
        in_a, in_b = (np.isfinite(x).all(axis=tuple(range(1, x.ndim))) for x in (a, b))
        both = in_a & in_b
        diff = np.linalg.norm(a[both] - b[both], axis=-1)
        out[key] = dict(both=int(both.sum()), detected_in_one_only=int((in_a != in_b).sum()),
                        max=float(diff.max()) if diff.size else None,
                        median=float(np.median(diff)) if diff.size else None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--save", type=Path, help="write the raw landmarks here (.npz)")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("OLD", "NEW"))
    args = parser.parse_args()
    if args.compare:
        print(json.dumps(compare(*args.compare), indent=1))
        return
    raw: dict = {}
    figures = dict(versions=dict(python=sys.version.split()[0], mediapipe=mp.__version__, numpy=np.__version__,
                                 opencv=cv2.__version__))
    figures["asl_modes"] = asl_modes(args.samples, raw)
    figures["asl_pipeline"] = asl_pipeline(args.samples)
    figures["hands_jpg"] = hands_jpg(args.samples, raw)
    figures["freihand"] = freihand(args.samples)
    figures["clips"], poses_by_clip = clips(args.samples)
    figures["normalised"] = normalised(args.samples)
    figures["container_gif"] = container_gif(args.samples, poses_by_clip["container_gif"])
    figures["plausibility"] = plausibility(poses_by_clip)
    figures["lift3d"] = lift3d(args.samples)
    if args.save:
        np.savez_compressed(args.save, **raw)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
