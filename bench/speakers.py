"""Speaker attribution benchmark: is every word Sosie gives the subject really theirs?

``python bench/speakers.py [--seed 12] [--words 20000] [--repeat 5] [--json FILE]``

A labelled set (``tests/conventions.py``): one dialogue per transcript convention x variant
(13 x 3 files, about 20,000 words), each with the true speaker of every turn. Each file is
ingested into a temporary Store, and per convention and overall this prints

* precision: of the words stored as the subject's passages, the share that really are the
  subject's (multiset intersection of word tokens, per file);
* recall: of the subject's true words, the share kept;
* Q/A pairs: found pairs whose question and answer equal a true pair (after whitespace
  normalisation), of the true pairs, and how many pairs were found at all;
* throughput (MB/s and words/s of all speakers) of ``ingest``, as a ratio to the same ingest
  with the frozen pre-issue-12 reader (``bench/baseline_speakers.py``) swapped in for
  ``sosie.corpus.ingest.detect``; the baseline's precision and recall are shown too.

Targets: precision >= 99.5%, recall >= 99%, throughput >= 0.8x the baseline. A benchmark
reports: it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests"), str(HERE)]

import baseline_speakers  # noqa: E402
import conventions as cv  # noqa: E402

from sosie.corpus.speakers import Subject, Transcript  # noqa: E402
from sosie.corpus.store import Store  # noqa: E402

INGEST = importlib.import_module("sosie.corpus.ingest")  # the module, not the function of that name
TARGETS = {"precision": 0.995, "recall": 0.99, "throughput": 0.8}


def _old_subject(subject) -> baseline_speakers.Subject:
    return baseline_speakers.Subject(subject.name, tuple(getattr(subject, "aliases", ())))


def baseline_detect(source, subject, speakers=None, single_speaker=False, label_pattern=None) -> Transcript:
    """What ``detect`` returns, made from the baseline's ``split_turns``."""
    kind, turns = baseline_speakers.split_turns(source, _old_subject(subject))
    return Transcript(kind, "baseline", turns, list(source.locators))


@contextmanager
def reader(which: str) -> Iterator[None]:
    """``"current"``: Sosie as it is; ``"baseline"``: the frozen reader patched into ingest."""
    if which == "current":
        yield
        return
    original = INGEST.detect
    INGEST.detect = baseline_detect
    try:
        yield
    finally:
        INGEST.detect = original


@dataclass
class Pass:
    scores: dict[str, cv.Score]  # per case ("4b")
    seconds: dict[str, float]
    problems: dict[str, str]  # per case: the first mismatch, if any


def run_pass(rendered: list[cv.Rendered], paths: list[Path], folder: Path, which: str) -> Pass:
    """Ingest every file (one ``ingest`` call each: each has its own speaker mapping) into a fresh
    Store; only the ``ingest`` calls are timed."""
    folder.mkdir(parents=True)
    store = Store(folder / "sosie.db")
    out = Pass({}, {}, {})
    try:
        with reader(which):
            for r, path in zip(rendered, paths, strict=True):
                subject = Subject(name=r.truth.subject, aliases=r.truth.aliases)
                kwargs = cv.ingest_kwargs(r.truth.speakers)
                start = time.perf_counter()
                report = INGEST.ingest(store, [path], subject, **kwargs)
                out.seconds[r.truth.case] = time.perf_counter() - start
                found = cv.stored(store, path)
                found.failed = [message for _, message in report.failed]
                out.scores[r.truth.case] = cv.score(found, r.truth)
                problem = cv.mismatch(found, r)
                if problem:
                    out.problems[r.truth.case] = problem
    finally:
        store.close()
    return out


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def summarise(rendered: list[cv.Rendered], current: Pass, baseline: Pass,
              times: dict[str, dict[str, float]]) -> dict:
    sizes = {r.truth.case: len(r.data) for r in rendered}
    words = {r.truth.case: r.truth.words for r in rendered}
    groups: dict[str, list[str]] = {str(c): [f"{c}{v}" for v in cv.VARIANTS] for c in cv.CONVENTIONS}
    groups["all"] = [r.truth.case for r in rendered]

    def row(cases: list[str]) -> dict:
        s = sum((current.scores[c] for c in cases[1:]), current.scores[cases[0]])
        b = sum((baseline.scores[c] for c in cases[1:]), baseline.scores[cases[0]])
        t_cur = sum(times["current"][c] for c in cases)
        t_base = sum(times["baseline"][c] for c in cases)
        mb = sum(sizes[c] for c in cases) / 2**20
        n_words = sum(words[c] for c in cases)
        return {
            "files": len(cases), "bytes": sum(sizes[c] for c in cases), "words": n_words,
            "subject_words": s.true_words, "stored_words": s.stored_words,
            "precision": s.precision, "recall": s.recall,
            "pairs_true": s.pairs_true, "pairs_found": s.pairs_found, "pairs_correct": s.pairs_correct,
            "seconds": t_cur, "mb_per_s": mb / t_cur, "words_per_s": n_words / t_cur,
            "baseline": {"precision": b.precision, "recall": b.recall, "pairs_correct": b.pairs_correct,
                         "seconds": t_base, "mb_per_s": mb / t_base, "words_per_s": n_words / t_base},
            "throughput_ratio": t_base / t_cur,
        }

    rows = {key: row(cases) for key, cases in groups.items()}
    cases = {}
    for r in rendered:
        c = r.truth.case
        sc = current.scores[c]
        cases[c] = {"file": r.filename, "precision": sc.precision, "recall": sc.recall,
                    "pairs_true": sc.pairs_true, "pairs_found": sc.pairs_found,
                    "pairs_correct": sc.pairs_correct, "problem": current.problems.get(c)}
    overall = rows["all"]
    verdicts = {"precision": overall["precision"] >= TARGETS["precision"],
                "recall": overall["recall"] >= TARGETS["recall"],
                "throughput": overall["throughput_ratio"] >= TARGETS["throughput"]}
    return {"conventions": {k: v for k, v in rows.items() if k != "all"}, "overall": overall,
            "cases": cases, "targets": TARGETS, "pass": verdicts}


