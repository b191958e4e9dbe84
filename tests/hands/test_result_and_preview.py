"""The stored contract (one .npz per video) and the preview image."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from vitra_core.hands import HandPoses, HandPosesFileError, HandPoseSettings, preview_grid
from vitra_core.hands.preview import HAND_COLOURS_RGB, preview_frame_indices
from vitra_core.hands.skeleton import RIGHT


def test_saved_poses_load_back_identical(asl_poses: HandPoses, tmp_path: Path) -> None:
    target = tmp_path / "poses" / "clip.npz"
    asl_poses.save(target)
    loaded = HandPoses.load(target)
    for field in dataclasses.fields(HandPoses):
        ours, theirs = getattr(asl_poses, field.name), getattr(loaded, field.name)
        if isinstance(ours, np.ndarray):
            assert ours.dtype == theirs.dtype
            np.testing.assert_array_equal(ours, theirs)
        else:
            assert ours == theirs
    assert [p.name for p in target.parent.iterdir()] == ["clip.npz"]  # no temporary file left


def test_a_file_of_another_kind_or_version_is_refused_with_its_name(asl_poses: HandPoses, tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(HandPosesFileError, match="junk.npz: not a readable"):
        HandPoses.load(junk)
    old = tmp_path / "old.npz"
    dataclasses.replace(asl_poses, schema_version=0).save(old)
    with pytest.raises(HandPosesFileError, match="old.npz: schema version 0, expected 1"):
        HandPoses.load(old)


def test_arrays_of_the_wrong_shape_are_refused(asl_poses: HandPoses) -> None:
    with pytest.raises(ValueError, match="state"):
        dataclasses.replace(asl_poses, state=asl_poses.state[:, :, :45])


def test_settings_reject_an_even_smoothing_window() -> None:
    with pytest.raises(ValidationError, match="odd"):
        HandPoseSettings(smoothing_window_frames=8)
    with pytest.raises(ValidationError):
        HandPoseSettings(unknown_knob=1)


def test_preview_is_a_grid_of_six_frames_with_the_right_hand_drawn(asl_poses: HandPoses, asl_video: Path) -> None:
    assert preview_frame_indices(asl_poses, 6) == [0, 65, 130, 194, 259, 324]
    image = preview_grid(asl_video, asl_poses)
    tile_height = round(1080 * 320 / 620)
    assert image.shape == (2 * tile_height, 3 * 320, 3)
    right_colour = np.all(image == HAND_COLOURS_RGB[RIGHT], axis=-1)
    left_colour = np.all(image == HAND_COLOURS_RGB[1 - RIGHT], axis=-1)
    assert right_colour.sum() > 500 and left_colour.sum() == 0
    for row in range(2):
        for col in range(3):
            assert right_colour[row * tile_height:(row + 1) * tile_height, col * 320:(col + 1) * 320].any()
