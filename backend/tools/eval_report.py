"""The `eval` report as text: one method table per squad-style dataset, or the system's figures
for several side by side; and a folder of one's own documents' figures and each document's line,
or several folders side by side with their total (`eval_questions`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend.tools.eval_questions import summarise_set

VIA = {"queue": "the queue", "api": "the REST API"}


def asked_through(report: dict[str, Any]) -> str:
    """How the report's questions were asked, in words."""
    via = report.get("via", "queue")
    return VIA.get(via, via)


def format_report(report: dict[str, Any]) -> str:
    """The report as one aligned table."""
    cols = ["hit@1", "hit@5", "mrr", "cited@5", "containment", "not_found", "p50_ms", "p95_ms"]
    width = max(len(m) for m in report["methods"]) + 2
    lines = [
        f"{report['dataset']}: {report['questions']} questions (seed {report['seed']})",
        "method".ljust(width) + "".join(c.rjust(12) for c in cols),
    ]
    for name, figures in report["methods"].items():
        lines.append(name.ljust(width) + "".join(f"{figures[c]:>12}" for c in cols))
    lines.append(
        "hit@k and mrr: the ranked sources before the 'not found' decision; cited@5: a "
        "source cited with the answer holds it (a refusal cites none); all asked through "
        f"{asked_through(report)}."
    )
    nf = report.get("not_found")
    if nf:
        lines.append(
            f"not found: held out {', '.join(nf['held_out'])}; questions about them refused "
            f"{nf['absent_refused']:.1%}, answerable ones refused {nf['present_refused']:.1%}, "
            f"precision of 'not found' {nf['precision']}"
        )
    each = report.get("absent_each")
    if each:
        lines.append(
            f"not found, each article missing in turn ({_per_article(each)}, asked of the "
            f"other documents): refused {each['absent_refused']:.1%}; "
            f"answered with a gold answer another document holds {each['answered_from_others']:.1%}"
        )
    return "\n".join(lines)


SIDE_BY_SIDE = [
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr", "mrr"),
    ("cited@5", "cited@5"),
    ("containment", "containment"),
    ("answerable refused", "not_found"),
    ("p50 ms", "p50_ms"),
    ("p95 ms", "p95_ms"),
]


def format_side_by_side(reports: list[dict[str, Any]]) -> str:
    """The system's figures for several datasets, one column each."""
    names = [Path(r["dataset"]).name for r in reports]
    width = 22
    lines = [
        f"system (hybrid + sentence rerank), {reports[0]['questions']} questions each, "
        f"seed {reports[0]['seed']}, asked through {asked_through(reports[0])}",
        "".ljust(width) + "".join(n.rjust(14) for n in names),
    ]
    system = "hybrid + sentence rerank (system)"
    for label, key in SIDE_BY_SIDE:
        values = [r["methods"][system][key] for r in reports]
        lines.append(label.ljust(width) + "".join(f"{v:>14}" for v in values))
    absent = [r.get("not_found", {}).get("absent_refused") for r in reports]
    lines.append("absent refused".ljust(width) + "".join(f"{v!s:>14}" for v in absent))
    each = [r.get("absent_each", {}).get("absent_refused") for r in reports]
    lines.append("absent, each article".ljust(width) + "".join(f"{v!s:>14}" for v in each))
    others = [r.get("absent_each", {}).get("answered_from_others") for r in reports]
    lines.append("  answered from others".ljust(width) + "".join(f"{v!s:>14}" for v in others))
    return "\n".join(lines)


def _per_article(each: dict[str, Any]) -> str:
    """How many questions of each article the 'each article missing' check asked."""
    if each["questions_per_article"]:
        return f"{each['questions_per_article']} questions each"
    return f"every question, {each.get('questions', 0)} in all"


def format_question_set(report: dict[str, Any], via: str) -> str:
    """One folder's report: the figures, then each document's."""
    f = report["figures"]
    lines = [
        f"{report['dataset']}: {report['documents']} documents ({report['ready']} ready), "
        f"{f['questions']} questions asked through {via}",
        *_figure_lines(f),
        "per document (answerable right, unanswerable refused):",
    ]
    width = max((len(name) for name in report["per_document"]), default=8) + 2
    for name, d in report["per_document"].items():
        note = "" if d["outcome"] == "ready" else f"  ({d['outcome']})"
        line = (
            f"  {name.ljust(width)}{d['right']:>3}/{d['answerable']:<3}"
            f"{d['unanswerable_refused']:>5}/{d['unanswerable']:<3}{note}"
        )
        lines.append(line.rstrip())
    return "\n".join(lines)


def _figure_lines(f: dict[str, Any]) -> list[str]:
    lines = [
        f"  answerable {f['answerable']}: right {_share(f['right'], f['answerable'])}, "
        f"cited@5 {_share(f['cited@5'], f['answerable'])}, "
        f"refused {_share(f['answerable_refused'], f['answerable'])}",
        f"  unanswerable {f['unanswerable']}: refused "
        f"{_share(f['unanswerable_refused'], f['unanswerable'])}",
        f"  p50 {f['p50_ms']:.0f} ms, p95 {f['p95_ms']:.0f} ms",
    ]
    if f["failed"]:
        lines.append(f"  {f['failed']} questions failed (see --dump for their reasons)")
    return lines


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "0/0"


def format_question_sets(reports: list[dict[str, Any]], via: str) -> str:
    """Several folders: each one's figures in a column, and all of them together."""
    names = [Path(r["dataset"]).name for r in reports] + ["all"]
    every = summarise_set([row for r in reports for row in r["rows"]])
    figures = [r["figures"] for r in reports] + [every]
    width, col = 22, max(16, *(len(n) + 2 for n in names))
    lines = [
        f"own documents, one account per folder, asked through {via}",
        "".ljust(width) + "".join(n.rjust(col) for n in names),
    ]
    for label, part, whole in (
        ("answerable right", "right", "answerable"),
        ("cited@5", "cited@5", "answerable"),
        ("answerable refused", "answerable_refused", "answerable"),
        ("unanswerable refused", "unanswerable_refused", "unanswerable"),
    ):
        cells = [f"{f[part]}/{f[whole]}" for f in figures]
        lines.append(label.ljust(width) + "".join(c.rjust(col) for c in cells))
    lines.append(
        "p50 / p95 ms".ljust(width)
        + "".join(f"{f['p50_ms']:.0f} / {f['p95_ms']:.0f}".rjust(col) for f in figures)
    )
    not_ready = [
        f"{Path(r['dataset']).name}/{name}: {d['outcome']}"
        for r in reports
        for name, d in r["per_document"].items()
        if d["outcome"] != "ready"
    ]
    lines.extend(f"not ready: {line}" for line in not_ready)
    return "\n".join(lines)