def show(result: dict, meta: dict) -> None:
    header = ["conv", "convention", "subj words", "precision", "recall", "Q/A ok/true (found)",
              "MB/s", "vs base", "base P", "base R"]
    lines = []
    for key, row in [*result["conventions"].items(), ("all", result["overall"])]:
        name = cv.CONVENTIONS[int(key)].name if key != "all" else "overall"
        b = row["baseline"]
        lines.append([key, name, str(row["subject_words"]), pct(row["precision"]), pct(row["recall"]),
                      f"{row['pairs_correct']}/{row['pairs_true']} ({row['pairs_found']})",
                      f"{row['mb_per_s']:.2f}", f"{row['throughput_ratio']:.2f}x",
                      pct(b["precision"]), pct(b["recall"])])
    title = (f"Speaker attribution: {meta['files']} files, {meta['words']} words "
             f"({meta['subject_words']} the subject's), seed {meta['seed']}, best of {meta['repeat']}; "
             f"baseline = frozen reader via {meta['patched']}")
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i < 2 else "right")
        for i, line in enumerate(lines):
            table.add_row(*line, end_section=i == len(lines) - 2)
        Console(width=140).print(table)
    except ImportError:
        print(title)
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
        for line in [header, *lines]:
            print("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                            for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
    problems = {c: v["problem"] for c, v in result["cases"].items() if v["problem"]}
    if problems:
        print(f"\nFirst mismatch in each of the {len(problems)} imperfect files:")
        for case, problem in problems.items():
            print(f"  {case:>4}: " + problem.splitlines()[0][:150])
            for extra in problem.splitlines()[1:3]:
                print(f"        {extra[:150]}")
    o = result["overall"]
    print("\nTargets:")
    checks = [("precision", pct(o["precision"]), ">= 99.5%"), ("recall", pct(o["recall"]), ">= 99%"),
              ("throughput", f"{o['throughput_ratio']:.2f}x the baseline "
               f"({o['mb_per_s']:.2f} vs {o['baseline']['mb_per_s']:.2f} MB/s, "
               f"{o['words_per_s']:,.0f} vs {o['baseline']['words_per_s']:,.0f} words/s)", ">= 0.8x")]
    for key, value, target in checks:
        print(f"  {key:<11} {value:<60} target {target:<9} {'PASS' if result['pass'][key] else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--words", type=int, default=20000, help="about this many words in all")
    parser.add_argument("--repeat", type=int, default=9, help="timed passes per reader (best of)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rendered = cv.bench_set(args.seed, args.words)
    times: dict[str, dict[str, float]] = {"current": {}, "baseline": {}}
    first: dict[str, Pass] = {}
    with tempfile.TemporaryDirectory(prefix="sosie-bench-speakers-") as tmp:
        root = Path(tmp)
        files = root / "files"
        files.mkdir()
        paths = []
        for r in rendered:
            (files / r.filename).write_bytes(r.data)
            paths.append(files / r.filename)
        for rep in range(max(1, args.repeat)):
            # alternate which reader goes first, so drift on a shared machine hits both alike
            for which in (("current", "baseline") if rep % 2 == 0 else ("baseline", "current")):
                result = run_pass(rendered, paths, root / f"{which}-{rep}", which)
                first.setdefault(which, result)
                for case, seconds in result.seconds.items():
                    times[which][case] = min(seconds, times[which].get(case, float("inf")))
    result = summarise(rendered, first["current"], first["baseline"], times)
    meta = {"seed": args.seed, "files": len(rendered), "words": sum(r.truth.words for r in rendered),
            "subject_words": result["overall"]["subject_words"], "repeat": max(1, args.repeat),
            "patched": "detect",
            "elapsed_s": round(time.perf_counter() - started, 2)}
    show(result, meta)
    print(f"\n({meta['elapsed_s']} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, **result}, indent=2), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
