"""Zero-shot action prediction on held-out videos, beside two baselines that need no learning.

Which videos are held out is split.py's job. The model's prediction is a point estimate: the mean of
several flow samples (VLA.generate), since one sample of a spread-out distribution adds its spread to
the error (docs/model.md has the measurement). Errors are computed per hand over the chunk steps where
the hand is present now and at that step (the dataset's action mask), in the units people reason in: wrist translation ADE/FDE in cm, wrist rotation and joint rotation geodesic errors in deg.
Baselines: `hold` repeats the current state; `constant_velocity` extrapolates the last frame's motion
(translation linearly, rotations by repeating the last relative rotation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel
from scipy.spatial.transform import Rotation

from vitra_core.episodes.state_layout import ACTION_DIM, MASK_SLICE
from vitra_core.errors import VitraError
from vitra_core.hands.kinematics import EULER_ORDER
from vitra_core.hands.skeleton import NUM_HANDS, STATE_SIZE

if TYPE_CHECKING:
    from vitra_core.episodes.loader import EpisodeWindowDataset

WRIST_T = slice(0, 3)
WRIST_R = slice(3, 6)
JOINTS = slice(6, STATE_SIZE)
METHODS = ("model", "hold", "constant_velocity")


class ActionErrors(BaseModel):
    """Mean errors of one method over every (sample, hand) pair with at least one valid future step."""

    wrist_ade_cm: float
    wrist_fde_cm: float
    wrist_rotation_deg: float
    joint_angle_deg: float
    hand_chunks: int


def hold_chunk(state: np.ndarray, chunk_size: int) -> np.ndarray:
    """[102] -> [C, 102]: the current state repeated."""
    return np.repeat(state[None, :ACTION_DIM], chunk_size, axis=0)


def constant_velocity_chunk(previous: np.ndarray, state: np.ndarray, chunk_size: int) -> np.ndarray:
    """[102], [102] -> [C, 102]: step k repeats the last frame's motion k times, per hand.

    Translation is extrapolated linearly; every rotation (wrist, joints) by composing the last
    relative rotation k times, which stays a valid rotation where Euler-angle arithmetic would not.
    """
    steps = np.arange(1, chunk_size + 1)
    hands_now = state[:ACTION_DIM].reshape(NUM_HANDS, STATE_SIZE)
    hands_before = previous[:ACTION_DIM].reshape(NUM_HANDS, STATE_SIZE)
    out = np.empty((chunk_size, NUM_HANDS, STATE_SIZE))
    out[:, :, WRIST_T] = hands_now[None, :, WRIST_T] + steps[:, None, None] * (hands_now[:, WRIST_T] - hands_before[:, WRIST_T])
    rot_now = Rotation.from_euler(EULER_ORDER, hands_now[:, 3:].reshape(-1, 3))
    rot_before = Rotation.from_euler(EULER_ORDER, hands_before[:, 3:].reshape(-1, 3))
    delta = (rot_before.inv() * rot_now).as_rotvec()  # in the moving frame: R_now = R_before * delta
    for k in steps:
        rotated = rot_now * Rotation.from_rotvec(delta * k)
        out[k - 1, :, 3:] = rotated.as_euler(EULER_ORDER).reshape(NUM_HANDS, STATE_SIZE - 3)
    return out.reshape(chunk_size, ACTION_DIM).astype(np.float32)


def _geodesic_deg(euler_a: np.ndarray, euler_b: np.ndarray) -> np.ndarray:
    """[..., 3] Euler angles each -> [...] angle of the rotation between them, degrees."""
    shape = euler_a.shape[:-1]
    a = Rotation.from_euler(EULER_ORDER, euler_a.reshape(-1, 3))
    b = Rotation.from_euler(EULER_ORDER, euler_b.reshape(-1, 3))
    return np.degrees((a.inv() * b).magnitude()).reshape(shape)


@dataclass
class _Accumulator:
    """Sums of per-(sample, hand) mean errors, so the mean over pairs is exact at the end."""

    sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("wrist_ade_cm", "wrist_fde_cm", "wrist_rotation_deg", "joint_angle_deg"), 0.0))
    count: int = 0

    def add(self, predicted: np.ndarray, target: np.ndarray, valid: np.ndarray) -> None:
        """predicted/target [C, 102], valid [C, 2] (hand present now and at that step)."""
        pred = predicted.reshape(len(predicted), NUM_HANDS, STATE_SIZE)
        true = target.reshape(len(target), NUM_HANDS, STATE_SIZE)
        for hand in range(NUM_HANDS):
            steps = np.flatnonzero(valid[:, hand])
            if len(steps) == 0:
                continue
            p, t = pred[steps, hand], true[steps, hand]
            wrist_cm = 100.0 * np.linalg.norm(p[:, WRIST_T] - t[:, WRIST_T], axis=-1)
            self.sums["wrist_ade_cm"] += float(wrist_cm.mean())
            self.sums["wrist_fde_cm"] += float(wrist_cm[-1])
            self.sums["wrist_rotation_deg"] += float(_geodesic_deg(p[:, WRIST_R], t[:, WRIST_R]).mean())
            joints_p = p[:, JOINTS].reshape(len(steps), -1, 3)
            joints_t = t[:, JOINTS].reshape(len(steps), -1, 3)
            self.sums["joint_angle_deg"] += float(_geodesic_deg(joints_p, joints_t).mean())
            self.count += 1

    def result(self) -> ActionErrors:
        if self.count == 0:
            raise VitraError("no held-out sample has a hand present now and in its future chunk")
        return ActionErrors(**{k: v / self.count for k, v in self.sums.items()}, hand_chunks=self.count)


class EvalSample(BaseModel, arbitrary_types_allowed=True):
    """One held-out frame: predict() inputs, the previous frame's state, and the true chunk."""

    image: np.ndarray  # [S, S, 3] uint8 RGB
    instruction: str
    state: np.ndarray  # [104]: 102 hand numbers + mask
    previous_state: np.ndarray  # [104] at t-1 (equal to state at t = 0)
    fov_deg: np.ndarray  # [2]
    actions: np.ndarray  # [C, 102]
    action_mask: np.ndarray  # [C, 2] bool


