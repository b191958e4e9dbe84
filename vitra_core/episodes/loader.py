"""A torch Dataset of training windows over the episode dataset: image, state, action chunk, instruction, fov.

Sample at frame t of an episode of length T:
  image [3, S, S] uint8 (or float32 in [0, 1]) decoded from the episode mp4;
  state [104] float32 at t; actions [C, 102] = the `action` column at t .. t+C-1 without its mask
  (C = chunk_size; for human video the next states, for a robot its commands), each moved into the
  camera of frame t (the window's anchor), so a moving camera's own motion is not in the chunk;
  action_mask [C, 2] bool = hand present in that action and the step inside the episode;
  action_is_pad [C] bool = step past the episode end (its actions are zeros); instruction str; fov [2].
Episodes are read lazily: each DataLoader worker keeps its own bounded LRU cache of decoded episodes
(frames and parquet rows), so nothing is decoded in the parent process and num_workers > 0 works.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from vitra_core.episodes.augment import AugmentSettings, colour_jitter, flip_image, swap_sides
from vitra_core.episodes.anchor import move_states, relative_poses
from vitra_core.episodes.lerobot_format import ACTION_KEY, CAMERA_KEY, FOV_KEY, STATE_KEY
from vitra_core.episodes.meta import DatasetMeta, EpisodeDatasetError
from vitra_core.episodes.reader import read_episode_frames, read_episode_rows
from vitra_core.episodes.mirror import mirror_dataset_state
from vitra_core.episodes.state_layout import ACTION_DIM, DEFAULT_CHUNK_SIZE, MASK_SLICE
from vitra_core.episodes.transaction import JOURNAL, STAGING_DIR



class _LRU:
    def __init__(self, capacity: int, load: Callable[[int], object]):
        self.capacity, self.load, self.items = capacity, load, OrderedDict()

    def __call__(self, key: int):
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = self.load(key)
        self.items[key] = value
        if len(self.items) > self.capacity:
            self.items.popitem(last=False)
        return value


class EpisodeWindowDataset(Dataset):
    """Every frame of every episode (or of `episodes`) is one sample; see the module docstring."""

    def __init__(self, root: Path | str, chunk_size: int = DEFAULT_CHUNK_SIZE, augment: AugmentSettings | None = None,
                 float_images: bool = False, cache_episodes: int = 8, episodes: list[int] | None = None):
        self.root = Path(root)
        if (self.root / STAGING_DIR / JOURNAL).exists():
            raise EpisodeDatasetError(self.root, "an update was interrupted after its commit; run episodes.recover() first")
        meta = DatasetMeta.load(self.root)
        self._meta = meta
        self.settings = meta.settings
        self.fps = meta.fps
        self._episodes = meta.episodes
        self.episode_indices = sorted(self._episodes) if episodes is None else list(episodes)
        missing = [i for i in self.episode_indices if i not in self._episodes]
        if missing:
            raise EpisodeDatasetError(self.root, f"no episodes {missing[:5]} in the dataset")
        self.lengths = [self._episodes[i]["length"] for i in self.episode_indices]
        self.instructions = {i: meta.tasks[self._episodes[i]["task_index"]] for i in self.episode_indices}
        self._starts = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)
        self.chunk_size = chunk_size
        self.augment = augment or AugmentSettings()
        self.float_images = float_images
        self.cache_episodes = cache_episodes
        self._rows: _LRU | None = None
        self._frames: _LRU | None = None

    def __len__(self) -> int:
        return int(self._starts[-1])

    def locate(self, idx: int) -> tuple[int, int]:
        """(episode_index, frame t) of sample `idx`."""
        if not 0 <= idx < len(self):
            raise IndexError(f"sample {idx} out of range 0..{len(self) - 1}")
        k = bisect.bisect_right(self._starts, idx) - 1
        return self.episode_indices[k], idx - int(self._starts[k])

    def _load_rows(self, episode: int) -> dict[str, np.ndarray]:
        return read_episode_rows(self.root, self._meta, self._episodes[episode])

    def _load_frames(self, episode: int) -> np.ndarray:
        """[T, S, S, 3] RGB of the whole episode, decoded in-process (reader.py)."""
        return read_episode_frames(self.root, self._meta, self._episodes[episode])

    def _caches(self) -> tuple[_LRU, _LRU]:
        if self._rows is None:  # created on first use, i.e. inside each worker process
            self._rows = _LRU(self.cache_episodes, self._load_rows)
            self._frames = _LRU(self.cache_episodes, self._load_frames)
        return self._rows, self._frames

    def window(self, episode: int, t: int) -> dict[str, np.ndarray]:
        """State at t, the next `chunk_size` actions with masks, and fov (no image, no augmentation)."""
        rows, _ = self._caches()
        table = rows(episode)
        states, commands = table[STATE_KEY], table[ACTION_KEY]
        length = len(states)
        steps = np.arange(t, t + self.chunk_size)
        inside = steps < length
        rows_at = np.minimum(steps, length - 1)
        chunk = commands[rows_at]
        cameras = table[CAMERA_KEY]
        if not (cameras[rows_at] == cameras[t]).all():  # the camera moved within the window
            chunk = move_states(chunk, *relative_poses(cameras[rows_at], cameras[t]))
        actions = np.where(inside[:, None], chunk[:, :ACTION_DIM], 0.0).astype(np.float32)
        mask = (chunk[:, MASK_SLICE] > 0.5) & inside[:, None]
        return {"state": states[t].copy(), "actions": actions, "action_mask": mask, "action_is_pad": ~inside,
                "fov": table[FOV_KEY][t].copy()}

    def __getitem__(self, idx: int) -> dict:
        episode, t = self.locate(idx)
        sample = self.window(episode, t)
        _, frames = self._caches()
        rgb = frames(episode)[t]
        instruction = self.instructions[episode]
        flipped = bool(self.augment.flip_prob > 0 and torch.rand(()).item() < self.augment.flip_prob)
        if flipped:
            rgb = flip_image(rgb)
            sample["state"] = mirror_dataset_state(sample["state"]).astype(np.float32)
            with_mask = np.concatenate([sample["actions"], sample["action_mask"].astype(np.float32)], axis=1)
            flipped_chunk = mirror_dataset_state(with_mask)
            sample["actions"] = flipped_chunk[:, :ACTION_DIM].astype(np.float32)
            sample["action_mask"] = flipped_chunk[:, MASK_SLICE] > 0.5
            instruction = swap_sides(instruction)
        if self.augment.jitters:
            a = self.augment
            factors = 1 + (torch.rand(3).numpy() * 2 - 1) * np.array([a.brightness, a.contrast, a.saturation])
            rgb = colour_jitter(rgb, *factors)
        image = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).contiguous()
        if self.float_images:
            image = image.float() / 255.0
        return {
            "image": image, "state": torch.from_numpy(sample["state"]), "actions": torch.from_numpy(sample["actions"]),
            "action_mask": torch.from_numpy(sample["action_mask"]),
            "action_is_pad": torch.from_numpy(sample["action_is_pad"]), "instruction": instruction,
            "fov": torch.from_numpy(sample["fov"]), "episode_index": episode, "frame_index": t, "flipped": flipped,
        }
