"""VLAPolicy (contract C1): a trained VLA with its normaliser, saved as a folder of JSON + safetensors.

predict() is the one inference entry point (evaluation, sim roll-outs, the hand controller):
raw camera image, instruction, 102-D hand state + presence mask, fov -> the next 16 absolute hand
states. It is deterministic: the flow starts from the zero chunk (`noise_scale` 0, the default) or from
noise drawn by a generator seeded by the config, scaled by `noise_scale`; `predict_batch(samples=K)` (the VLA
evaluation) averages K unit-noise samples from that generator.
Loading reads only JSON and safetensors, so a policy folder from anywhere is never unpickled.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import safetensors.torch
import torch

from vitra_core.episodes.episode_video import letterbox
from vitra_core.episodes.state_layout import ACTION_DIM
from vitra_core.fsutil import write_bytes_atomic
from vitra_core.hands.skeleton import NUM_HANDS
from vitra_core.model.config import POLICY_FILES, ModelFileError, PolicySpec, VLAConfig
from vitra_core.model.normaliser import Normaliser
from vitra_core.model.vla import VLA


def _checked(name: str, value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != shape:
        raise ValueError(f"predict(): {name} has shape {array.shape}, expected {shape}")
    if array.dtype != bool and not np.isfinite(array).all():
        raise ValueError(f"predict(): {name} is not finite")
    return array


class VLAPolicy:
    FILES: ClassVar[tuple[str, str, str]] = POLICY_FILES
    CONFIG_FILE, WEIGHTS_FILE, NORMALISER_FILE = FILES

    def __init__(self, model: VLA, normaliser: Normaliser):
        self.model = model
        self.normaliser = normaliser
        model.set_normaliser(normaliser)

    @classmethod
    def create(cls, config: VLAConfig, normaliser: Normaliser, device: str = "cpu") -> "VLAPolicy":
        """A freshly initialised policy (vision weights from config.vision.pretrained_path when given)."""
        return cls(VLA(config).to(device), normaliser)

    @property
    def config(self) -> VLAConfig:
        return self.model.config

    @property
    def device(self) -> torch.device:
        return self.model.cognition.device

    @property
    def spec(self) -> PolicySpec:
        return PolicySpec(chunk_size=self.config.chunk_size, image_size=self.config.image_size)

    @classmethod
    def load(cls, directory: Path, device: str = "cpu") -> "VLAPolicy":
        directory = Path(directory)
        missing = [name for name in cls.FILES if not (directory / name).is_file()]
        if missing:
            raise ModelFileError(directory, f"not a policy folder: {missing} missing (it holds {list(cls.FILES)})")
        config = VLAConfig.load(directory / cls.CONFIG_FILE)
        normaliser = Normaliser.load(directory / cls.NORMALISER_FILE)
        weights_path = directory / cls.WEIGHTS_FILE
        try:
            weights = safetensors.torch.load_file(weights_path)
        except (OSError, safetensors.SafetensorError) as exc:
            raise ModelFileError(weights_path, f"not a readable safetensors file ({exc})") from exc
        model = VLA(config, load_pretrained=False)
        try:
            model.load_saved_state_dict(weights)
        except (KeyError, RuntimeError) as exc:
            raise ModelFileError(weights_path, str(exc)) from exc
        return cls(model.to(device), normaliser)

    def save(self, directory: Path) -> None:
        """Write the three FILES, each atomically (weights first, config last)."""
        directory = Path(directory)
        weights = {name: tensor.detach().cpu().contiguous() for name, tensor in self.model.saved_state_dict().items()}
        write_bytes_atomic(directory / self.WEIGHTS_FILE, safetensors.torch.save(weights))
        self.normaliser.save(directory / self.NORMALISER_FILE)
        self.config.save(directory / self.CONFIG_FILE)

    def _noise(self, batch_size: int, samples: int = 1) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.config.noise_seed)
        noise = torch.randn(samples, batch_size, self.config.chunk_size, ACTION_DIM, generator=generator)
        # A point estimate either way: one prediction starts at `noise_scale` (0: the zero chunk), a mean of several
        # samples needs distinct samples, so it draws them at unit scale (the flow's training noise).
        return (noise * (1.0 if samples > 1 else self.config.noise_scale)).to(self.device)

    def predict_batch(self, batch: dict, samples: int = 1) -> np.ndarray:
        """A loader batch (EpisodeWindowDataset keys image [B, 3, S, S], instruction, state [B, 104], fov [B, 2])
        -> absolute action chunks float32 [B, C, 102], each the mean of `samples` flow samples (VLA.generate).
        Row k's noise is the same as predict()'s for k = 0."""
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                state = torch.as_tensor(batch["state"], dtype=torch.float32, device=self.device)
                chunk = self.model.generate(
                    torch.as_tensor(batch["image"], device=self.device), list(batch["instruction"]), state,
                    torch.as_tensor(batch["fov"], dtype=torch.float32, device=self.device), self._noise(len(state), samples),
                )
        finally:
            self.model.train(was_training)
        return chunk.float().cpu().numpy()

    def predict(self, image: np.ndarray, instruction: str, state: np.ndarray, state_mask: np.ndarray,
                fov: np.ndarray) -> np.ndarray:
        """image uint8 RGB [H, W, 3] (any size), state float32 [102], state_mask bool [2] (left, right present),
        fov float32 [2] (fov_x_deg, fov_y_deg) -> float32 [16, 102]: the next 16 absolute hand states."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"predict(): image must be uint8 [H, W, 3] RGB, got {image.dtype} {image.shape}")
        state = _checked("state", state, (ACTION_DIM,)).astype(np.float32)
        mask = _checked("state_mask", state_mask, (NUM_HANDS,)).astype(bool)
        fov = _checked("fov", fov, (2,)).astype(np.float32)
        framed = letterbox(image, self.config.frame_size_px)
        batch = {
            "image": torch.from_numpy(np.ascontiguousarray(framed)).permute(2, 0, 1)[None],
            "instruction": [instruction],
            "state": torch.from_numpy(np.concatenate([state, mask.astype(np.float32)]))[None],
            "fov": torch.from_numpy(fov)[None],
        }
        return self.predict_batch(batch)[0]

