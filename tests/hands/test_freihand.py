"""MediaPipe's 2D landmarks against FreiHAND's ground truth (8 close-up grasps, 224x224, right hands).

The 8 images are 2 poses x 4 backgrounds: FreiHAND's training set holds each frame 4 times (green
screen, then 3 composited backgrounds) at ids k + 32560 n, and the annotations of ids 17620, 50180,
82740, 115300 (pose A) and 355, 32915, 65475, 98035 (pose B) are identical.

Measured with mediapipe 0.10.21 and again with 0.10.14 (numpy 2), identical to 0.01 px; full model, static
mode (mean of the 21 joint errors, px):
    00017620 9.50   00050180 missed   00082740 12.09   00115300 11.15   (bbox diagonal 121.6 px)
    00000355 10.61  00032915 11.41    00065475 missed  00098035 10.71   (bbox diagonal 132.9 px)
    overall 10.91 px = 0.086 bbox diagonals; by joint: PIP/DIP 5.6, fingertips 10.3, wrist 15.7,
    finger MCPs 15.7, thumb CMC-IP 18.3 px.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from vitra_core.hands.detect import HandDetection

# FreiHAND's (mmpose's) names, one per MediaPipe landmark index: the same 21-joint layout
FREIHAND_NAMES_IN_MEDIAPIPE_ORDER = [
    "wrist",
    "thumb1", "thumb2", "thumb3", "thumb4",
    "forefinger1", "forefinger2", "forefinger3", "forefinger4",
    "middle_finger1", "middle_finger2", "middle_finger3", "middle_finger4",
    "ring_finger1", "ring_finger2", "ring_finger3", "ring_finger4",
    "pinky_finger1", "pinky_finger2", "pinky_finger3", "pinky_finger4",
]
WRIST_AND_KNUCKLES = [0, 5, 9, 13, 17]
FINGER_MIDDLE_JOINTS = [6, 7, 10, 11, 14, 15, 18, 19]  # PIP and DIP of the four fingers
# each finger tip-first (the RHD/STB convention), the order a misread layout would most likely have
TIP_FIRST_ORDER = [0] + [base + 3 - k for base in (1, 5, 9, 13, 17) for k in range(4)]


@dataclass(frozen=True)
class Sample:
    file_name: str
    keypoints_px: np.ndarray  # [21, 2]
    bbox_diagonal_px: float
    bbox_centre_px: np.ndarray  # [2]
    found: list[HandDetection]

    @property
    def matched(self) -> HandDetection | None:
        """The detection nearest the annotated box (a detection elsewhere is another hand or a false one)."""
        if not self.found:
            return None
        return min(self.found, key=lambda hand: np.linalg.norm(hand.centroid_px - self.bbox_centre_px))

    def errors_px(self, order: list[int] | None = None) -> np.ndarray:
        """[21] distance from each annotated keypoint to the matched detection's landmark."""
        landmarks = self.matched.image_px if order is None else self.matched.image_px[order]
        return np.linalg.norm(landmarks - self.keypoints_px, axis=1)


@pytest.fixture(scope="module")
def freihand_json(shared_data: Path) -> dict:
    return json.loads((shared_data / "freihand" / "test_freihand.json").read_text())


@pytest.fixture(scope="module")
def samples(shared_data: Path, freihand_json: dict, detect_still) -> list[Sample]:
    file_names = {image["id"]: image["file_name"] for image in freihand_json["images"]}
    samples = []
    for annotation in freihand_json["annotations"]:
        x, y, width, height = annotation["bbox"]
        file_name = file_names[annotation["image_id"]]
        samples.append(Sample(
            file_name=file_name,
            keypoints_px=np.array(annotation["keypoints"], dtype=np.float64).reshape(21, 3)[:, :2],
            bbox_diagonal_px=float(np.hypot(width, height)),
            bbox_centre_px=np.array([x + width / 2, y + height / 2]),
            found=detect_still(shared_data / "freihand" / file_name),
        ))
    return samples


