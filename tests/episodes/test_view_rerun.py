"""The Rerun view of an episode, checked without screenshots: the .rrd is read back with Rerun's SDK."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from rerun.chunk import RrdReader

from vitra_assets.cli import main
from vitra_core.episodes import DatasetMeta
from vitra_core.episodes.state_layout import HAND_SIDES, STATE_NAMES, unpack_state
from vitra_core.episodes.view_rerun import EpisodeViewError, episode_arrays, focal_length_px, write_episode_rrd
from vitra_core.hands.kinematics import forward_kinematics


def read_rrd(path: Path) -> dict[str, pa.Table]:
    """Every entity of the file's recording -> its rows (all chunks), temporal rows sorted by frame."""
    chunks: dict[str, list[pa.Table]] = {}
    for chunk in RrdReader(path).stream():
        chunks.setdefault(chunk.entity_path, []).append(pa.Table.from_batches([chunk.to_record_batch()]))
    tables = {}
    for entity, parts in chunks.items():
        table = pa.concat_tables(parts, promote_options="default")
        tables[entity] = table.sort_by("frame") if "frame" in table.column_names else table
    return tables


def first(table: pa.Table, column: str):
    """The value in the first row of a component column (each cell is a batch: take its one element)."""
    return table[column][0].as_py()[0]


def frames_of(table: pa.Table, column: str) -> np.ndarray:
    """Frame indices of the rows that hold `column`."""
    return np.asarray(table.filter(pa.compute.is_valid(table[column]))["frame"].to_numpy())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def mixed_episode(incremental_build) -> tuple[Path, int]:
    """An episode of the built dataset in which some hand is present in some frames and absent in others."""
    root = incremental_build["root"]
    meta = DatasetMeta.load(root)
    for index in sorted(meta.episodes):
        mask = unpack_state(episode_arrays(root, index)["state"])[1]
        if (mask.any(axis=0) & ~mask.all(axis=0)).any():
            return root, index
    pytest.fail("no episode with a hand both present and absent")


