"""One episode as a Rerun recording: frames, instruction, both hands' 3D skeletons and named state channels.

`log_episode` works on plain arrays, whatever storage they came from; `episode_arrays` is the one place
that reads them from a dataset. Entities (timelines `frame`, the episode's frame index, and `time`, s):
  world                      the anchor camera's frame: view coordinates RDF (x right, y down, z forward)
  world/camera               Pinhole from the fov (square pixels, principal point at the image centre)
  world/camera/image         the frames (under the pinhole, so the 3D skeletons project onto them)
  world/hands/<side>/joints  Points3D [21] by forward kinematics on the video's skeleton; bones: LineStrips3D [20]
  instruction                TextDocument (static): the instruction and which episode this is
  state/<side>/<channel>     Scalars, one per STATE_NAMES entry (`left.wrist_tx_m`); action/... likewise
An absent hand (mask 0) is cleared at that frame, and its state channels have no point there.
"""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vitra_core.episodes.state_layout import HAND_SIDES, MASK_SLICE, STATE_DIM, STATE_NAMES, unpack_state
from vitra_core.errors import VitraError
from vitra_core.hands.kinematics import forward_kinematics
from vitra_core.hands.skeleton import BONES, NUM_HANDS, NUM_LANDMARKS, STATE_SIZE

if TYPE_CHECKING:
    import rerun as rr

APPLICATION_ID = "vitra_episode"
CAMERA = "world/camera"
IMAGE = "world/camera/image"
INSTRUCTION = "instruction"
HAND_COLOURS = {"left": (66, 135, 245), "right": (245, 120, 66)}  # RGB
JOINT_RADIUS_M = 0.004
BONE_RADIUS_M = 0.002


class EpisodeViewError(VitraError, ValueError):
    """Arrays handed to `log_episode` do not have the shapes of one episode."""


def hand_entity(side: str) -> str:
    return f"world/hands/{side}"


def channel_entity(prefix: str, name: str) -> str:
    """`state`, `left.wrist_tx_m` (a STATE_NAMES entry) -> `state/left/wrist_tx_m`."""
    return f"{prefix}/{name.replace('.', '/')}"


def focal_length_px(fov_deg: tuple[float, float], width: int, height: int) -> float:
    """Focal length (px) of square pixels whose picture, centred, just fits a width x height frame.

    The dataset's frames are letterboxed: the fov describes the picture, which fills the frame along one
    axis only; that axis gives the smaller of the two candidate focal lengths.
    """
    fov_x, fov_y = (math.radians(a) for a in fov_deg)
    return min(width / (2 * math.tan(fov_x / 2)), height / (2 * math.tan(fov_y / 2)))


def _check(frames_rgb: np.ndarray, state: np.ndarray, action: np.ndarray | None, rest_pose_m: np.ndarray) -> None:
    length = len(state)
    if state.ndim != 2 or state.shape[1] != STATE_DIM:
        raise EpisodeViewError(f"state: shape {state.shape}, expected [T, {STATE_DIM}]")
    if frames_rgb.ndim != 4 or frames_rgb.shape[::3] != (length, 3) or frames_rgb.dtype != np.uint8:
        raise EpisodeViewError(f"frames_rgb: shape {frames_rgb.shape} {frames_rgb.dtype}, "
                               f"expected [{length}, H, W, 3] uint8")
    if action is not None and action.shape != state.shape:
        raise EpisodeViewError(f"action: shape {action.shape}, expected {state.shape} (the state layout)")
    if rest_pose_m.shape != (NUM_HANDS, NUM_LANDMARKS, 3):
        raise EpisodeViewError(f"rest_pose_m: shape {rest_pose_m.shape}, expected [{NUM_HANDS}, {NUM_LANDMARKS}, 3]")


