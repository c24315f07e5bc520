"""Evaluation benchmark: wall time per engine per 100 questions on this machine's CPU.

``python bench/evaluate.py [--limit N] [--max-new-tokens N] [--backend B --model M]`` runs the
full protocol on the demo persona (in a temporary home) and prints the metrics table with the
timings; ``--engines quote,generative:strict,generative:balanced`` compares grounding modes.
``--out FILE`` keeps the metrics (``bench/results/``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from sosie.demo import create_demo_persona
from sosie.evaluate import EvalOptions, evaluate
from sosie.evaluate.judge import JudgeOptions
from sosie.evaluate.report import HEADERS, summary_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="held-out questions (default all)")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--engines", default="quote,generative,baseline")
    parser.add_argument("--backend", help="generative backend (default: the persona's, auto)")
    parser.add_argument("--model", help="model, e.g. qwen2.5-1.5b (default: the best installed)")
    parser.add_argument("--judge", help="also ask this backend which answer is the person's (e.g. auto)")
    parser.add_argument("--judge-model", help="the judge's model, e.g. qwen2.5-1.5b")
    parser.add_argument("--out", type=Path, help="write the metrics here as JSON")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sosie-bench-eval-"))
    try:
        persona = create_demo_persona("rowan", home)
        persona.build()
        metrics = evaluate(persona, EvalOptions(
            engines=args.engines.split(","), limit=args.limit, max_new_tokens=args.max_new_tokens,
            backend=args.backend, model=args.model, report_dir=home / "report",
            judge=JudgeOptions(args.judge, args.judge_model) if args.judge else None,
        ), progress=lambda stage, done, total: print(f"{stage} {done}/{total}", file=sys.stderr, flush=True))
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            slim = {k: v for k, v in metrics.items() if k != "held_out_sources"}
            args.out.write_text(json.dumps({"args": vars(args) | {"out": str(args.out)}, **slim},
                                           indent=1, default=str))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{metrics['questions']} held-out questions (+ as many rewordings), "
          f"{metrics['offtopic_questions']} off-topic; answers capped at {args.max_new_tokens} tokens")
    for name, m in metrics["engines"].items():
        print(f"{name}: {m['seconds']} s in all, {m['seconds_per_100_questions']} s per 100 questions")
    print(" | ".join(HEADERS))
    for row in summary_rows(metrics):
        print(" | ".join(row))
    for name, verdict in (metrics.get("judge") or {}).get("engines", {}).items():
        print(f"judge ({metrics['judge']['model']}) on {name}: {json.dumps(verdict)}")


if __name__ == "__main__":
    main()
