"""The lexical signal: Qdrant's own BM25 (English Snowball stemmer and stop words).

Chunks are stored with `document_vector` (term-frequency weights); questions are searched with
`query_vector` (each term once), each term weighted by its IDF over the asking account's own
chunks (`term_stats`), and the engine's dot product of the two scores as BM25. Both read the
text with Latin accents dropped (`fold_text`), so "Celoron" finds "Céloron". The same
embedder serves the embedded shard and a Qdrant server, so a collection moves between them
without re-embedding.

`content_terms` gives the same kind of terms as readable strings, for the sentence rerank
(which compares a question's words with each sentence's, and corrects misspellings).
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from qdrant_edge import Bm25, Bm25Config

# Typical chunk length in BM25 tokens (words after stop words; chunks hold up to 160 model
# tokens). BM25's length normalisation compares each chunk with this.
AVERAGE_CHUNK_TERMS = 80.0

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also may might must shall s t""".split()
)


@dataclass(frozen=True)
class Sparse:
    """A sparse vector: term ids (ascending) and their weights."""

    indices: list[int]
    values: list[float]


@lru_cache(maxsize=1)
def _bm25() -> Bm25:
    return Bm25(Bm25Config(language="english", avg_len=AVERAGE_CHUNK_TERMS))


# Passages with equal BM25 scores are common (one shared rare word each); the engine orders
# such ties by storage order, which depends on which worker stored a document first, so the
# same documents in two accounts could rank differently. Every weight of a passage is scaled
# by 1 + TIE_BREAK * h, h in [0, 1) from its text: scores move by at most a millionth, and a
# tie is broken by the passages' content, the same in every account.
TIE_BREAK = 1e-6
# How the BM25 vectors are made; it changes when the terms do (stored with each document with
# the encoder's version, so documents made otherwise are embedded again).
LEXICAL_VERSION = "bm25-folded"


def _tie_break(text: str) -> float:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest()
    return 1.0 + TIE_BREAK * int.from_bytes(digest, "big") / 2**32


def document_vector(text: str) -> Sparse:
    """A chunk's BM25 term-frequency weights (the question's weights carry the IDF), with
    ties between passages broken by their text (see TIE_BREAK)."""
    vector = _bm25().embed_document(fold_text(text))
    scale = _tie_break(text)
    return Sparse(list(vector.indices), [float(v) * scale for v in vector.values])


def query_vector(text: str) -> Sparse:
    """A question's terms, each with weight 1."""
    vector = _bm25().embed_query(fold_text(text))
    return Sparse(list(vector.indices), [float(v) for v in vector.values])


_stemmers = threading.local()


# Stemming is pure Python and was most of an answer's time (the pool's sentences hold about
# 700 words a question); a language's words repeat, so each is stemmed once per process.
STEM_CACHE_WORDS = 200_000


@lru_cache(maxsize=STEM_CACHE_WORDS)
def _stem_word(word: str) -> str:
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:  # snowballstemmer objects keep state: one per thread
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def _stem(words: list[str]) -> list[str]:
    return [_stem_word(word) for word in words]


CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


# Latin letters that carry their mark in their shape, not as a combining accent.
_UNMARKED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th"}
)


@lru_cache(maxsize=STEM_CACHE_WORDS)
def fold_accents(word: str) -> str:
    """A lower-case word with its Latin letters' accents dropped ("céloron" -> "celoron",
    "skłodowska" -> "sklodowska"), as people type names they cannot spell on their keyboard;
    letters of other scripts are kept as they are (a kana's voicing mark is part of it)."""
    if word.isascii():
        return word
    out = []
    for char in word.translate(_UNMARKED):
        base = unicodedata.normalize("NFD", char)
        out.append(base[0] if base[0].isascii() and len(base) > 1 else char)
    return "".join(out)


def fold_text(text: str) -> str:
    """The text with each word holding a Latin accent lower-cased and folded (`fold_accents`):
    the engine's BM25 then reads "Céloron" as "celoron", as a plain keyboard types it."""
    if text.isascii():
        return text
    return WORD_RE.sub(
        lambda m: m.group() if m.group().isascii() else fold_accents(m.group().lower()), text
    )


def content_terms(text: str) -> list[str]:
    """The text's meaningful words, lower-cased, accents dropped (`fold_accents`) and
    Snowball-stemmed, stop words left out; runs of Chinese, Japanese or Korean characters
    (written without spaces) as overlapping character pairs, the usual unit for matching
    them."""
    words = []
    pairs: list[str] = []
    for raw in WORD_RE.findall(text.lower()):
        if CJK_RUN.search(raw):
            for run in CJK_RUN.findall(raw):
                pairs.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
            continue
        word = fold_accents(raw.replace("’", "'").split("'")[0])
        if word and word not in STOPWORDS:
            words.append(word)
    return _stem(words) + pairs
