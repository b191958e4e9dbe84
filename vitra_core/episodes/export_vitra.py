"""Export the dataset as VITRA-style per-episode metadata: one `<dataset>_<video>_ep_<NNNNNN>.npy` per episode.

Each file is `np.save` of a dict (VITRA's data/data.md layout), so reading it needs
`np.load(path, allow_pickle=True).item()`: that is VITRA's format, meant for VITRA's tools; our own
code only writes these files and never unpickles them. World space and extrinsics come from the
camera poses stored per frame; fields we cannot fill (no MANO fit) or fill only partly are listed in
UNFILLED_FIELDS and docs/episodes.md.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from vitra_core.camera.rotation import rotation_angle_deg
from vitra_core.episodes.anchor import unpack_poses
from vitra_core.episodes.lerobot_format import CAMERA_KEY, STATE_KEY
from vitra_core.episodes.meta import DatasetMeta
from vitra_core.episodes.reader import read_source_rows, rest_pose, slice_episode
from vitra_core.episodes.state_layout import HAND_SIDES, unpack_state
from vitra_core.fsutil import write_bytes_atomic
from vitra_core.hands.kinematics import euler_to_matrix, forward_kinematics
from vitra_core.hands.skeleton import NUM_LANDMARKS
from vitra_core.video.intrinsics import Intrinsics

UNFILLED_FIELDS = {
    "extrinsics": "world-to-camera from the camera-motion stage (world = the video's first camera); translation "
                  "zero unless the camera motion was metric",
    "total_transl_dist": "0.0 unless the camera motion was metric (a unit-scale translation is not metres)",
    "video_clip_id_segment": "[]: deprecated in VITRA",
    "beta": "zeros(10): no MANO shape fit (our skeleton is each hand's own rest pose)",
    "wrist": "deprecated in VITRA; we store the wrist position [T, 3] (camera metres)",
    "max_translation_movement": "None: deprecated in VITRA",
    "max_wrist_rotation_movement": "None: deprecated in VITRA",
    "max_finger_joint_angle_movement": "None: deprecated in VITRA",
}


def _hand_entry(states: np.ndarray, present: np.ndarray, rest_pose: np.ndarray | None, rotation: np.ndarray,
                translation: np.ndarray) -> dict:
    """VITRA's per-hand dict from [T, 51] states and [T] presence (absent frames: identity / zeros); world
    space through each frame's camera pose (rotation [T, 3, 3], translation [T, 3], camera to world)."""
    length = len(states)
    joints = np.zeros((length, NUM_LANDMARKS, 3))
    if rest_pose is not None and present.any():
        joints[present] = forward_kinematics(states[present], rest_pose)
    orient = euler_to_matrix(states[:, 3:6])
    keep = present.reshape(length, 1, 1)
    return {
        "beta": np.zeros(10),
        "global_orient_camspace": orient,
        "global_orient_worldspace": np.where(keep, rotation @ orient, orient),
        "hand_pose": euler_to_matrix(states[:, 6:].reshape(length, 15, 3)),
        "transl_camspace": states[:, :3].copy(),
        "transl_worldspace": np.where(present[:, None], np.einsum("tij,tj->ti", rotation, states[:, :3]) + translation, 0.0),
        "kept_frames": present.astype(int).tolist(),
        "joints_camspace": joints,
        "joints_worldspace": np.where(keep, np.einsum("tij,tnj->tni", rotation, joints) + translation[:, None], 0.0),
        "wrist": joints[:, 0].copy(),
        "max_translation_movement": None,
        "max_wrist_rotation_movement": None,
        "max_finger_joint_angle_movement": None,
    }


def _avg_speed(translation: np.ndarray, present: np.ndarray) -> float:
    """Mean wrist movement per frame (metres) over consecutive frames where the hand is present."""
    both = present[1:] & present[:-1]
    if not both.any():
        return 0.0
    return float(np.linalg.norm(np.diff(translation, axis=0), axis=1)[both].mean())


def episode_info(row: dict, record: dict, table: dict[str, np.ndarray]) -> dict:
    """The VITRA metadata dict of one episode (see data/data.md of VITRA): `row` its DatasetMeta.episodes
    entry, `record` its source's record, `table` its rows."""
    hands, mask = unpack_state(table[STATE_KEY].astype(np.float64))
    length = len(hands)
    last = length - 1
    text = {side: [] for side in HAND_SIDES}
    rephrase = {side: [] for side in HAND_SIDES}
    text[row["hand"]].append((row["instruction"], (0, last)))  # VITRA's intervals are inclusive
    rephrase[row["hand"]].append((list(row["rephrasings"]), (0, last)))
    lead = HAND_SIDES.index(row["hand"])
    rotation, translation = unpack_poses(table[CAMERA_KEY])
    extrinsics = np.tile(np.eye(4), (length, 1, 1))
    extrinsics[:, :3, :3] = rotation.transpose(0, 2, 1)
    extrinsics[:, :3, 3] = -np.einsum("tji,tj->ti", rotation, translation)
    steps = np.einsum("tji,tjk->tik", rotation[:-1], rotation[1:])  # each frame's rotation from the previous one
    step_deg = rotation_angle_deg(steps)
    info = {
        "video_clip_id_segment": [],
        "extrinsics": extrinsics,
        "intrinsics": Intrinsics.model_validate(record["intrinsics"]).matrix(),
        "video_decode_frame": list(range(row["start_frame"], row["end_frame"])),
        "video_name": row["video_id"],
        "avg_speed": _avg_speed(hands[:, lead, :3], mask[:, lead]),
        "total_rotvec_degree": float(step_deg.sum()),
        "total_transl_dist": float(np.linalg.norm(np.diff(translation, axis=0), axis=1).sum()),
        "anno_type": row["hand"],
        "text": text,
        "text_rephrase": rephrase,
    }
    skeletons = rest_pose(record)
    for hand, side in enumerate(HAND_SIDES):
        skeleton = skeletons[hand] if np.isfinite(skeletons[hand]).all() else None
        info[side] = _hand_entry(hands[:, hand], mask[:, hand], skeleton, rotation, translation)
    return info


def export_vitra_npy(dataset_dir: Path | str, out_dir: Path | str, dataset_name: str = "vitraops") -> list[Path]:
    """Write one VITRA-style .npy per episode into `out_dir`; returns the paths (episode order).

    File name: `{dataset_name}_{video_id}_ep_{n:06d}.npy`, n = the episode's position in its video.
    """
    root, out_dir = Path(dataset_dir), Path(out_dir)
    meta = DatasetMeta.load(root)
    episodes = meta.episodes
    written, rows_of = [], {}
    for episode_index in sorted(episodes):
        row = episodes[episode_index]
        if row["video_id"] not in rows_of:  # episodes come in source order: keep only the current source
            rows_of = {row["video_id"]: read_source_rows(root, meta, row["video_id"])}
        target = out_dir / f"{dataset_name}_{row['video_id']}_ep_{row['span_index']:06d}.npy"
        buffer = io.BytesIO()
        info = episode_info(row, meta.videos[row["video_id"]], slice_episode(rows_of[row["video_id"]], row))
        np.save(buffer, info, allow_pickle=True)
        write_bytes_atomic(target, buffer.getvalue())
        written.append(target)
    return written