def _log_channels(recording: rr.RecordingStream, prefix: str, values: np.ndarray, mask: np.ndarray,
                  fps: float) -> None:
    """One Scalars entity per column of [T, 104] `values`; a hand's columns only where `mask` [T, 2] has it."""
    import rerun as rr

    frames = np.arange(len(values))
    for column, name in enumerate(STATE_NAMES):
        rows = frames if column >= MASK_SLICE.start else frames[mask[:, column // STATE_SIZE]]
        if len(rows) == 0:
            continue
        recording.send_columns(
            channel_entity(prefix, name),
            indexes=[rr.TimeColumn("frame", sequence=rows), rr.TimeColumn("time", duration=rows / fps)],
            columns=rr.Scalars.columns(scalars=values[rows, column].astype(np.float64)),
        )


def log_episode(recording: rr.RecordingStream, *, frames_rgb: np.ndarray, state: np.ndarray,
                action: np.ndarray | None, instruction: str, fps: float, rest_pose_m: np.ndarray,
                fov_deg: tuple[float, float], episode_index: int, video_id: str,
                jpeg_quality: int | None = 90) -> None:
    """Log one episode into `recording` (entities in the module docstring).

    frames_rgb [T, H, W, 3] uint8; state [T, 104] (docs/episodes.md); action [T, 104] or None; rest_pose_m
    [2, 21, 3] each hand's skeleton (NaN for a hand never seen: it is not drawn); fov_deg (x, y) of the
    picture. Frames are stored as JPEG of `jpeg_quality` (None: raw pixels).
    """
    import rerun as rr

    frames_rgb, state = np.asarray(frames_rgb), np.asarray(state)
    action = None if action is None else np.asarray(action)
    rest_pose_m = np.asarray(rest_pose_m, dtype=np.float64)
    _check(frames_rgb, state, action, rest_pose_m)
    height, width = frames_rgb.shape[1:3]
    hands, mask = unpack_state(state.astype(np.float64))
    skeletons = [rest if np.isfinite(rest).all() else None for rest in rest_pose_m]

    recording.send_recording_name(f"episode {episode_index} ({video_id})")
    recording.log("world", rr.ViewCoordinates.RDF, static=True)
    recording.log(CAMERA, rr.Pinhole(focal_length=focal_length_px(fov_deg, width, height), width=width,
                                     height=height, camera_xyz=rr.ViewCoordinates.RDF), static=True)
    recording.log(INSTRUCTION, rr.TextDocument(
        f"**{instruction}**\n\nepisode {episode_index}, video `{video_id}`, {len(state)} frames at {fps:g} fps",
        media_type=rr.MediaType.MARKDOWN), static=True)

    for t, rgb in enumerate(frames_rgb):
        recording.set_time("frame", sequence=t)
        recording.set_time("time", duration=t / fps)
        image = rr.Image(rgb)
        recording.log(IMAGE, image if jpeg_quality is None else image.compress(jpeg_quality=jpeg_quality))
        for hand, side in enumerate(HAND_SIDES):
            if not mask[t, hand] or skeletons[hand] is None:
                recording.log(hand_entity(side), rr.Clear(recursive=True))
                continue
            joints = forward_kinematics(hands[t, hand], skeletons[hand])  # [21, 3] camera metres
            colour = HAND_COLOURS[side]
            recording.log(f"{hand_entity(side)}/joints",
                          rr.Points3D(joints, colors=colour, radii=JOINT_RADIUS_M))
            recording.log(f"{hand_entity(side)}/bones",
                          rr.LineStrips3D(joints[BONES], colors=colour, radii=BONE_RADIUS_M))

    _log_channels(recording, "state", state, mask, fps)
    if action is not None:
        _log_channels(recording, "action", action, unpack_state(action)[1], fps)


def episode_blueprint():
    """The default layout: the frame with projected skeletons, the 3D scene, instruction, wrist and mask plots."""
    import rerun.blueprint as rrb

    def channels(kind: str) -> list[str]:
        return [f"/state/{side}/wrist_{kind}{a}_{'m' if kind == 't' else 'rad'}" for side in HAND_SIDES for a in "xyz"]

    return rrb.Blueprint(rrb.Horizontal(
        rrb.Vertical(
            rrb.Spatial2DView(name="frame", origin=IMAGE, contents=["$origin/**", "/world/hands/**"]),
            rrb.Spatial3DView(name="camera space", origin="world"),
        ),
        rrb.Vertical(
            rrb.TextDocumentView(name="instruction", origin=INSTRUCTION),
            rrb.TimeSeriesView(name="wrist translation (m)", origin="/state", contents=channels("t")),
            rrb.TimeSeriesView(name="wrist rotation (rad)", origin="/state", contents=channels("r")),
            rrb.TimeSeriesView(name="hand present", origin="/state",
                               contents=[f"/state/{side}/present" for side in HAND_SIDES]),
            row_shares=[1, 2, 2, 1],
        ),
    ))


def new_recording() -> rr.RecordingStream:
    """A recording of its own (a fresh id: the viewer would merge two files sharing one)."""
    import rerun as rr

    return rr.RecordingStream(APPLICATION_ID, recording_id=uuid.uuid4())


def write_episode_rrd(path: Path | str, **episode: Any) -> Path:
    """Write one episode (the keyword arguments of `log_episode`) as a Rerun .rrd file; returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recording = new_recording()
    recording.save(path, default_blueprint=episode_blueprint())
    try:
        log_episode(recording, **episode)
        recording.flush()
    finally:
        recording.disconnect()
    return path


def serve_episode(*, web_port: int = 9090, grpc_port: int = 9876, **episode: Any) -> tuple[rr.RecordingStream, str]:
    """Serve one episode to Rerun's web viewer (no browser is opened); returns the recording and the viewer URL.

    The servers live as long as the returned recording: keep it, and the process, running.
    """
    import urllib.parse

    import rerun as rr

    recording = new_recording()
    grpc_url = recording.serve_grpc(grpc_port=grpc_port, default_blueprint=episode_blueprint())
    rr.serve_web_viewer(web_port=web_port, open_browser=False, connect_to=grpc_url)
    log_episode(recording, **episode)
    recording.flush()
    return recording, f"http://localhost:{web_port}/?url={urllib.parse.quote(grpc_url, safe='')}"


def episode_arrays(root: Path | str, episode_index: int) -> dict[str, Any]:
    """The keyword arguments of `log_episode` for one episode of the dataset at `root` (the only function
    here that knows the storage)."""
    from vitra_core.episodes.reader import read_episode

    episode = read_episode(root, episode_index)
    return {
        "frames_rgb": episode.frames, "state": episode.state, "action": episode.action,
        "instruction": episode.instruction, "fps": float(episode.fps), "rest_pose_m": episode.rest_pose_m,
        "fov_deg": tuple(float(a) for a in episode.fov_deg[0]), "episode_index": episode_index,
        "video_id": episode.row["video_id"],
    }
