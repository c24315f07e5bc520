"""Whose words, on real public records: is every word Sosie gives the subject really theirs?

``python bench/real_records.py [--repeat 3] [--json FILE]``

The sets of ``tests/data/real/`` (press briefings, congressional hearings, a court transcript, a
central bank's press conferences, an oral history, a podcast, a scraped dataset, speech-to-text
JSON), each file the bytes its publisher put out, each with a gold parser of its own
(``tests/real/gold_SET.py``). Every file is ingested into a real store with only the subject's
name and aliases, then per set and overall this prints precision (of the words stored as the
subject's, the share that are), recall (of the subject's words, the share kept), Q/A pairs (found
with the right question, of the true ones, and found at all), and ingestion throughput.

The baseline is the reader as it was when the real-records issue was filed (commit
``BASELINE``): its ``sosie`` package is exported from git into a temporary folder and run in a
child process on the same files, scored by the same harness, in the same run, the two taking
turns (best of ``--repeat``). Without git history the baseline is skipped and says so.

Targets: precision >= 99.5% on every set, recall >= 98%, throughput >= 0.8x the baseline. A
benchmark reports: it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests" / "real"), str(REPO / "tests")]

import records  # noqa: E402

TARGETS = {"precision": 0.995, "recall": 0.98, "throughput": 0.8}
BASELINE = "56f9237"  # main when the issue was filed: the reader a user had then

# run in the child: score every set with whatever `sosie` is first on the path, print JSON
CHILD = """
import json, sys, tempfile
from pathlib import Path
sys.path[:0] = [sys.argv[1]]
import records
out = {}
with tempfile.TemporaryDirectory() as tmp:
    for name in sys.argv[3:]:
        (Path(tmp) / name).mkdir()
        out[name] = [vars(s) for s in records.score_set(name, Path(sys.argv[2]), Path(tmp) / name)]
print(json.dumps(out))
"""


def run_current(root: Path, names: list[str], folder: Path) -> dict[str, list[records.FileScore]]:
    out = {}
    for name in names:
        (folder / name).mkdir(parents=True)
        out[name] = records.score_set(name, root, folder / name)
    return out


def export_baseline(into: Path) -> bool:
    """The baseline's ``sosie`` package, from git, into ``into``; False without the history."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", BASELINE, "sosie"], capture_output=True)
    if archive.returncode != 0:
        return False
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return True


def run_baseline(code: Path, root: Path, names: list[str]) -> dict[str, list[records.FileScore]]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(REPO / "tests" / "real"), str(root), *names],
                          capture_output=True, text=True, env=env, check=True, cwd=code)
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: [records.FileScore(**row) for row in rows] for name, rows in raw.items()}


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def table(names: list[str], cur: dict, base: dict | None, best: dict) -> dict[str, dict]:
    rows = {}
    for name in [*names, "all"]:
        group = names if name == "all" else [name]
        now = records.total([s for n in group for s in cur[n]])
        row = {"files": sum(len(cur[n]) for n in group), "bytes": now.size, "subject_words": now.true_words,
               "stored_words": now.stored_words, "precision": now.precision, "recall": now.recall,
               "pairs_true": now.pairs_true, "pairs_found": now.pairs_found,
               "pairs_correct": min(now.pairs_correct, now.pairs_true),
               "refused": sum(1 for n in group for s in cur[n] if s.failed),
               "mb_per_s": now.size / 2**20 / sum(best["current"][n] for n in group)}
        if base is not None:
            then = records.total([s for n in group for s in base[n]])
            seconds = sum(best["baseline"][n] for n in group)
            row["baseline"] = {"precision": then.precision, "recall": then.recall,
                               "pairs_correct": min(then.pairs_correct, then.pairs_true),
                               "mb_per_s": now.size / 2**20 / seconds}
            row["throughput_ratio"] = row["mb_per_s"] / row["baseline"]["mb_per_s"]
        rows[name] = row
    return rows


def show(rows: dict[str, dict], with_base: bool) -> None:
    header = ["set", "files", "subj words", "precision", "recall", "Q/A ok/true (found)", "refused", "MB/s"]
    if with_base:
        header += ["vs base", "base P", "base R", "base Q/A"]
    lines = []
    for k, r in rows.items():
        line = [k, str(r["files"]), str(r["subject_words"]), pct(r["precision"]), pct(r["recall"]),
                f"{r['pairs_correct']}/{r['pairs_true']} ({r['pairs_found']})", str(r["refused"]),
                f"{r['mb_per_s']:.2f}"]
        if with_base:
            b = r["baseline"]
            line += [f"{r['throughput_ratio']:.2f}x", pct(b["precision"]), pct(b["recall"]),
                     str(b["pairs_correct"])]
        lines.append(line)
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    for line in [header, *lines]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths,
                                                                                              strict=True))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per reader (best of)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    root = records.records_root()
    if root is None:
        print("real records: none on this machine (tests/data/real or $SOSIE_REAL_RECORDS); skipped")
        return 0
    names = [n for n in records.set_names() if (root / n).is_dir()]
    started = time.perf_counter()
    best: dict[str, dict[str, float]] = {"current": {}, "baseline": {}}
    first: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="sosie-bench-real-") as tmp:
        code = Path(tmp) / "baseline"
        code.mkdir()
        has_base = export_baseline(code)
        for rep in range(max(1, args.repeat)):
            order = ("current", "baseline") if rep % 2 == 0 else ("baseline", "current")
            for which in order:
                if which == "baseline" and not has_base:
                    continue
                result = (run_current(root, names, Path(tmp) / f"{which}-{rep}") if which == "current"
                          else run_baseline(code, root, names))
                first.setdefault(which, result)
                for name, scores in result.items():
                    seconds = sum(s.seconds for s in scores)
                    best[which][name] = min(seconds, best[which].get(name, float("inf")))
    rows = table(names, first["current"], first.get("baseline"), best)
    files, repeats = rows["all"]["files"], max(1, args.repeat)
    print(f"Whose words, real records: {files} files of {len(names)} sets, best of {repeats}; "
          + (f"baseline = the reader at {BASELINE} (when the issue was filed), same files, same run"
             if has_base else "no baseline (no git history here)"))
    show(rows, has_base)
    worst = min(rows[n]["precision"] for n in names)
    verdicts = {"precision": worst >= TARGETS["precision"],
                "recall": min(rows[n]["recall"] for n in names) >= TARGETS["recall"]}
    if has_base:
        verdicts["throughput"] = rows["all"]["throughput_ratio"] >= TARGETS["throughput"]
    print(f"\nTargets: precision on every set >= 99.5% (worst {pct(worst)}) "
          f"{'PASS' if verdicts['precision'] else 'FAIL'}; recall on every set >= 98% "
          f"{'PASS' if verdicts['recall'] else 'FAIL'}"
          + (f"; throughput >= 0.8x the baseline ({rows['all']['throughput_ratio']:.2f}x) "
             f"{'PASS' if verdicts['throughput'] else 'FAIL'}" if has_base else ""))
    print(f"({time.perf_counter() - started:.1f} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"sets": rows, "targets": TARGETS, "pass": verdicts}, indent=2),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
