"""A sidecar's intrinsics on a quarter-turned video (display matrix, as phones record portrait) are turned with
the picture, not stretched onto the displayed size (issue 18)."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from vitra_core.layout import DataLayout
from vitra_core.video.ingest import ingest_file
from vitra_core.video.normalise import NormaliseSettings
from vitra_core.video.probe import probe_video
from vitra_core.video.raw_clip import build_raw_clip

SOURCE = "lavila/ego4d_3c0dffd0_012_014.mp4"  # stored 384 x 288
# Calibrated on the stored (sensor) frame: an off-centre principal point and unequal focal lengths, so every
# swap and flip shows in the result.
SENSOR_SIDECAR = {"fx": 300.0, "fy": 310.0, "cx": 180.0, "cy": 130.0, "width": 384, "height": 288}
# ... turned with the picture: fx <-> fy, and the centre moves: after 90 degrees counterclockwise a stored
# (x, y) is shown at (y, 384 - x); after 270 at (288 - y, x)
SENSOR_ROTATED = {90: (310.0, 300.0, 130.0, 204.0), 270: (310.0, 300.0, 158.0, 180.0)}


@pytest.fixture(scope="module", params=[90, 270])
def rotated_clip(request, shared_data, tmp_path_factory):
    """The real clip with a display matrix added by stream copy (the stored frames are unchanged)."""
    out = tmp_path_factory.mktemp("rotated") / f"portrait_{request.param}.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(shared_data / SOURCE), "-c", "copy",
                    "-metadata:s:v", f"rotate={request.param}", str(out)], check=True)
    return out


def first_frame_gray(path) -> np.ndarray:
    """The first frame as a player shows it (ffmpeg applies the display matrix), grey levels [H, W]."""
    probe = probe_video(path)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt",
                          "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(probe.height, probe.width)


def test_the_probed_rotation_is_the_counterclockwise_turn_a_player_applies(rotated_clip, shared_data):
    probe = probe_video(rotated_clip)
    assert (probe.width, probe.height) == (288, 384) and probe.rotation_deg in (90, 270)
    shown, stored = first_frame_gray(rotated_clip), first_frame_gray(shared_data / SOURCE)
    np.testing.assert_array_equal(shown, np.rot90(stored, probe.rotation_deg // 90))


@pytest.mark.parametrize("sidecar, expected_by_rotation", [
    # sensor-frame numbers (landscape size on a portrait video) are turned
    (SENSOR_SIDECAR, SENSOR_ROTATED),
    # numbers stated for the displayed portrait frame are taken as they are
    ({"fx": 310.0, "fy": 300.0, "cx": 130.0, "cy": 204.0, "width": 288, "height": 384},
     {90: (310.0, 300.0, 130.0, 204.0), 270: (310.0, 300.0, 130.0, 204.0)}),
], ids=["sensor-frame", "display-frame"])
def test_sidecar_intrinsics_on_a_rotated_video_are_rotated_not_stretched(rotated_clip, tmp_path, sidecar,
                                                                        expected_by_rotation):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    clip = inbox / rotated_clip.name
    shutil.copy(rotated_clip, clip)
    clip.with_suffix(".json").write_text(json.dumps(sidecar))
    layout = DataLayout(tmp_path / "data")
    outcome = ingest_file(clip, layout)
    assert outcome.status == "new", outcome.reason

    meta = build_raw_clip(layout, outcome.video_id, NormaliseSettings(), default_fov_deg=60.0)
    intrinsics = meta.intrinsics
    assert (meta.clip.width, meta.clip.height) == (intrinsics.width, intrinsics.height) == (288, 384)
    assert intrinsics.source == "sidecar_pinhole"
    expected = expected_by_rotation[meta.source.rotation_deg]
    assert (intrinsics.fx, intrinsics.fy, intrinsics.cx, intrinsics.cy) == pytest.approx(expected)


@pytest.fixture(scope="module")
def ad_hoc_rotated_clip(rotated_clip, tmp_path_factory):
    """The rotated clip outside the store with a sensor-frame sidecar beside it, as a user runs a stage on it."""
    clip = tmp_path_factory.mktemp("ad_hoc") / rotated_clip.name
    shutil.copy(rotated_clip, clip)
    clip.with_suffix(".json").write_text(json.dumps(SENSOR_SIDECAR))
    return clip


def test_camera_motion_of_an_ad_hoc_rotated_video_turns_its_sidecar_intrinsics(ad_hoc_rotated_clip):
    from vitra_core.camera.motion import estimate_camera_motion

    motion = estimate_camera_motion(ad_hoc_rotated_clip)
    fx, fy, cx, cy = SENSOR_ROTATED[probe_video(ad_hoc_rotated_clip).rotation_deg]
    assert (motion.width, motion.height, motion.fov_source) == (288, 384, "sidecar")
    assert (motion.focal_px, motion.cx, motion.cy) == pytest.approx(((fx + fy) / 2, cx, cy))


def test_hand_poses_of_an_ad_hoc_rotated_video_use_its_turned_sidecar_intrinsics(ad_hoc_rotated_clip):
    from vitra_core.hands.extract import extract_hand_poses

    camera = extract_hand_poses(ad_hoc_rotated_clip).intrinsics
    expected = SENSOR_ROTATED[probe_video(ad_hoc_rotated_clip).rotation_deg]
    assert (camera.width, camera.height, camera.source) == (288, 384, "sidecar_pinhole")
    assert (camera.fx, camera.fy, camera.cx, camera.cy) == pytest.approx(expected)
