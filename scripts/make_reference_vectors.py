"""Write tests/data/minilm_reference.json: all-MiniLM-L6-v2 embeddings from sentence-transformers.

The project itself runs the model on onnxruntime without torch; these vectors are what the real
library returns, so the tests can check the hand-built ONNX graph against them.

Run it in a throwaway virtualenv outside the repository (torch is pinned: 2.13.0 is a CPU wheel),
with the repository's own virtualenv site-packages only used to find the model files:

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python scripts/make_reference_vectors.py \
        --model-dir "$(.venv/bin/python -c \
            'from backend.retrieval.model_files import model_dir; print(model_dir())')"
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "minilm_reference.json"

_LONG_HISTORY = (
    "The printing press, developed by Johannes Gutenberg around 1440, transformed the way "
    "knowledge spread across Europe. Before movable type, books were copied by hand, which made "
    "them rare and expensive; a single Bible could take a scribe more than a year. Within fifty "
    "years of Gutenberg's first press, printing shops had opened in more than two hundred "
    "cities, and millions of volumes were in circulation. Historians argue that this flood of "
    "printed material fed the Reformation, the Scientific Revolution and the rise of literacy "
    "among merchants and artisans. Pamphlets could be produced overnight, letting reformers "
    "answer their critics within days rather than months. Standardised texts also made it "
    "possible for scholars in distant countries to refer to the same page and line, which "
    "encouraged the exchange of corrections and new observations. "
)
_LONG_CONTRACT = (
    "Section 14.2 (Termination for Convenience). Either party may terminate this Agreement for "
    "convenience upon ninety (90) days' prior written notice to the other party. Upon any such "
    "termination, the Customer shall pay all fees accrued through the effective date of "
    "termination, including any non-cancellable commitments entered into by the Supplier in "
    "reliance on this Agreement prior to receipt of the notice. The Supplier shall, within "
    "thirty (30) days after the effective date, return or destroy all Confidential Information "
    "of the Customer and certify such return or destruction in writing. "
)

TEXTS: list[str] = [
    "What is the capital of France?",
    "How do I reset my password?",
    "Who wrote the termination clause?",
    "hello",
    "A",
    "",
    "The quick brown fox jumps over the lazy dog.",
    "Revenue grew 12.5% year over year to $4,320,000 in Q3 2023.",
    "Call +1 (555) 010-9999 before 17:30 on 2024-02-29.",
    "Version 3.14.159 fixes CVE-2023-12345 and bug #42.",
    "Café déjà vu: naïve façade, coöperate, Straße and smörgåsbord.",
    "東京は日本の首都です。",
    "Привет, как дела? Это тестовое предложение.",
    "Emoji test 🚀🔥 with mixed content ✓ and arrows → ←.",
    "E = mc² and ∑ᵢ xᵢ² ≥ 0 for all real xᵢ.",
    "THE CONTRACT SHALL BE GOVERNED BY THE LAWS OF THE STATE OF NEW YORK.",
    "   leading and trailing whitespace   ",
    "def embed(texts):\n    return model.encode(texts, normalize_embeddings=True)",
    "Line one.\nLine two.\tTabbed text.",
    "The mitochondria is the powerhouse of the cell, producing ATP through respiration.",
    _LONG_HISTORY,
    _LONG_HISTORY * 3,
    _LONG_CONTRACT * 4,
    " ".join(f"item{i} costs {i * 7 % 100} dollars" for i in range(120)),
]


def main() -> None:
    """Compute the reference vectors with sentence-transformers and write them as JSON."""
    from sentence_transformers import SentenceTransformer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", required=True, help="folder from model_files.model_dir()")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    model = SentenceTransformer(args.model_dir, device="cpu")
    if model.max_seq_length != 256:
        raise SystemExit(f"unexpected max_seq_length {model.max_seq_length}")
    vectors = model.encode(TEXTS, batch_size=8, normalize_embeddings=True, convert_to_numpy=True)
    token_counts = [len(model.tokenizer(text)["input_ids"]) for text in TEXTS]
    payload: dict[str, Any] = {
        "model": MODEL_NAME,
        "max_seq_length": model.max_seq_length,
        "token_counts_untruncated": token_counts,
        "texts": TEXTS,
        "vectors": [[round(float(x), 6) for x in row] for row in vectors],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(TEXTS)} vectors to {args.output}; token counts {token_counts}")


if __name__ == "__main__":
    main()
