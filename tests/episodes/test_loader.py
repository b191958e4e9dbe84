"""The torch loader: windows with padded, masked action chunks; flip and colour jitter; worker processes."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader

from vitra_core.episodes import AugmentSettings, DatasetMeta, EpisodeWindowDataset
from vitra_core.episodes.augment import swap_sides
from vitra_core.episodes.lerobot_format import ACTION_KEY, STATE_KEY
from vitra_core.episodes.reader import read_episode_rows


def test_chunks_hold_the_next_states_and_are_padded_and_masked_at_the_episode_end(incremental_build):
    root = incremental_build["root"]
    dataset = EpisodeWindowDataset(root)
    meta = DatasetMeta.load(root)
    episode = 1  # cooking 30..60: 30 frames, both hands at times, up to the clip's end
    rows = read_episode_rows(root, meta, meta.episodes[episode])
    states, actions = rows[STATE_KEY], rows[ACTION_KEY]
    np.testing.assert_array_equal(actions, np.concatenate([states[1:], states[-1:]]))  # next state; the clip's last holds
    inner = read_episode_rows(root, meta, meta.episodes[0])  # cooking 0..30: its last action is clip frame 30
    np.testing.assert_array_equal(inner[ACTION_KEY][-1], states[0])
    first = sum(meta.episodes[i]["length"] for i in sorted(meta.episodes) if i < episode)
    t = len(states) - 5
    sample = dataset[first + t]
    assert (sample["episode_index"], sample["frame_index"]) == (episode, t)
    np.testing.assert_array_equal(sample["state"].numpy(), states[t])
    np.testing.assert_array_equal(sample["actions"][:5].numpy(), actions[t:, :102])
    assert (sample["actions"][5:] == 0).all()
    assert sample["action_is_pad"].tolist() == [False] * 5 + [True] * 11
    np.testing.assert_array_equal(sample["action_mask"][:5].numpy(), actions[t:, 102:] > 0.5)
    assert not sample["action_mask"][5:].any()
    assert sample["image"].shape == (3, 224, 224) and sample["image"].dtype == torch.uint8
    assert sample["instruction"] == "Left hand: None. Right hand: Do step 1."
    np.testing.assert_allclose(sample["fov"].numpy(), [60.0, 2 * np.degrees(np.arctan(288 / 384 * np.tan(np.radians(30))))],
                               atol=1e-4)


def test_flip_mirrors_image_state_actions_and_instruction(incremental_build):
    root = incremental_build["root"]
    plain = EpisodeWindowDataset(root)
    flipped = EpisodeWindowDataset(root, augment=AugmentSettings(flip_prob=1.0))
    idx = 10
    a, b = plain[idx], flipped[idx]
    assert b["flipped"] and not a["flipped"]
    assert torch.equal(b["image"], a["image"].flip(-1))
    assert torch.equal(b["action_mask"], a["action_mask"].flip(-1))
    assert torch.equal(b["state"][102:], a["state"][102:].flip(-1))
    assert b["instruction"] == "Right hand: None. Left hand: Do step 0."
    assert swap_sides("LEFT and Right") == "RIGHT and Left"


def test_colour_jitter_changes_pixels_not_geometry(incremental_build):
    dataset = EpisodeWindowDataset(incremental_build["root"], float_images=True,
                                   augment=AugmentSettings(brightness=0.4, contrast=0.4, saturation=0.4))
    torch.manual_seed(0)
    a, b = dataset[3], dataset[3]
    assert a["image"].dtype == torch.float32 and 0 <= a["image"].min() and a["image"].max() <= 1
    assert not torch.equal(a["image"], b["image"])
    assert torch.equal(a["state"], b["state"])


def test_dataloader_with_two_workers_yields_every_sample_once(incremental_build):
    dataset = EpisodeWindowDataset(incremental_build["root"], cache_episodes=2)
    loader = DataLoader(dataset, batch_size=32, shuffle=False, num_workers=2)
    seen = []
    for batch in loader:
        assert batch["image"].shape[1:] == (3, 224, 224) and batch["actions"].shape[1:] == (16, 102)
        seen += list(zip(batch["episode_index"].tolist(), batch["frame_index"].tolist()))
    assert seen == [dataset.locate(i) for i in range(len(dataset))]
