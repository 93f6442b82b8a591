"""The command line goes through the same services and the real queue."""

from __future__ import annotations

import json

import pytest

from backend import cli

pytestmark = pytest.mark.usefixtures("worker")


def test_create_ingest_ask_and_list_tasks(runtime, squad_doc, tmp_path, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "normans.txt").write_bytes(squad_doc.read_bytes())
    (folder / "notes.md").write_text("# Bees\n\nBob keeps **bees** near the old mill.\n")
    (folder / "ignored.bin").write_bytes(b"\x00\x01")

    assert cli.main(["create-user", "alice@example.com", "--password", "a long password"]) == 0
    assert cli.main(["ingest", str(folder), "--user", "alice@example.com", "--wait"]) == 0
    out = capsys.readouterr().out
    assert "normans.txt: ready" in out and "notes.md: ready" in out
    assert "ignored.bin" not in out

    assert (
        cli.main(["ask", "Who conquered England in 1066?", "--user", "alice@example.com", "--json"])
        == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) >= {"answer", "sources", "task_id", "latency_ms"}
    assert "William" in answer["answer"]
    assert set(answer["sources"][0]) >= {
        "document_id",
        "filename",
        "page",
        "chunk_id",
        "text",
        "score",
    }
    assert answer["sources"][0]["filename"] == "normans.txt"

    assert cli.main(["tasks", "--user", "alice@example.com", "--json"]) == 0
    tasks = json.loads(capsys.readouterr().out)
    assert {t["queue"] for t in tasks} == {"document_processing", "question_answering"}
    assert answer["task_id"] in {t["task_id"] for t in tasks}
    assert all(t["state"] == "SUCCESS" for t in tasks)


def test_errors_are_sentences_not_tracebacks(runtime, capsys):
    assert cli.main(["ask", "Anything?", "--user", "nobody@example.com"]) == 1
    assert capsys.readouterr().err.strip() == "error: No account for nobody@example.com."
    assert cli.main(["create-user", "not-an-email", "--password", "a long password"]) == 1
    assert "not a valid email" in capsys.readouterr().err
    assert cli.main(["create-user", "bob@example.com", "--password", "short"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err


def test_first_admin_password_is_generated_once(runtime, capsys, monkeypatch):
    assert cli.main(["create-admin"]) == 0
    first = capsys.readouterr().out
    assert "password:" in first
    assert cli.main(["create-admin"]) == 0
    assert capsys.readouterr().out == ""
