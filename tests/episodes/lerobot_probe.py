"""Open a dataset with the real LeRobot as a user would, and print what it sees as one JSON object.

Runs inside the LeRobot environment of scripts/lerobot_env.sh (not the project venv), offline:
    <lerobot python> tests/episodes/lerobot_probe.py DATASET_ROOT [--frames 0,5,29] [--horizon 16]
It opens `LeRobotDataset(repo_id="local/vitra", root=DATASET_ROOT)` with delta_timestamps for `action`
(the next `horizon` steps) and `observation.state` (now and the next `horizon`), reads the requested frames
through a torch DataLoader (batch_size 4, num_workers 0), decodes every frame once, builds an ACT policy
(tiny, CPU, no pretrained weights) from the dataset's features and stats with LeRobot's own factories, and
runs one training forward.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch  # noqa: E402
from lerobot.configs.types import FeatureType  # noqa: E402
from lerobot.datasets.lerobot_dataset import LeRobotDataset  # noqa: E402
from lerobot.policies.act.configuration_act import ACTConfig  # noqa: E402
from lerobot.policies.factory import make_policy, make_pre_post_processors  # noqa: E402
from lerobot.utils.feature_utils import dataset_to_policy_features  # noqa: E402

BATCH_SIZE = 4


def _spec(value) -> dict:
    if isinstance(value, torch.Tensor):
        return {"shape": list(value.shape), "dtype": str(value.dtype).removeprefix("torch.")}
    return {"type": type(value).__name__}


def _episodes(ds: LeRobotDataset) -> list[dict]:
    columns = ["episode_index", "length", "tasks", "dataset_from_index", "dataset_to_index"]
    return [{name: row[name] for name in columns} for row in ds.meta.episodes]


def _frames(batch: dict, horizon: int) -> list[dict]:
    """Per frame of a batch: identity, current state, the next states and the action chunk with their pads."""
    frames = []
    for i in range(len(batch["index"])):
        states = batch["observation.state"][i]  # (1 + horizon, 104): now, then the next `horizon`
        frames.append({
            "index": int(batch["index"][i]), "episode_index": int(batch["episode_index"][i]),
            "frame_index": int(batch["frame_index"][i]), "task": batch["task"][i],
            "state": states[0].tolist(), "next_states": states[1:].tolist(),
            "next_states_is_pad": batch["observation.state_is_pad"][i][1:].tolist(),
            "action": batch["action"][i].tolist(), "action_is_pad": batch["action_is_pad"][i].tolist(),
            "fov": batch["observation.fov"][i].tolist(),
            "image_mean": float(batch["observation.images.main"][i].mean()),
        })
    return frames


def _policy_forward(ds: LeRobotDataset, batch: dict, horizon: int) -> dict:
    """A tiny ACT built from the dataset's features and stats; one training forward on the batch."""
    policy_features = dataset_to_policy_features(ds.meta.features)
    config = ACTConfig(
        device="cpu", chunk_size=horizon, n_action_steps=horizon, pretrained_backbone_weights=None,
        dim_model=32, n_heads=2, dim_feedforward=64, n_encoder_layers=1, n_decoder_layers=1,
        n_vae_encoder_layers=1, latent_dim=8,
    )
    policy = make_policy(config, ds_meta=ds.meta)
    preprocessor, _ = make_pre_post_processors(config, dataset_stats=ds.meta.stats)
    policy_batch = dict(batch)
    policy_batch["observation.state"] = batch["observation.state"][:, 0]  # ACT takes the current state only
    policy.train()
    loss, parts = policy.forward(preprocessor(policy_batch))
    loss = loss.detach()
    return {
        "policy_features": {key: {"type": ft.type.name, "shape": list(ft.shape)} for key, ft in policy_features.items()},
        "input_features": {key: list(ft.shape) for key, ft in config.input_features.items()},
        "output_features": {key: list(ft.shape) for key, ft in config.output_features.items()},
        "visual_inputs": [key for key, ft in config.input_features.items() if ft.type is FeatureType.VISUAL],
        "loss": loss.item(), "loss_parts": parts, "finite": bool(torch.isfinite(loss)),
    }


def _decode_all(ds: LeRobotDataset) -> dict:
    """Every frame through a DataLoader: each video frame must sit at its timestamp within LeRobot's tolerance."""
    indices, episodes = [], set()
    for batch in torch.utils.data.DataLoader(ds, batch_size=32, shuffle=False, num_workers=0):
        indices += batch["index"].tolist()
        episodes |= set(batch["episode_index"].tolist())
    return {"frames": len(indices), "index_is_row_number": indices == list(range(len(ds))),
            "episodes": len(episodes)}


def probe(root: str, frames: list[int], horizon: int) -> dict:
    meta_ds = LeRobotDataset(repo_id="local/vitra", root=root)
    future = [k / meta_ds.fps for k in range(horizon)]
    ds = LeRobotDataset(repo_id="local/vitra", root=root, delta_timestamps={
        "action": future, "observation.state": [k / meta_ds.fps for k in range(horizon + 1)]})
    loader = torch.utils.data.DataLoader(torch.utils.data.Subset(ds, frames), batch_size=BATCH_SIZE,
                                         shuffle=False, num_workers=0)
    batches = list(loader)
    return {
        "codebase_version": ds.meta.info.codebase_version, "fps": ds.fps, "video_backend": ds._video_backend,
        "len": len(ds), "num_episodes": ds.num_episodes, "total_frames": ds.meta.total_frames,
        "total_tasks": ds.meta.total_tasks,
        "meta_features": {key: {"dtype": ft["dtype"], "shape": list(ft["shape"])} for key, ft in ds.meta.features.items()},
        "tasks": {str(task): int(row["task_index"]) for task, row in ds.meta.tasks.iterrows()},
        "episodes": _episodes(ds),
        "plain_item": {key: _spec(value) for key, value in meta_ds[frames[0]].items()},
        "decoded_all": _decode_all(meta_ds),
        "batch": {key: _spec(value) for key, value in batches[0].items()},
        "frames": [frame for batch in batches for frame in _frames(batch, horizon)],
        "policy": _policy_forward(ds, batches[0], horizon),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("--frames", default="0", help="comma-separated dataset indices to load")
    parser.add_argument("--horizon", type=int, default=16)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    result = probe(args.root, [int(f) for f in args.frames.split(",")], args.horizon)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
