"""A tiny VisionEncoderDecoder (ViT + GPT-2) with a byte-level BPE tokenizer, built offline from configs."""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import (
    GPT2Config, PreTrainedTokenizerFast, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, ViTConfig,
    ViTImageProcessor,
)

CORPUS = [
    "Left hand: None. Right hand: Reach toward the centre of the view and grasp the object.",
    "Motion: right hand: reach, grasp; ends at the middle centre of the image. Draft: Instruction:",
    "Left hand: Lift the hand up. Right hand: None. Pull it toward the camera, rotate the wrist.",
]


def build_tiny_vlm(folder: Path) -> tuple[VisionEncoderDecoderModel, PreTrainedTokenizerFast]:
    """Save a randomly initialised tiny model, its tokenizer and image processor to `folder`."""
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS * 4, vocab_size=400, min_frequency=1, special_tokens=["<s>", "</s>", "<pad>"])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>")
    encoder = ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                        image_size=32, patch_size=8)
    decoder = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=256,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = tokenizer.bos_token_id
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = tokenizer.eos_token_id
    torch.manual_seed(0)
    model = VisionEncoderDecoderModel(config=config)
    save(folder, model, tokenizer)
    return model, tokenizer


def save(folder: Path, model: VisionEncoderDecoderModel, tokenizer: PreTrainedTokenizerFast) -> None:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)


def teach(model: VisionEncoderDecoderModel, tokenizer: PreTrainedTokenizerFast, prompt: str, answer: str,
          max_steps: int = 300) -> None:
    """Overfit the decoder to continue `prompt` with `answer` (any image), so generation is predictable.

    Stops once the loss is tiny; one thread, since two-thread torch slows down badly on a busy 2-core box.
    """
    ids = tokenizer(prompt, add_special_tokens=False).input_ids
    target = tokenizer(" " + answer, add_special_tokens=False).input_ids + [tokenizer.eos_token_id]
    sequence = torch.tensor([[model.config.decoder_start_token_id, *ids, *target]])
    labels = sequence.clone()
    labels[:, : 1 + len(ids)] = -100
    pixels = torch.zeros(1, 3, 32, 32)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model.train()
    try:
        for _ in range(max_steps):
            loss = model(pixel_values=pixels, decoder_input_ids=sequence[:, :-1], labels=labels[:, 1:]).loss
            if loss.item() < 0.005:
                break
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    finally:
        torch.set_num_threads(threads)
        model.eval()
