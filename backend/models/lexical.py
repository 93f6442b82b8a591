"""Per-account lexical statistics: in how many of a document's chunks each BM25 term occurs,
so a term's IDF is computed over the asking account's own library (backend/retrieval/term_stats)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class DocumentTerm(Base):
    __tablename__ = "document_terms"
    __table_args__ = (Index("ix_document_terms_user_term", "user_id", "term_id"),)

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    # The document's owner, repeated here so a question's document frequencies are one index
    # range per term instead of a walk over the owner's documents.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The BM25 sparse index of the term (a 32-bit hash made non-negative: up to 2**31, one
    # more than a signed INTEGER holds).
    term_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chunks: Mapped[int] = mapped_column(Integer)