def test_rrd_holds_frames_instruction_skeletons_and_named_state_channels(mixed_episode, tmp_path):
    root, index = mixed_episode
    arrays = episode_arrays(root, index)
    path = write_episode_rrd(tmp_path / "episode.rrd", **arrays)
    rows = read_rrd(path)
    state, length = arrays["state"], len(arrays["state"])
    hands, mask = unpack_state(state.astype(np.float64))

    image = rows["/world/camera/image"]
    assert frames_of(image, "EncodedImage:blob").tolist() == list(range(length))
    decoded = cv2.imdecode(np.frombuffer(bytes(first(image, "EncodedImage:blob")), np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(decoded[..., ::-1].astype(int) - arrays["frames_rgb"][0]).mean() < 3  # JPEG of frame 0

    pinhole = rows["/world/camera"]
    height, width = arrays["frames_rgb"].shape[1:3]
    assert first(pinhole, "Pinhole:resolution") == [width, height]
    focal = first(pinhole, "Pinhole:image_from_camera")[0]  # column-major 3x3: fx first
    assert focal == pytest.approx(focal_length_px(arrays["fov_deg"], width, height), rel=1e-6)
    assert "Pinhole:camera_xyz" in pinhole.column_names and "ViewCoordinates:xyz" in rows["/world"].column_names

    assert arrays["instruction"] in first(rows["/instruction"], "TextDocument:text")

    for hand, side in enumerate(HAND_SIDES):
        rest = arrays["rest_pose_m"][hand]
        present = np.flatnonzero(mask[:, hand])
        if not len(present):
            assert f"/world/hands/{side}/joints" not in rows
            continue
        joints = rows[f"/world/hands/{side}/joints"]
        assert frames_of(joints, "Points3D:positions").tolist() == present.tolist()
        assert frames_of(rows[f"/world/hands/{side}/bones"], "LineStrips3D:strips").tolist() == present.tolist()
        hand_rows = rows.get(f"/world/hands/{side}")  # only Clears land on the hand itself
        cleared = frames_of(hand_rows, "Clear:is_recursive") if hand_rows is not None else np.array([], int)
        assert sorted(cleared.tolist() + present.tolist()) == list(range(length))
        for row in (0, len(present) - 1):
            logged = np.asarray(joints["Points3D:positions"][row].as_py())
            expected = forward_kinematics(hands[present[row], hand], rest)
            np.testing.assert_allclose(logged, expected, atol=1e-6)

    for column, name in enumerate(STATE_NAMES):
        entity = "/state/" + name.replace(".", "/")
        is_mask = name.endswith(".present")
        wanted = np.arange(length) if is_mask else np.flatnonzero(mask[:, HAND_SIDES.index(name.split(".")[0])])
        if not len(wanted):
            assert entity not in rows
            continue
        table = rows[entity]
        assert frames_of(table, "Scalars:scalars").tolist() == wanted.tolist(), name
        values = np.array([v[0] for v in table["Scalars:scalars"].to_pylist()])
        np.testing.assert_allclose(values, state[wanted, column], rtol=0, atol=0)


def test_absent_hand_is_cleared_and_a_hand_without_skeleton_is_never_drawn(tmp_path):
    length = 4
    state = np.zeros((length, 104), np.float32)
    state[:, 2] = state[:, 53] = 0.5  # both wrists half a metre in front of the camera
    state[:, 102] = [1, 0, 1, 0]  # left present on even frames
    state[:, 103] = 1  # right always present but has no skeleton
    rest = np.full((2, 21, 3), np.nan)
    rest[0] = np.random.default_rng(0).uniform(-0.05, 0.05, (21, 3))
    path = write_episode_rrd(tmp_path / "synthetic.rrd", frames_rgb=np.zeros((length, 8, 8, 3), np.uint8),
                             state=state, action=state, instruction="Wave.", fps=10.0, rest_pose_m=rest,
                             fov_deg=(60.0, 60.0), episode_index=7, video_id="synthetic", jpeg_quality=None)
    rows = read_rrd(path)
    assert frames_of(rows["/world/hands/left/joints"], "Points3D:positions").tolist() == [0, 2]
    assert frames_of(rows["/world/hands/left"], "Clear:is_recursive").tolist() == [1, 3]
    assert "/world/hands/right/joints" not in rows
    assert frames_of(rows["/action/left/wrist_tz_m"], "Scalars:scalars").tolist() == [0, 2]
    time_s = rows["/state/left/present"]["time"].to_numpy().astype("timedelta64[ns]").astype(np.int64) / 1e9
    np.testing.assert_allclose(time_s, [0.0, 0.1, 0.2, 0.3])
    assert rows["/world/camera/image"].num_rows == length


def test_state_of_the_wrong_width_is_refused_naming_its_shape(tmp_path):
    with pytest.raises(EpisodeViewError, match=r"state: shape \(2, 102\)"):
        write_episode_rrd(tmp_path / "bad.rrd", frames_rgb=np.zeros((2, 8, 8, 3), np.uint8),
                          state=np.zeros((2, 102), np.float32), action=None, instruction="", fps=30.0,
                          rest_pose_m=np.full((2, 21, 3), np.nan), fov_deg=(60.0, 45.0), episode_index=0,
                          video_id="v")


def test_focal_length_fits_a_letterboxed_picture_along_its_long_side():
    fov_x = 70.0
    fov_y = math.degrees(2 * math.atan(math.tan(math.radians(fov_x) / 2) * 9 / 16))  # a 16:9 picture
    assert focal_length_px((fov_x, fov_y), 224, 224) == pytest.approx(112 / math.tan(math.radians(fov_x) / 2))


def test_cli_writes_the_rrd_and_says_how_to_open_it(incremental_build, tmp_path):
    root = incremental_build["root"]
    index = min(DatasetMeta.load(root).episodes)
    out = tmp_path / "view" / "episode.rrd"
    result = CliRunner().invoke(main, ["episodes", "view", str(index), "--root", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"rerun {out}" in result.output
    assert "/world/camera/image" in read_rrd(out)

    missing = CliRunner().invoke(main, ["episodes", "view", "999999", "--root", str(root)])
    assert missing.exit_code != 0 and "no episode 999999" in missing.output


def test_cli_serves_the_web_viewer_headless(incremental_build):
    root = incremental_build["root"]
    index = min(DatasetMeta.load(root).episodes)
    web_port, grpc_port = free_port(), free_port()
    command = [sys.executable, "-c", "from vitra_assets.cli import main; main()", "episodes", "view", str(index),
               "--root", str(root), "--serve", "--port", str(web_port), "--grpc-port", str(grpc_port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith(f"Rerun web viewer: http://localhost:{web_port}/?url="), line
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=5) as response:
                    assert response.status == 200 and b"<html" in response.read().lower()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert process.poll() is None  # still serving
    finally:  # shutting the servers down is not what this checks: drain the pipe, then make sure it is gone
        process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
