"""The optional LLM answerer: an OpenAI-compatible chat-completions endpoint (Ollama, vLLM,
OpenAI) writes the answer from the retrieved passages and cites them as [1], [2].

It only ever rewrites an answer the extractive answerer found evidence for; on any error or
timeout the extractive answer stands.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from backend.config import Settings

log = logging.getLogger(__name__)
NOT_FOUND_MARK = "NOT_FOUND"
CITATION_RE = re.compile(r"\[(\d+)\]")
MAX_SOURCE_CHARS = 1500

SYSTEM_PROMPT = (
    "You answer questions using only the numbered sources you are given. "
    "Answer in at most three sentences and cite the sources you used as [1], [2]. "
    f"If the sources do not contain the answer, reply with exactly {NOT_FOUND_MARK}."
)


class LLMError(Exception):
    """The endpoint did not give a usable answer."""


@dataclass(frozen=True)
class LLMReply:
    text: str
    found: bool
    cited: list[int]


def build_messages(question: str, sources: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The chat messages: instructions, then numbered sources and the question."""
    numbered = "\n\n".join(
        f"[{i}] ({s['filename']}{', page ' + str(s['page']) if s.get('page') else ''})\n"
        f"{s['text'][:MAX_SOURCE_CHARS]}"
        for i, s in enumerate(sources, 1)
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Sources:\n\n{numbered}\n\nQuestion: {question}"},
    ]


class LLMAnswerer:
    """A client of one chat-completions endpoint."""

    def __init__(self, *, base_url: str, model: str, api_key: str = "", timeout: float = 30.0):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMAnswerer | None:
        """The answerer when LLM_BASE_URL is set, else None."""
        if not settings.llm_base_url:
            return None
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model or "default",
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_seconds,
        )

    def answer(self, question: str, sources: list[dict[str, Any]]) -> LLMReply:
        """Ask the endpoint; raises LLMError on any transport, status or format problem."""
        body = {
            "model": self.model,
            "messages": build_messages(question, sources),
            "temperature": 0,
        }
        try:
            response = httpx.post(self.url, json=body, headers=self.headers, timeout=self.timeout)
            response.raise_for_status()
            text = str(response.json()["choices"][0]["message"]["content"]).strip()
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise LLMError(f"{type(exc).__name__}: {exc}") from exc
        if not text:
            raise LLMError("empty answer")
        if text.upper().startswith(NOT_FOUND_MARK):
            return LLMReply(text=text, found=False, cited=[])
        cited = sorted({int(n) for n in CITATION_RE.findall(text) if 0 < int(n) <= len(sources)})
        return LLMReply(text=text, found=True, cited=cited)
