"""Quality and speed commands: `eval` (answer quality on QA datasets, side by side, through
the queue or the REST API) and `bench` (throughput, and the vector store at scale)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from backend.config import get_settings
from backend.runtime import build_runtime


def cmd_eval(args: argparse.Namespace) -> int:
    from backend.errors import InvalidInput
    from backend.tools.eval_askers import api_asker, queue_asker
    from backend.tools.eval_questions import is_question_set, run_question_set
    from backend.tools.eval_report import (
        VIA,
        format_question_set,
        format_question_sets,
        format_report,
        format_side_by_side,
    )
    from backend.tools.evaluation import run_eval

    folders = [Path(d) for d in args.dataset]
    for folder in folders:
        if not is_question_set(folder) and not (folder / "qa.jsonl").is_file():
            raise InvalidInput(
                f"{folder}: neither a questions.tsv beside documents nor a squad-style "
                "dataset (docs/ and qa.jsonl)."
            )
    rt = build_runtime(get_settings())
    several = len(folders) > 1
    local, _, domain = args.user.partition("@")
    squad, own = [], []
    with api_asker(rt) if args.via == "api" else _given(queue_asker(rt, args.timeout)) as ask:
        for folder in folders:
            email = f"{local}-{folder.name}@{domain}" if several else args.user
            dump = Path(args.dump) / f"{folder.name}-{args.via}.jsonl" if args.dump else None
            if is_question_set(folder):
                report = run_question_set(
                    rt, folder, email=email, timeout=args.timeout, ask=ask, dump=dump
                )
                own.append(report)
            else:
                report = run_eval(
                    rt, folder, sample=args.sample, seed=args.seed, email=email,
                    timeout=args.timeout, ask=ask, system_only=several or args.via == "api",
                    dump=dump,
                )  # fmt: skip
                squad.append(report)
            report["via"] = args.via
    if args.json:
        reports = [{k: v for k, v in r.items() if k != "rows"} for r in squad + own]
        print(json.dumps(reports if several else reports[0], indent=2))
        return 0
    parts = []
    if squad:
        parts.append(format_side_by_side(squad) if len(squad) > 1 else format_report(squad[0]))
    if own:
        via = VIA[args.via]
        parts.append(format_question_sets(own, via) if len(own) > 1 else "")
        parts.extend(format_question_set(r, via) for r in own)
    print("\n\n".join(p for p in parts if p))
    return 0


@contextmanager
def _given(value: Any) -> Iterator[Any]:
    yield value


def cmd_bench(args: argparse.Namespace) -> int:
    if args.scale:
        from backend.tools.scale_bench import format_scale, run_scale

        report = run_scale(million=args.million)
        print(json.dumps(report, indent=2) if args.json else format_scale(report))
        return 0
    from backend.tools.bench import format_bench, run_bench

    report = run_bench(Path(args.dataset), questions=args.questions)
    print(json.dumps(report, indent=2) if args.json else format_bench(report))
    return 0


def add_parsers(sub: Any) -> None:
    """The eval and bench commands' grammar."""
    p = sub.add_parser(
        "eval", help="answer quality on a QA dataset or on one's own documents"
    )
    p.add_argument("dataset", nargs="+",
                   help="folders with docs/ and qa.jsonl (squad's format), or documents "
                        "beside a questions.tsv (file, question, phrase or '-'); several: "
                        "side by side")
    p.add_argument("--via", choices=["queue", "api"], default="queue",
                   help="ask through the services and queue, or through the REST API")
    p.add_argument("--dump", help="a folder for one JSON line per question (to study misses)")
    p.add_argument("--sample", type=int, default=300,
                   help="questions of a squad-style dataset to ask (0: all); a questions.tsv "
                        "is asked whole")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--user", default="eval@localhost")
    p.add_argument("--json", action="store_true")
    p.add_argument("--timeout", type=float, default=600)
    p = sub.add_parser("bench", help="embedding, ingestion and ask throughput")
    p.add_argument("dataset", nargs="?", default="../shared/datasets/squad-dev")
    p.add_argument("--questions", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--scale", action="store_true", help="the vector store at 10 k and 100 k points instead"
    )
    p.add_argument("--million", action="store_true", help="with --scale: add 1 M points")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"eval": cmd_eval, "bench": cmd_bench}
