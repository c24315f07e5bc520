"""Crash and concurrency experiments: ``python bench/faults.py`` (part of ``make bench``).

Real ``sosie`` processes on a persona built from the demo corpus, in a temporary home:

* **kill -9 during ``sosie build``** at five moments, found by watching what it has written
  (10% of a build's time; the ``.partial`` folder made; BM25 written; vectors written; the
  index switched but the profile not yet written), then:
  does the workspace check out (SQLite ``integrity_check``, ``index/CURRENT`` names a complete
  build that loads, a quote answer with citations from it, every source still there), and does
  the next build leave exactly one build folder and no debris?
* **kill -9 during ``sosie add``** of a batch of 24 new files, once 1, 6, 12, 18 and 23 of them
  are stored (watched in SQLite): is every file
  either stored whole (with passages) or not at all, is every earlier source still there, and
  does re-running the add finish the batch?
* **concurrent adds** of different files (several processes at once): how many succeed, and
  are all the files stored?
* **two builds at once**: one builds, the other is refused with the build lock's one line (no
  traceback), and the index checks out.

Bounded: ``--max-seconds`` stops starting experiments; ``--runs`` repeats each kill moment.
Prints counts: runs, consistent afterwards, sources lost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import hostile  # bench/hostile.py, beside this file

from sosie import Persona
from sosie.demo import DEMO_DIR

SOSIE = Path(sys.executable).with_name("sosie")
ROWAN = DEMO_DIR / "rowan"
BASE = [ROWAN / "transcripts" / "2016-09-14-lantern-hours-podcast.txt",
        ROWAN / "essays" / "2015-06-03-machines-for-bumping-into-people.md"]
QUESTION = "Why do trains beat planes?"
ADD_BATCH = 24  # files per interrupted add: enough work for the kill moments to land inside it


@dataclass
class Tally:
    runs: int = 0
    consistent: int = 0
    lost: int = 0
    notes: list[str] = field(default_factory=list)

    def row(self, name: str) -> str:
        extra = f"  ({'; '.join(dict.fromkeys(self.notes))[:400]})" if self.notes else ""
        return f"| {name} | {self.runs} | {self.consistent} | {self.lost} |{extra}"


def cli(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, SOSIE_HOME=str(home))
    return subprocess.run([str(SOSIE), *args], env=env, capture_output=True, text=True, timeout=timeout)


def start(home: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, SOSIE_HOME=str(home))
    return subprocess.Popen([str(SOSIE), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def sources(home: Path) -> dict[str, tuple[str, int]]:
    """path -> (sha256, passages) as stored; read with a fresh connection."""
    db = sqlite3.connect(home / "ada" / "sosie.db", timeout=30)
    try:
        rows = db.execute("SELECT s.path, s.sha256, COUNT(p.id) FROM sources s "
                          "LEFT JOIN passages p ON p.source_id = s.id GROUP BY s.id").fetchall()
    finally:
        db.close()
    return {path: (sha, n) for path, sha, n in rows}


def check(home: Path, before: dict[str, tuple[str, int]]) -> tuple[bool, int, str]:
    """(consistent, sources lost, why not) for the workspace as a crash left it."""
    db = sqlite3.connect(home / "ada" / "sosie.db", timeout=30)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    now = sources(home)
    lost = sum(1 for path, (sha, _) in before.items() if now.get(path, ("", 0))[0] != sha)
    if integrity != "ok":
        return False, lost, f"integrity_check: {integrity}"
    empty = [p for p, (_, n) in now.items() if n == 0]
    if empty:
        return False, lost, f"{len(empty)} source(s) stored without passages"
    try:
        with Persona.open("ada", home) as persona:
            status = persona.index_status()
            if not status["built"]:
                return False, lost, "no live index"
            answer = persona.ask(QUESTION, engine="quote")
            if not answer.citations:
                return False, lost, "the live index gives no cited answer"
    except Exception as exc:  # noqa: BLE001 - an experiment reports, it does not stop
        return False, lost, f"{type(exc).__name__}: {exc}"
    return lost == 0, lost, "" if lost == 0 else "sources lost"


def index_tidy(home: Path) -> str:
    index = home / "ada" / "index"
    partial = list(index.glob("*.partial"))
    builds = list(index.glob("build-*"))
    if partial or len(builds) != 1:
        return f"after a full build: {len(partial)} partial, {len(builds)} build folders"
    return ""


def batch(folder: Path, tag: str, count: int) -> list[Path]:
    """``count`` new files, each unique (a line naming the batch), from the demo corpus."""
    originals = sorted((ROWAN / "transcripts").glob("*.txt")) + sorted((ROWAN / "essays").glob("*.md"))
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        source = originals[i % len(originals)]
        target = folder / f"{tag}-{i}-{source.name}"
        target.write_text(source.read_text(encoding="utf-8") + f"\n\nCopy {tag}-{i} of this text.\n",
                          encoding="utf-8")
        made.append(target)
    return made


def kill_when(home: Path, ready, *args: str, timeout: float = 300) -> bool:
    """Run ``sosie ARGS`` and SIGKILL it the moment ``ready(elapsed)`` holds (polled every
    2 ms); True if it was killed, False if it finished first."""
    process = start(home, *args)
    started = time.monotonic()
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if ready(elapsed) or elapsed > timeout:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    return False


def build_moments(index: Path, live: str, build_s: float) -> list[tuple[str, object]]:
    """When to kill a build: by what it has written so far, and once by the clock."""
    def partial(name: str = ""):
        return lambda _: any((p / name).exists() for p in index.glob("*.partial"))

    def switched(_: float) -> bool:
        try:
            return (index / "CURRENT").read_text() != live
        except OSError:
            return False
    return [("loading, at 10% of a build", lambda t: t > 0.1 * build_s),
            ("its .partial folder just made", partial()),
            ("BM25 written", partial("bm25")),
            ("vectors written", partial("passages.npy")),
            ("index switched, profile not yet written", switched)]


def build_kills(home: Path, build_s: float, runs: int, deadline: float) -> Tally:
    tally, killed_count, stale_profiles = Tally(), 0, 0
    index = home / "ada" / "index"
    for k in range(runs * 5):
        if time.monotonic() > deadline:
            tally.notes.append("stopped at the time bound")
            break
        # a corpus change first, so each build has real work to do
        added = cli(home, "add", "ada", *map(str, batch(home.parent / "build-kill", f"b{k}", 1)))
        if added.returncode != 0:
            tally.notes.append("add failed: " + added.stderr.strip()[:80])
        before = sources(home)
        name, ready = build_moments(index, (index / "CURRENT").read_text(), build_s)[k % 5]
        killed = kill_when(home, ready, "build", "ada")
        killed_count += killed
        tally.runs += 1
        ok, lost, why = check(home, before)
        tally.lost += lost
        with Persona.open("ada", home) as persona:
            stale_profiles += bool(persona.index_status().get("profile_stale"))
        if not killed:
            tally.notes.append(f"{name}: the build finished first")
        rebuilt = cli(home, "build", "ada")
        tidy = index_tidy(home) if rebuilt.returncode == 0 else f"next build failed: {rebuilt.stderr[:80]}"
        if ok and not tidy:
            tally.consistent += 1
        else:
            tally.notes.append(f"{name}: {why or tidy}")
    tally.notes.append(f"{killed_count} of {tally.runs} killed at: "
                       + ", ".join(name for name, _ in build_moments(index, "", build_s))
                       + f"; {stale_profiles} left a profile from the old corpus, flagged profile-stale")
    return tally


def add_kills(home: Path, runs: int, deadline: float) -> Tally:
    tally, mid = Tally(), 0
    for k, after in enumerate([1, ADD_BATCH // 4, ADD_BATCH // 2, 3 * ADD_BATCH // 4, ADD_BATCH - 1] * runs):
        if time.monotonic() > deadline:
            tally.notes.append("stopped at the time bound")
            break
        files = batch(home.parent / "add-kill", f"a{k}", ADD_BATCH)
        wanted = {str(f.resolve()) for f in files}
        before = sources(home)
        killed = kill_when(home, lambda _, wanted=wanted, after=after: len(wanted & set(sources(home)))
                           >= after, "add", "ada", *map(str, files))
        tally.runs += 1
        ok, lost, why = check(home, before)
        tally.lost += lost
        if not killed:
            tally.notes.append(f"after {after} files: the add finished first")
        stored = sources(home)
        half = [f for f in files if str(f.resolve()) in stored and stored[str(f.resolve())][1] == 0]
        landed = sum(str(f.resolve()) in stored for f in files)
        mid += 0 < landed < len(files)
        again = cli(home, "add", "ada", *map(str, files))
        complete = sources(home)
        missing = [f for f in files if str(f.resolve()) not in complete]
        if ok and not half and again.returncode == 0 and not missing:
            tally.consistent += 1
        else:
            tally.notes.append(why or f"{len(half)} half-stored, {len(missing)} missing after re-adding")
    tally.notes.append(f"{mid} of {tally.runs} killed mid-batch (after 1, 1/4, 1/2, 3/4, all but one "
                       "of its files were stored); re-adding finished every batch")
    return tally


def concurrent_adds(home: Path, processes: int, rounds: int, deadline: float) -> Tally:
    tally = Tally()
    for r in range(rounds):
        if time.monotonic() > deadline:
            break
        files = batch(home.parent / "concurrent", f"c{r}", processes)
        before = sources(home)
        running = [start(home, "add", "ada", str(f)) for f in files]
        results = [(p.wait(timeout=600), p.stderr.read()) for p in running]
        tally.runs += 1
        ok, lost, why = check(home, before)
        tally.lost += lost
        stored = sources(home)
        present = sum(str(f.resolve()) in stored for f in files)
        failed = [err.strip().splitlines()[-1][:100] for code, err in results if code != 0 and err.strip()]
        if ok and present == processes and not failed:
            tally.consistent += 1
        else:
            tally.notes.append(why or f"{present}/{processes} stored; " + "; ".join(failed[:2]))
    return tally


def two_builds(home: Path, rounds: int, deadline: float) -> tuple[Tally, dict[str, int]]:
    tally, outcomes = Tally(), {"built": 0, "refused (lock)": 0, "traceback": 0, "other failure": 0}
    for r in range(rounds):
        if time.monotonic() > deadline:
            break
        cli(home, "add", "ada", *map(str, batch(home.parent / "two-builds", f"t{r}", 1)))
        before = sources(home)
        pair = [start(home, "build", "ada") for _ in range(2)]
        for process in pair:
            code = process.wait(timeout=600)
            err = process.stderr.read()
            if "Traceback" in err:
                outcomes["traceback"] += 1
            elif code == 0:
                outcomes["built"] += 1
            elif "a build is already running" in err:
                outcomes["refused (lock)"] += 1
            else:
                outcomes["other failure"] += 1
                tally.notes.append(err.strip()[:100])
        tally.runs += 1
        ok, lost, why = check(home, before)
        tally.lost += lost
        tidy = index_tidy(home)
        if ok and not tidy:
            tally.consistent += 1
        else:
            tally.notes.append(why or tidy)
    return tally, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="repeats of each kill moment")
    parser.add_argument("--processes", type=int, default=4, help="concurrent adds at once")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the concurrency experiments")
    parser.add_argument("--max-seconds", type=float, default=1200, help="stop starting experiments after")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sosie-faults-"))
    home = work / "home"
    try:
        deadline = time.monotonic() + args.max_seconds
        assert cli(home, "new", "ada", "--name", "Rowan Adler", "--alias", "Rowan").returncode == 0
        assert cli(home, "add", "ada", *map(str, BASE)).returncode == 0
        started = time.monotonic()
        assert cli(home, "build", "ada").returncode == 0
        build_s = time.monotonic() - started
        probe = batch(work / "probe", "p", ADD_BATCH)
        started = time.monotonic()
        assert cli(home, "add", "ada", *map(str, probe)).returncode == 0
        add_s = time.monotonic() - started
        print(f"sosie faults: a build takes {build_s:.1f} s, adding {ADD_BATCH} files {add_s:.1f} s "
              "(process start included)")
        results = {
            "kill -9 during `sosie build`": build_kills(home, build_s, args.runs, deadline),
            f"kill -9 during `sosie add` ({ADD_BATCH} files)": add_kills(home, args.runs, deadline),
            f"{args.processes} concurrent adds of different files": concurrent_adds(
                home, args.processes, args.rounds, deadline),
        }
        builds, outcomes = two_builds(home, args.rounds, deadline)
        results["two builds at once"] = builds
        print("\n| experiment | runs | consistent afterwards | sources lost |")
        print("|---|---|---|---|")
        for name, tally in results.items():
            print(tally.row(name))
        print(f"\ntwo builds at once, per process: {', '.join(f'{k} {v}' for k, v in outcomes.items())}")
        print(f"total {time.monotonic() - (deadline - args.max_seconds):.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    hostile.report()  # bench/hostile.py: hostile files, each in a fresh process, time and memory


if __name__ == "__main__":
    main()