def eval_samples(dataset: EpisodeWindowDataset) -> Iterable[EvalSample]:
    """Every frame of the dataset's episodes as an EvalSample (no augmentation)."""
    for idx in range(len(dataset)):
        episode, t = dataset.locate(idx)
        item = dataset[idx]
        yield EvalSample(
            image=item["image"].permute(1, 2, 0).numpy(), instruction=item["instruction"],
            state=item["state"].numpy(), previous_state=dataset.window(episode, max(t - 1, 0))["state"],
            fov_deg=item["fov"].numpy(), actions=item["actions"].numpy(), action_mask=item["action_mask"].numpy(),
        )


# Predicts chunks [B, C, 102] for a batch of samples (see `policy_predictor` for a VLAPolicy).
BatchPredictor = Callable[[list[EvalSample]], np.ndarray]


def policy_predictor(policy, flow_samples: int = 1) -> BatchPredictor:
    """A VLAPolicy's predict_batch over EvalSamples (one forward pass per batch, as in training), each chunk
    the mean of `flow_samples` flow samples."""
    def predict(samples: list[EvalSample]) -> np.ndarray:
        return policy.predict_batch({
            "image": np.stack([s.image.transpose(2, 0, 1) for s in samples]),
            "instruction": [s.instruction for s in samples],
            "state": np.stack([s.state for s in samples]),
            "fov": np.stack([s.fov_deg for s in samples]),
        }, flow_samples)
    return predict


def _batches(samples: Iterable[EvalSample], size: int) -> Iterable[list[EvalSample]]:
    batch: list[EvalSample] = []
    for sample in samples:
        batch.append(sample)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def evaluate_action_prediction(predict: BatchPredictor, samples: Iterable[EvalSample],
                               batch_size: int = 32) -> dict[str, ActionErrors]:
    """Errors of the model and of both baselines on the same samples: {method: ActionErrors}.

    Only samples with a hand present now and in its future chunk are scored (and predicted).
    """
    acc = {m: _Accumulator() for m in METHODS}
    scored = (s for s in samples if (s.action_mask & (s.state[MASK_SLICE] > 0.5)[None, :]).any())
    for batch in _batches(scored, batch_size):
        for s, predicted in zip(batch, predict(batch)):
            present_now = s.state[MASK_SLICE] > 0.5
            valid = s.action_mask & present_now[None, :]
            chunk = len(s.actions)
            present_before = s.previous_state[MASK_SLICE] > 0.5
            previous = np.where(np.repeat(present_before, STATE_SIZE), s.previous_state[:ACTION_DIM], s.state[:ACTION_DIM])
            hand_state = s.state[:ACTION_DIM]
            acc["model"].add(predicted, s.actions, valid)
            acc["hold"].add(hold_chunk(hand_state, chunk), s.actions, valid)
            acc["constant_velocity"].add(constant_velocity_chunk(previous, hand_state, chunk), s.actions, valid)
    return {m: a.result() for m, a in acc.items()}


def errors_table(errors: dict[str, ActionErrors]) -> str:
    """A markdown table: one row per method, one column per error (what MLflow and Dagster show)."""
    columns = [("wrist ADE (cm)", "wrist_ade_cm"), ("wrist FDE (cm)", "wrist_fde_cm"),
               ("wrist rotation (deg)", "wrist_rotation_deg"), ("joint angle (deg)", "joint_angle_deg")]
    lines = ["| method | " + " | ".join(c for c, _ in columns) + " | hand chunks |",
             "|---|" + "---:|" * (len(columns) + 1)]
    for method, e in errors.items():
        values = " | ".join(f"{getattr(e, key):.2f}" for _, key in columns)
        lines.append(f"| {method} | {values} | {e.hand_chunks} |")
    return "\n".join(lines)
