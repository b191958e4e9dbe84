"""Our dataset opened by the real, current LeRobot (0.6.1, format v3.0) in its own environment.

scripts/lerobot_env.sh builds (once, cached under ~/.cache/vitra/) a Python 3.12 venv with LeRobot; the
probe (tests/episodes/lerobot_probe.py) runs there, opens the dataset with `LeRobotDataset`, reads frames
through a DataLoader with action/state chunks, builds an ACT policy from the dataset's features and runs
one forward; this side compares what it saw with what our own reader gives for the same frames.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from vitra_core.episodes import EpisodeWindowDataset

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_SCRIPT = REPO_ROOT / "scripts" / "lerobot_env.sh"
PROBE = Path(__file__).with_name("lerobot_probe.py")
NO_PYTHON312 = 3  # lerobot_env.sh's exit code when the machine has no Python 3.12
HORIZON = 16
IMAGE_SHAPE = [3, 224, 224]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def lerobot_python() -> str:
    done = subprocess.run(["bash", str(ENV_SCRIPT)], capture_output=True, text=True, timeout=1700)
    if done.returncode == NO_PYTHON312:
        pytest.skip(f"no LeRobot environment on this platform: {done.stderr.strip()}")
    assert done.returncode == 0, f"scripts/lerobot_env.sh failed:\n{done.stderr[-4000:]}"
    return done.stdout.strip().splitlines()[-1]


def _probe_frames(ours: EpisodeWindowDataset) -> list[int]:
    """First, middle and last frame of every episode: the last ones have padded action chunks."""
    starts = np.concatenate([[0], np.cumsum(ours.lengths)])
    frames = {int(f) for start, length in zip(starts[:-1], ours.lengths)
              for f in (start, start + length // 2, start + length - 1)}
    return sorted(frames)


@pytest.fixture(scope="module")
def seen(incremental_build, lerobot_python, tmp_path_factory) -> dict:
    """What LeRobot sees in the dataset, and our reader over the same dataset."""
    root = incremental_build["root"]
    ours = EpisodeWindowDataset(root, chunk_size=HORIZON)
    frames = _probe_frames(ours)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "HF_HOME": str(tmp_path_factory.mktemp("hf_home")), "PYTHONPATH": ""}
    done = subprocess.run([lerobot_python, str(PROBE), str(root), "--frames", ",".join(map(str, frames)),
                           "--horizon", str(HORIZON)], capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, f"LeRobot could not read the dataset:\n{done.stderr[-4000:]}"
    return {"lerobot": json.loads(done.stdout.strip().splitlines()[-1]), "ours": ours, "frames": frames,
            "info": json.loads((root / "meta" / "info.json").read_text())}


def test_lerobot_opens_the_dataset_as_v30_with_our_counts(seen):
    lerobot, ours, info = seen["lerobot"], seen["ours"], seen["info"]
    assert lerobot["codebase_version"] == info["codebase_version"] == "v3.0"
    assert lerobot["len"] == lerobot["total_frames"] == len(ours) == info["total_frames"]
    assert lerobot["num_episodes"] == len(ours.episode_indices) == info["total_episodes"]
    assert [e["episode_index"] for e in lerobot["episodes"]] == ours.episode_indices
    assert [e["length"] for e in lerobot["episodes"]] == ours.lengths
    assert [e["tasks"] for e in lerobot["episodes"]] == [[ours.instructions[i]] for i in ours.episode_indices]
    assert lerobot["fps"] == ours.fps and lerobot["total_tasks"] == len(set(ours.instructions.values()))


def test_lerobot_decodes_every_frame_at_its_timestamp(seen):
    decoded = seen["lerobot"]["decoded_all"]
    assert decoded == {"frames": len(seen["ours"]), "index_is_row_number": True,
                       "episodes": len(seen["ours"].episode_indices)}


def test_every_feature_has_our_shape_in_lerobots_meta_and_batch(seen):
    lerobot, info = seen["lerobot"], seen["info"]
    ours = {key: {"dtype": ft["dtype"], "shape": list(ft["shape"])} for key, ft in info["features"].items()}
    assert lerobot["meta_features"] == ours
    assert ours["observation.state"] == ours["action"] == {"dtype": "float32", "shape": [104]}
    assert ours["observation.fov"] == {"dtype": "float32", "shape": [2]}
    batch = lerobot["batch"]
    size = batch["index"]["shape"][0]
    assert size == min(4, len(seen["frames"]))
    assert batch["observation.images.main"] == {"shape": [size, *IMAGE_SHAPE], "dtype": "float32"}
    assert batch["observation.state"] == {"shape": [size, HORIZON + 1, 104], "dtype": "float32"}
    assert batch["action"] == {"shape": [size, HORIZON, 104], "dtype": "float32"}
    assert batch["action_is_pad"] == {"shape": [size, HORIZON], "dtype": "bool"}
    assert batch["observation.fov"] == {"shape": [size, 2], "dtype": "float32"}
    item = lerobot["plain_item"]
    assert item["observation.state"]["shape"] == item["action"]["shape"] == [104]
    assert item["observation.images.main"]["shape"] == IMAGE_SHAPE and item["task"] == {"type": "str"}


def test_lerobots_frames_states_and_tasks_equal_ours(seen):
    ours = seen["ours"]
    assert [f["index"] for f in seen["lerobot"]["frames"]] == seen["frames"]
    for frame in seen["lerobot"]["frames"]:
        sample = ours[frame["index"]]
        assert (frame["episode_index"], frame["frame_index"]) == (sample["episode_index"], sample["frame_index"])
        assert frame["task"] == sample["instruction"]
        np.testing.assert_array_equal(np.float32(frame["state"]), sample["state"].numpy())
        np.testing.assert_array_equal(np.float32(frame["fov"]), sample["fov"].numpy())
        assert abs(frame["image_mean"] - sample["image"].float().mean().item() / 255) < 2 / 255


def test_lerobots_action_chunk_is_ours_and_the_next_sixteen_states(seen):
    ours = seen["ours"]
    for frame in seen["lerobot"]["frames"]:
        sample = ours[frame["index"]]
        action, pad = np.float32(frame["action"]), np.array(frame["action_is_pad"])
        np.testing.assert_array_equal(pad, sample["action_is_pad"].numpy())
        np.testing.assert_array_equal(action[~pad, :102], sample["actions"].numpy()[~pad])
        next_states, next_pad = np.float32(frame["next_states"]), np.array(frame["next_states_is_pad"])
        np.testing.assert_array_equal(action[~next_pad], next_states[~next_pad])  # action at t+k = state at t+k+1
        # The last frame's own action row is inside the episode, so its pad starts one step after the states'.
        assert frame["action_is_pad"] == [False] + frame["next_states_is_pad"][:-1]
    assert any(any(f["action_is_pad"]) for f in seen["lerobot"]["frames"])


def test_a_lerobot_policy_is_built_from_the_dataset_features_and_trains_a_step(seen):
    policy = seen["lerobot"]["policy"]
    assert policy["input_features"] == {"observation.state": [104], "observation.fov": [2],
                                        "observation.images.main": IMAGE_SHAPE}
    assert policy["output_features"] == {"action": [104]}
    assert policy["visual_inputs"] == ["observation.images.main"]
    assert policy["finite"] and policy["loss"] > 0
