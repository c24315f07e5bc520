"""Is it them, on real people: each double against the person's real answers it never saw.

For every real person in ``tests/real/people.py`` (public records committed under
``tests/data/real/``), a double is built from the sources dated up to the person's split date
(a time split); the one-source person's double is built from the first two thirds of the
interview and the last third is hidden (the within-source split). The double then answers the
questions other people really asked afterwards, and each answer is compared with the person's
real answer, as the independent gold parsers read it (never Sosie's reader):

* cosine (all-MiniLM-L6-v2) to the real answer, against the **floor**: a random *other* real
  answer of the same person, drawn once per question with a fixed seed; the gap, and the share of
  questions beating the floor with a Wilson 95% interval;
* ROUGE-L, abstentions, length against the real answer;
* **other people's words**: the share of the answer's words that come from a sentence someone
  else said in the person's record (a reporter's question, a senator's) and the person never did;
  it must be 0;
* p50 and p95 seconds per answer.

Only the person's answers to real questions count (the turn before holds a question mark): an
interviewer's "I'm sure." before the person goes on is not a question to answer.

The baseline, measured in the same run, is the floor. A setting is chosen only by the mean over
people (the last table), never by one person.

    python bench/real_people.py                      # the quote engine, 50 questions a person
    python bench/real_people.py --generative 10      # and generative strict on 10 of them
    python bench/real_people.py --per-person 80 --home /tmp/people --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "real")]

import people as gold  # noqa: E402  (tests/real/people.py: the people, their sources, the gold)

from sosie.corpus.sentences import sentence_spans  # noqa: E402
from sosie.engines import engine_for  # noqa: E402
from sosie.engines.selector import asks_yes_or_no, is_direct  # noqa: E402
from sosie.evaluate.metrics import rouge_l  # noqa: E402
from sosie.index.embedder import embed  # noqa: E402
from sosie.workspace import Workspace  # noqa: E402

TOKEN = re.compile(r"[a-z0-9]+")
CITATION = re.compile(r"\s*\[\d+\]")


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (stays inside [0, 1] for small n)."""
    if n == 0:
        return (0.0, 0.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


class Voices:
    """Whose sentence is this? Every gold turn of the person's record, as token strings, so a
    sentence of an answer is found inside the person's turns or inside someone else's."""

    def __init__(self, person: gold.RealPerson):
        mine, theirs = [], []
        for source in person.sources:
            for speaker, text in gold.turns_of(person, source):
                (mine if speaker == person.name else theirs).append(" " + " ".join(tokens(text)) + " ")
        self.mine, self.theirs = "\n".join(mine), "\n".join(theirs)

    def others_words(self, answer: str) -> tuple[int, int]:
        """(words of sentences found only in other people's turns, all words) of an answer."""
        others = total = 0
        text = CITATION.sub("", answer)
        for start, end in sentence_spans(text):
            words = tokens(text[start:end])
            if len(words) < 3:
                total += len(words)
                continue
            needle = " " + " ".join(words) + " "
            total += len(words)
            if needle not in self.mine and needle in self.theirs:
                others += len(words)
        return others, total


@dataclass
class Built:
    workspace: Workspace
    hidden_sources: list[str]
    hidden_turns: set[int]
    seconds: float


def build(person: gold.RealPerson, home: Path, retrieval: dict | None = None) -> Built:
    """The person's double, made only from what a user would give: the files, the name and
    the names they go by (never the gold's label map)."""
    started = time.perf_counter()
    sources = person.sources if person.split == "within" else person.build_sources()
    if (home / person.key / "profile.json").is_file():  # built by an earlier run with --home
        workspace = Workspace.open(person.key, home)
    else:
        workspace = Workspace.create(person.key, person.name, person.aliases, home=home)
        workspace.add(*[s.path for s in sources])
        workspace.build()
    for name, value in (retrieval or {}).items():  # --set TABLE.KEY=VALUE: the setting measured
        table, _, key = name.partition(".")
        settings = {"quote": workspace.config.retrieval, "generative": workspace.config.generative}.get(table)
        if settings is None or not hasattr(settings, key):
            raise SystemExit(f"--set {name}: no such setting; write quote.KEY or generative.KEY")
        setattr(settings, key, type(getattr(settings, key))(value))
    hidden: set[int] = set()
    if person.split == "within":
        hidden = within_hidden_turns(workspace, person)
    return Built(workspace, [], hidden, time.perf_counter() - started)


def within_hidden_turns(workspace: Workspace, person: gold.RealPerson) -> set[int]:
    """The stored turns from where the gold's held-out part begins: found by the words of the
    first held-out answer, so the reader's turns and the gold's need not line up one to one."""
    held = gold.gold_exchanges(person)
    first = " ".join(tokens(held[0].answer)[:12])
    turns = workspace.store.turns_in_order()
    for position, (_, text) in enumerate(turns):
        if first in " ".join(tokens(text)):
            return {turn_id for turn_id, _ in turns[position:]}
    raise SystemExit(f"{person.key}: the first held-out answer is not in the stored turns")


@dataclass
class Scored:
    person: str
    engine: str
    questions: int
    cosine: float
    floor: float
    beats: int
    rouge: float
    abstained: int
    length_ratio: float
    others: int
    words: int
    seconds: list[float]
    yes_no: int  # yes/no questions among them
    real_direct: int  # of those, real answers that open on a direct answer ("No.", "Never.")
    double_direct: int  # and the double's answers that do
    answers: list[dict]  # question, real answer, the double's (in --json only)

    def row(self) -> dict:
        low, high = wilson(self.beats, self.questions)
        return {
            "person": self.person, "engine": self.engine, "questions": self.questions,
            "cosine": round(self.cosine, 3), "floor": round(self.floor, 3),
            "gap": round(self.cosine - self.floor, 3),
            "beats_floor": round(self.beats / max(1, self.questions), 3),
            "beats_floor_95": [round(low, 3), round(high, 3)],
            "rouge_l": round(self.rouge, 3), "abstained": self.abstained,
            "length_ratio_median": round(self.length_ratio, 2),
            "others_words_share": round(self.others / max(1, self.words), 4),
            "p50_s": round(percentile(self.seconds, 50), 3), "p95_s": round(percentile(self.seconds, 95), 3),
            "yes_no": self.yes_no, "real_direct": self.real_direct, "double_direct": self.double_direct,
            "answers": self.answers,
        }


def score_engine(built: Built, person: gold.RealPerson, spec: str, exchanges: list[gold.Exchange],
                 floor_vectors: np.ndarray, real_vectors: np.ndarray, voices: Voices) -> Scored:
    name, _, mode = spec.partition(":")
    engine = engine_for(built.workspace, name, **({"grounding": mode} if mode else {}))
    texts, seconds, abstained = [], [], 0
    with built.workspace.holding_out(built.hidden_sources, built.hidden_turns):
        for exchange in exchanges:
            started = time.perf_counter()
            answer = engine.answer(exchange.question)
            seconds.append(time.perf_counter() - started)
            abstained += answer.abstained
            texts.append("" if answer.abstained else CITATION.sub("", answer.text))
    vectors = embed([t or " " for t in texts])
    cosines = np.sum(vectors * real_vectors, axis=1)
    floors = np.sum(floor_vectors * real_vectors, axis=1)
    others = words = 0
    for text in texts:
        o, w = voices.others_words(text)
        others, words = others + o, words + w
    ratios = [len(t.split()) / max(1, len(e.answer.split()))
              for t, e in zip(texts, exchanges, strict=True) if t]
    yes_no = [i for i, e in enumerate(exchanges) if asks_yes_or_no(e.question)]
    return Scored(
        yes_no=len(yes_no), real_direct=sum(opens_directly(exchanges[i].answer) for i in yes_no),
        double_direct=sum(opens_directly(texts[i]) for i in yes_no),
        answers=[{"question": e.question, "real": e.answer, "double": t, "cosine": round(float(c), 3),
                  "floor": round(float(f), 3)}
                 for e, t, c, f in zip(exchanges, texts, cosines, floors, strict=True)],
        person=person.key, engine=spec, questions=len(exchanges), cosine=float(cosines.mean()),
        floor=float(floors.mean()), beats=int(np.sum(cosines > floors)),
        rouge=float(np.mean([rouge_l(t, e.answer) for t, e in zip(texts, exchanges, strict=True)])),
        abstained=abstained, length_ratio=float(np.median(ratios)) if ratios else 0.0,
        others=others, words=words, seconds=seconds,
    )


def opens_directly(text: str) -> bool:
    spans = sentence_spans(text)
    return bool(spans) and is_direct(text[spans[0][0]:spans[0][1]])


def held_out(person: gold.RealPerson, per_person: int, seed: int) -> tuple[list[gold.Exchange], list[str]]:
    """Up to ``per_person`` held-out exchanges (seeded) whose turn before the answer asks
    something (holds a question mark), and for each a random *other* real answer of the person
    from the held-out side: the floor. An interviewer's "I'm sure." or "Packard." before the
    person goes on with a story is not a question: no double can know what comes next, and 80%
    of the one-source person's held-out turns were such (gap +0.013 there, +0.226 on questions)."""
    exchanges = [e for e in gold.gold_exchanges(person) if "?" in e.question]
    rng = random.Random(seed)
    picked = rng.sample(exchanges, min(per_person, len(exchanges)))
    floors = []
    for exchange in picked:
        other = rng.choice(exchanges)
        while other.answer == exchange.answer and len(exchanges) > 1:
            other = rng.choice(exchanges)
        floors.append(other.answer)
    return picked, floors


def judged(person: gold.RealPerson, other: gold.RealPerson, scored: dict, count: int, judge: str) -> dict:
    """The local judge, checked first: the person's real answer beside ``other``'s real answer to
    the most similar question ``other`` was asked (the control), both orders; the double's
    answers are put to it only if it tells the two people apart."""
    from sosie.config import GenerativeSettings
    from sosie.evaluate.judge import JudgeOptions, judge_asker, judge_runs, nearest_answers

    backend, _, model = judge.partition(":")
    ask, label = judge_asker(GenerativeSettings(), JudgeOptions(backend, model or None))
    answers = [a for a in scored["answers"] if a["double"]][:count]
    theirs = gold.gold_exchanges(other, held_out_only=False)
    questions = [a["question"] for a in answers]
    control = nearest_answers(questions, [e.question for e in theirs], [e.answer for e in theirs])
    started = time.perf_counter()
    result = judge_runs(person.name, questions, [a["real"] for a in answers],
                        {scored["engine"]: [a["double"] for a in answers]}, ask, control)
    return {"person": person.key, "control_person": other.key, "model": label,
            "seconds": round(time.perf_counter() - started, 1), **result}


def run(keys: list[str], engines: list[str], per_person: int, generative: int, seed: int,
        home: Path, judge_count: int = 0, judge: str = "llamacpp:qwen2.5-1.5b",
        retrieval: dict | None = None) -> dict:
    rows, builds, judgements = [], {}, []
    chosen = [p for p in gold.people() if not keys or p.key in keys]
    for person in chosen:
        exchanges, floors = held_out(person, per_person, seed)
        built = build(person, home, retrieval)
        builds[person.key] = {"seconds": round(built.seconds, 1), "questions": len(exchanges),
                              "split": person.split, "sources": len(person.sources)}
        real_vectors, floor_vectors = embed([e.answer for e in exchanges]), embed(floors)
        voices = Voices(person)
        for spec in engines:
            print(f"{person.key}: {spec} on {len(exchanges)} questions", file=sys.stderr, flush=True)
            scored = score_engine(built, person, spec, exchanges, floor_vectors, real_vectors, voices)
            rows.append(scored.row())
            if judge_count and spec == "quote":
                everyone = gold.people()  # the control: the next real person in the list
                other = everyone[(everyone.index(person) + 1) % len(everyone)]
                print(f"{person.key}: the judge on {judge_count} questions (control: {other.key})",
                      file=sys.stderr, flush=True)
                judgements.append(judged(person, other, rows[-1], judge_count, judge))
        if generative:
            spec = "generative:strict"
            print(f"{person.key}: {spec} on {generative} questions", file=sys.stderr, flush=True)
            rows.append(score_engine(built, person, spec, exchanges[:generative], floor_vectors[:generative],
                                     real_vectors[:generative], voices).row())
    return {"people": builds, "rows": rows, "means": means(rows), "judge": judgements}


def means(rows: list[dict]) -> list[dict]:
    """Per engine, the mean over people (each person weighs the same, whatever their size)."""
    out = []
    for engine in dict.fromkeys(r["engine"] for r in rows):
        mine = [r for r in rows if r["engine"] == engine]
        out.append({"engine": engine, "people": len(mine),
                    **{k: round(float(np.mean([r[k] for r in mine])), 3)
                       for k in ("cosine", "floor", "gap", "beats_floor", "rouge_l", "others_words_share",
                                 "p50_s", "p95_s")}})
    return out


def print_tables(result: dict) -> None:
    print("| person | engine | questions | cosine | floor | gap | beats floor (95% CI) | ROUGE-L "
          "| abstained | length vs real | others' words | p50 s | p95 s | yes/no: real direct, double's |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        low, high = r["beats_floor_95"]
        print(f"| {r['person']} | {r['engine']} | {r['questions']} | {r['cosine']:.3f} | {r['floor']:.3f} "
              f"| {r['gap']:+.3f} | {r['beats_floor']:.0%} ({low:.0%}-{high:.0%}) | {r['rouge_l']:.3f} "
              f"| {r['abstained']} | {r['length_ratio_median']:.2f}x | {r['others_words_share']:.2%} "
              f"| {r['p50_s']:.3f} | {r['p95_s']:.3f} "
              f"| {r['yes_no']}: {r['real_direct']}, {r['double_direct']} |")
    print("\nMean over people (the only number a setting is chosen by):\n")
    print("| engine | people | cosine | floor | gap | beats floor | ROUGE-L | others' words "
          "| p50 s | p95 s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for m in result["means"]:
        print(f"| {m['engine']} | {m['people']} | {m['cosine']:.3f} | {m['floor']:.3f} | {m['gap']:+.3f} "
              f"| {m['beats_floor']:.0%} | {m['rouge_l']:.3f} | {m['others_words_share']:.2%} "
              f"| {m['p50_s']:.3f} | {m['p95_s']:.3f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", nargs="*", default=[], help="person keys (default: all)")
    parser.add_argument("--engines", nargs="+", default=["quote"])
    parser.add_argument("--per-person", type=int, default=50)
    parser.add_argument("--generative", type=int, default=0, 
                        help="also generative strict on N questions a person")
    parser.add_argument("--judge", type=int, default=0, metavar="N",
                        help="also the local judge, checked on a control first, on N questions a person")
    parser.add_argument("--judge-model", default="llamacpp:qwen2.5-1.5b", help="BACKEND:MODEL of the judge")
    parser.add_argument("--set", action="append", default=[], metavar="TABLE.KEY=VALUE",
                        help="a setting for this run, e.g. --set quote.recency=0.1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", type=Path,
                        help="keep the built doubles here and reuse them (default: a temporary folder)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sosie-people-") as scratch:
        home = args.home or Path(scratch)
        result = run(args.people, args.engines, args.per_person, args.generative, args.seed, home,
                     args.judge, args.judge_model, dict(kv.split("=", 1) for kv in args.set))
    result["seconds"] = round(time.perf_counter() - started, 1)
    print_tables(result)
    for j in result["judge"]:
        c = j["control"]
        engines = "; ".join(f"{name}: found the real answer {e['found_real']}/{e['judged']} consistent "
                            f"(p = {e['p_value']:.3f}), {e['inconsistent']} changed with the order"
                            for name, e in j["engines"].items() if e["judged"]) or j["verdict"]
        print(f"\njudge {j['model']} on {j['person']} (control: {j['control_person']}): control found "
              f"{c['found_real']}/{c['asked']}, {c['inconsistent']} changed with the order, "
              f"picked answer 1 {c['picked_first'] or 0:.0%}; {engines}")
    print(f"\n{sum(r['questions'] for r in result['rows'] if r['engine'] == args.engines[0])} held-out "
          f"questions; builds {json.dumps(result['people'])}; {result['seconds']} s in all")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
