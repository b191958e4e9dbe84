"""The split by video: three disjoint sets of whole videos, sized by frames, evaluation covering a moving camera."""

from __future__ import annotations

import pytest

from vitra_core.errors import VitraError
from vitra_core.training.split import camera_speed_deg_per_s, split_by_video, split_dataset
from vitra_core.episodes.meta import DatasetMeta

# 10 videos, 3 episodes each; video k has 30 (k + 1) frames, 1650 in all
EPISODES = {i: {"video_id": f"video{i // 3}", "length": 10 * (i // 3 + 1)} for i in range(30)}
MOVING = {"video7"}  # one head-mounted clip among ten


def test_no_video_is_split_and_the_three_sets_are_disjoint():
    split = split_by_video(EPISODES, MOVING, eval_fraction=0.25, val_fraction=0.15, seed=3)
    sets = [set(split.train_episodes), set(split.val_episodes), set(split.eval_episodes)]
    assert set.union(*sets) == set(EPISODES) and sum(map(len, sets)) == len(EPISODES)
    videos = [{EPISODES[i]["video_id"] for i in s} for s in sets]
    assert not (videos[0] & videos[1] or videos[0] & videos[2] or videos[1] & videos[2])
    assert videos[1] == set(split.val_videos) and videos[2] == set(split.eval_videos)
    assert split == split_by_video(EPISODES, MOVING, eval_fraction=0.25, val_fraction=0.15, seed=3)


@pytest.mark.parametrize("seed", range(6))
def test_evaluation_always_holds_out_the_moving_camera_clip_and_a_still_one(seed):
    split = split_by_video(EPISODES, MOVING, eval_fraction=0.25, val_fraction=0.15, seed=seed)
    assert "video7" in split.eval_videos
    assert set(split.eval_videos) - MOVING
    assert split.moving_camera_videos == ["video7"]


def test_held_out_sets_stay_within_their_share_of_frames():
    split = split_by_video(EPISODES, MOVING, eval_fraction=0.25, val_fraction=0.15, seed=0)
    frames = lambda episodes: sum(EPISODES[i]["length"] for i in episodes)  # noqa: E731
    assert frames(split.eval_episodes) <= 0.25 * 1650 and frames(split.val_episodes) <= 0.15 * 1650
    assert split.val_videos and split.eval_videos


def test_two_videos_give_one_to_train_one_to_evaluate_and_none_to_validate():
    split = split_by_video({0: {"video_id": "a", "length": 5}, 1: {"video_id": "b", "length": 9}}, set(), 0.25, 0.15)
    assert (split.val_videos, len(split.eval_videos), len(split.train_episodes)) == ([], 1, 1)
    with pytest.raises(VitraError, match="at least 2 videos"):
        split_by_video({0: {"video_id": "a", "length": 5}}, set(), 0.25, 0.15)


def test_clips_without_camera_motion_are_not_moving(scratch_build):
    """The fixture dataset was built without camera motion (identity poses): no clip reads as head-mounted."""
    speeds = camera_speed_deg_per_s(scratch_build, DatasetMeta.load(scratch_build))
    assert set(speeds) == {"cooking", "handlandmark", "asl"}
    assert all(s == pytest.approx(0.0, abs=1e-3) for s in speeds.values())
    split = split_dataset(scratch_build, eval_fraction=0.34, val_fraction=0.34, seed=0)
    assert split.moving_camera_videos == [] and len(split.eval_videos) == len(split.val_videos) == 1
