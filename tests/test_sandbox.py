"""Every file is extracted in a child process that is stopped when it takes too long."""

from __future__ import annotations

import pytest

from backend.documents.ingest import ExtractionError
from backend.documents.ingest.sandbox import extract_isolated
from tests import pdfs


def test_pages_come_back_from_the_child_process():
    data = pdfs.text_pdf([["First page sentence."], ["Second page sentence."]])
    result = extract_isolated(data, "two.pdf", timeout=60)
    assert result.content_type == "application/pdf"
    assert result.page_count == 2
    assert [p.number for p in result.pages] == [1, 2]
    assert "Second page sentence." in result.pages[1].text


def test_rejections_keep_their_sentence():
    with pytest.raises(ExtractionError, match="encrypted; upload an unencrypted copy"):
        extract_isolated(pdfs.encrypted_pdf(), "locked.pdf", timeout=60)


def test_a_parse_past_the_time_limit_is_stopped_with_a_sentence():
    with pytest.raises(ExtractionError, match="took longer than 0 seconds"):
        extract_isolated(pdfs.text_pdf(), "slow.pdf", timeout=0.01)


def test_limits_are_passed_to_the_child():
    data = pdfs.text_pdf([["a."], ["b."], ["c."]])
    with pytest.raises(ExtractionError, match="limit is 2"):
        extract_isolated(data, "long.pdf", timeout=60, max_pages=2)


@pytest.mark.parametrize(("filename", "loads_pdf_parser"), [("notes.txt", False), ("a.pdf", True)])
def test_the_pdf_parser_is_loaded_for_pdfs_only(filename, loads_pdf_parser):
    """Each file is read in a fresh interpreter: text, Markdown and HTML files do not pay for
    loading pypdf (most of the child's start-up)."""
    import subprocess
    import sys
    from pathlib import Path

    data = pdfs.text_pdf() if filename.endswith(".pdf") else b"Plain words in a text file."
    script = (
        "import sys; from backend.documents.ingest.extract import extract; "
        f"extract(sys.stdin.buffer.read(), {filename!r}); print('pypdf' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=data,
        capture_output=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.stdout.decode().strip() == str(loads_pdf_parser)
