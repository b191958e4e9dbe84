"""Per-frame hand landmarks from MediaPipe Hands (bundled models, nothing downloaded).

MediaPipe labels handedness as if the image were a mirrored selfie. Ordinary and egocentric video is
not mirrored, so its labels are swapped here unless the clip is declared mirrored. Every hand found
is returned, including two hands claiming the same side; choosing slots is `tracking.py`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import mediapipe as mp
import numpy as np

from vitra_core.hands.settings import HandPoseSettings


@dataclass(frozen=True)
class HandDetection:
    """One hand in one frame.

    image_px [21, 2]: landmarks in pixels of the frame. world_m [21, 3]: MediaPipe's metric world
    landmarks (origin near the hand's centre, axes roughly the camera's). `mediapipe_label` and
    `mediapipe_score` are MediaPipe's raw handedness (selfie convention); `right_prob` is the
    probability that this is a right hand once the mirror convention of the clip is applied.
    """

    image_px: np.ndarray
    world_m: np.ndarray
    mediapipe_label: str
    mediapipe_score: float
    right_prob: float

    @property
    def centroid_px(self) -> np.ndarray:
        """[2] mean landmark position, used to follow the hand between frames."""
        return self.image_px.mean(axis=0)

    @property
    def size_px(self) -> float:
        """Diagonal of the landmarks' bounding box: the hand's scale in the image."""
        return float(np.linalg.norm(self.image_px.max(axis=0) - self.image_px.min(axis=0)))


def right_probability(mediapipe_label: str, mediapipe_score: float, mirrored: bool) -> float:
    """P(right hand) from MediaPipe's selfie-convention label; unmirrored input swaps the sides."""
    says_right = mediapipe_label == "Right"
    is_right = says_right if mirrored else not says_right
    return mediapipe_score if is_right else 1.0 - mediapipe_score


def _landmarks_array(landmark_list, scale: tuple[float, ...]) -> np.ndarray:
    points = np.array([(p.x, p.y, p.z) for p in landmark_list.landmark], dtype=np.float64)
    return points[:, : len(scale)] * np.asarray(scale)


class HandDetector:
    """MediaPipe Hands in tracking mode, fed the frames of one clip in order.

    Tracking mode (static_image_mode=False) with the full model (complexity 1) is the configuration
    that reproduces the tfjs/MediaPipe reference landmarks; use one detector per clip.
    """

    def __init__(self, settings: HandPoseSettings, mirrored: bool):
        self._mirrored = mirrored
        self._hands = mp.solutions.hands.Hands(
            static_image_mode=False,
            max_num_hands=2,
            model_complexity=settings.model_complexity,
            min_detection_confidence=settings.min_detection_confidence,
            min_tracking_confidence=settings.min_tracking_confidence,
        )

    def __enter__(self) -> "HandDetector":
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._hands.close()

    def detect(self, rgb: np.ndarray) -> list[HandDetection]:
        """Every hand in an [H, W, 3] uint8 RGB frame (at most two, MediaPipe's limit)."""
        height, width = rgb.shape[:2]
        return detections_from(self._hands.process(rgb), width, height, self._mirrored)


def detections_from(
    found, width: int, height: int, mirrored: bool, scale: float = 1.0, offset_px: tuple[float, float] = (0.0, 0.0)
) -> list[HandDetection]:
    """HandDetections from one MediaPipe Hands result on a `width` x `height` image.

    For an image that is a crop of the frame resized by `scale`, with its corner at `offset_px` (x, y) of
    the frame, pixels map back to the frame (`frame = image / scale + offset`); world landmarks are
    metric and centred on the hand, so they stay as they are.
    """
    if not found.multi_hand_landmarks:
        return []
    detections = []
    for image, world, handedness in zip(
        found.multi_hand_landmarks, found.multi_hand_world_landmarks, found.multi_handedness
    ):
        best = handedness.classification[0]
        detections.append(
            HandDetection(
                image_px=_landmarks_array(image, (width, height)) / scale + np.asarray(offset_px),
                world_m=_landmarks_array(world, (1.0, 1.0, 1.0)),
                mediapipe_label=best.label,
                mediapipe_score=float(best.score),
                right_prob=right_probability(best.label, float(best.score), mirrored),
            )
        )
    return detections
