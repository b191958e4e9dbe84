"""Fixtures for the hand-pose tests: one extraction reused by many tests (`shared_data` is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitra_core.hands import HandPoses, extract_hand_poses


@pytest.fixture(scope="session")
def asl_video(shared_data: Path) -> Path:
    return shared_data / "tfjs" / "asl_hand.25fps.mp4"


@pytest.fixture(scope="session")
def asl_poses(asl_video: Path) -> HandPoses:
    """The whole ASL clip (325 frames, one hand) through the default pipeline."""
    return extract_hand_poses(asl_video)


@pytest.fixture(scope="session")
def detect_still():
    """`detect(path, mirrored=False) -> list[HandDetection]` for one still image.

    A fresh detector sees the image as its first frame, so it runs the palm detector on it: the same
    landmarks as MediaPipe's static_image_mode=True (0.0 px apart on the FreiHAND samples).
    """
    import cv2

    from vitra_core.hands import HandPoseSettings
    from vitra_core.hands.detect import HandDetector

    def detect(path: Path, mirrored: bool = False):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        with HandDetector(HandPoseSettings(), mirrored) as detector:
            return detector.detect(rgb)

    return detect


@pytest.fixture(scope="session")
def cooking_poses(shared_data: Path) -> HandPoses:
    """Egocentric cooking clip (60 frames, 30 fps): the left hand holds the pan, the right one stirs."""
    return extract_hand_poses(shared_data / "lavila" / "ego4d_3c0dffd0_012_014.mp4")


@pytest.fixture(scope="session")
def container_lift_poses(shared_data: Path) -> HandPoses:
    """Egocentric GIF (50 frames, 25 fps): a hand lifts a container; MediaPipe finds only a blender lid in it."""
    return extract_hand_poses(shared_data / "lavila" / "ego4d_cf7c12db.gif")