@pytest.fixture(scope="module")
def detected(samples: list[Sample]) -> list[Sample]:
    return [sample for sample in samples if sample.matched is not None]


def test_freihand_keypoints_follow_mediapipes_landmark_order(freihand_json: dict, detected: list[Sample]) -> None:
    (category,) = freihand_json["categories"]
    assert category["keypoints"] == FREIHAND_NAMES_IN_MEDIAPIPE_ORDER
    for annotation in freihand_json["annotations"]:
        keypoints = np.array(annotation["keypoints"], dtype=np.float64).reshape(21, 3)
        assert (keypoints[:, 2] == 1).all()  # every keypoint labelled visible
    # names alone do not say which end of a finger is "1"; MediaPipe's landmarks do: the identity
    # mapping fits them far better than tip-first fingers (measured 10.9 vs 28.6 px mean)
    as_given = np.mean([sample.errors_px().mean() for sample in detected])
    tip_first = np.mean([sample.errors_px(TIP_FIRST_ORDER).mean() for sample in detected])
    assert as_given < 0.5 * tip_first


def test_mediapipe_finds_the_right_hand_in_six_of_the_eight_images(samples: list[Sample]) -> None:
    # Measured: 6 of 8, one background variant of each pose missed: 00050180 (the arm pasted onto a
    # playground scene; the palm detector's score is between 0.2 and 0.3) and 00065475 (a dark hand
    # on a dark mountain; score between 0.4 and 0.5), both below min_detection_confidence 0.5. The
    # other 6 give exactly one hand each. A better detector may find more; fewer is a regression.
    found = [sample.file_name for sample in samples if sample.found]
    assert len(found) >= 6, f"hands found only in {found}"
    assert all(len(sample.found) == 1 for sample in samples if sample.found)
    # FreiHAND shows right hands only, unmirrored: MediaPipe says "Left" (selfie) -> P(right) >= 0.98
    assert all(sample.matched.right_prob > 0.9 for sample in samples if sample.found)


def test_mediapipe_landmarks_lie_within_a_tenth_of_the_hand_size_of_freihands(detected: list[Sample]) -> None:
    # FreiHAND's keypoints are MANO joint centres fitted to the hand; MediaPipe's are its own
    # annotators' points. Where both mean the same point (PIP, DIP) they agree to 5.6 px; at the wrist
    # and the knuckles MANO's joint centres sit ~15 px (0.12 bbox diagonals) away, and an occluded
    # thumb (pose A) adds up to 26 px. So the 21-joint mean is ~0.08-0.10 of the bbox diagonal per
    # image (measured max 0.099) and 0.086 overall. Bounds: 0.15 per image, 0.11 overall, ~1.3-1.5x
    # the measured values; landmarks mirrored in x or with x and y swapped are off by 0.26-0.41.
    relative = {sample.file_name: sample.errors_px().mean() / sample.bbox_diagonal_px for sample in detected}
    assert max(relative.values()) < 0.15, relative
    overall = np.mean([sample.errors_px().mean() for sample in detected])
    assert overall < 0.11 * np.mean([sample.bbox_diagonal_px for sample in detected]), overall
    # and nearly every joint (measured >= 19 of 21) within 0.2 diagonals, PCK-style
    for sample in detected:
        within = (sample.errors_px() < 0.2 * sample.bbox_diagonal_px).mean()
        assert within >= 0.85, (sample.file_name, within)


def test_finger_joints_agree_closer_than_the_wrist_and_knuckles_whose_definitions_differ(
    detected: list[Sample],
) -> None:
    errors = np.stack([sample.errors_px() / sample.bbox_diagonal_px for sample in detected])  # [n, 21]
    middle_joints = errors[:, FINGER_MIDDLE_JOINTS].mean()
    wrist_and_knuckles = errors[:, WRIST_AND_KNUCKLES].mean()
    assert middle_joints < 0.07  # measured 0.044 (5.6 px)
    assert middle_joints < 0.5 * wrist_and_knuckles  # measured 0.044 vs 0.124
