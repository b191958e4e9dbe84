"""Captions from a local vision-language model through `transformers`, shown frames of the segment.

Supported: image-to-text encoder-decoder models (`VisionEncoderDecoderModel`, model_type
"vision-encoder-decoder", e.g. ViT/BEiT/Swin/DeiT encoders with GPT-2/BERT/RoBERTa decoders), as
`AutoModelForImageTextToText` loads them, with the tokenizer and image processor saved beside them.
The segment's frames (`num_frames`, evenly spaced) are tiled side by side into one image; the decoder
is prompted with the motion facts and the template draft and continues with the instruction. Beam
search (deterministic) gives four candidates: the first one in VITRA's form is the instruction, later
valid ones become rephrasings. Other model types (chat VLMs) are refused with a reason, so captioning
falls back. Loading never touches the network (`local_files_only`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from vitra_core.captions.captioner import CaptionerError, CaptionRequest, CaptionText, first_valid
from vitra_core.captions.prompt import completion_prompt

SUPPORTED_MODEL_TYPES = ("vision-encoder-decoder",)
NUM_BEAMS = 4


def tile_frames(frames: Sequence[np.ndarray], count: int) -> np.ndarray:
    """`count` frames evenly spaced over `frames`, resized to the first one's height and put side by side."""
    from PIL import Image

    picks = [frames[int(i)] for i in np.linspace(0, len(frames) - 1, min(count, len(frames))).round()]
    height = picks[0].shape[0]
    resized = [
        frame if frame.shape[0] == height else
        np.asarray(Image.fromarray(frame).resize((max(1, round(frame.shape[1] * height / frame.shape[0])), height)))
        for frame in picks
    ]
    return np.concatenate(resized, axis=1)


class TransformersCaptioner:
    """A local image-to-text model; loaded on first use, so a bad path fails each caption (then falls back)."""

    def __init__(self, model_path: str, num_frames: int = 3, max_new_tokens: int = 160):
        self.model_path = model_path
        self.name = f"transformers:{Path(model_path).name or model_path}"
        self.num_frames = num_frames
        self.max_new_tokens = max_new_tokens
        self._parts: tuple | None = None
        self._load_error: str | None = None

    def _load(self) -> tuple:
        if self._parts is not None:
            return self._parts
        if self._load_error is not None:
            raise CaptionerError(self._load_error)
        try:
            from transformers import AutoConfig, AutoImageProcessor, AutoModelForImageTextToText, AutoTokenizer

            config = AutoConfig.from_pretrained(self.model_path, local_files_only=True)
            if config.model_type not in SUPPORTED_MODEL_TYPES:
                raise CaptionerError(
                    f"model type {config.model_type!r} is not supported (supported: {', '.join(SUPPORTED_MODEL_TYPES)})"
                )
            model = AutoModelForImageTextToText.from_pretrained(self.model_path, local_files_only=True).eval()
            tokenizer = AutoTokenizer.from_pretrained(self.model_path, local_files_only=True)
            image_processor = AutoImageProcessor.from_pretrained(self.model_path, local_files_only=True)
        except CaptionerError as exc:
            self._load_error = str(exc)
            raise
        except (OSError, ValueError, KeyError) as exc:
            self._load_error = f"cannot load a model from {self.model_path}: {type(exc).__name__}: {str(exc)[:200]}"
            raise CaptionerError(self._load_error) from exc
        self._parts = (model, tokenizer, image_processor)
        return self._parts

    def caption(self, request: CaptionRequest) -> CaptionText:
        import torch

        model, tokenizer, image_processor = self._load()
        if request.frames is None:
            raise CaptionerError("no frames to show the model (caption_segments got no frames_provider)")
        frames = list(request.frames())
        if not frames:
            raise CaptionerError("the frames provider returned no frames for the segment")
        pixel_values = image_processor(images=tile_frames(frames, self.num_frames), return_tensors="pt").pixel_values
        start = model.config.decoder_start_token_id
        if start is None:
            start = tokenizer.bos_token_id
        prompt_ids = tokenizer(completion_prompt(request), add_special_tokens=False).input_ids
        decoder_input_ids = torch.tensor([[start, *prompt_ids]], dtype=torch.long)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        with torch.no_grad():
            out = model.generate(
                pixel_values=pixel_values.to(model.device), decoder_input_ids=decoder_input_ids.to(model.device),
                max_new_tokens=self.max_new_tokens, do_sample=False, num_beams=NUM_BEAMS,
                num_return_sequences=NUM_BEAMS, eos_token_id=tokenizer.eos_token_id, pad_token_id=pad,
            )
        texts = tokenizer.batch_decode(out[:, decoder_input_ids.shape[1]:], skip_special_tokens=True)
        candidates = [text.strip().splitlines()[0] if text.strip() else "" for text in texts]
        instruction, more = first_valid(candidates, request.own.segment.hand)
        return CaptionText(instruction=instruction, rephrasings=more)
