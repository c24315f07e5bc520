"""``sosie eval``: every engine answers the person's held-out questions; how close is it?

Held-out sources are hidden from the index and the few-shot pool for the whole run, so no
engine can copy the real answer. Engines are found by name, so one added later (the
fine-tuned double) joins without changes here.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sosie import registry
from sosie.corpus.dates import as_of_date
from sosie.corpus.sentences import sentence_spans
from sosie.corpus.split import describe, get_split, held_out_pairs, held_out_turns, time_split
from sosie.corpus.store import now
from sosie.engines import engine_for
from sosie.engines.base import model_label
from sosie.engines.grounding import ASSISTANT_OPENER, ASSISTANT_SENTENCE, check_mode
from sosie.errors import SosieError
from sosie.evaluate.judge import JudgeOptions, judge_asker, judge_runs, nearest_answers
from sosie.evaluate.metrics import (
    AuthorshipClassifier,
    BurrowsDelta,
    background_texts,
    bootstrap,
    chunks,
    rouge_l,
)
from sosie.evaluate.records import evaluation_tables
from sosie.index.embedder import embed

if TYPE_CHECKING:
    from sosie.workspace import Workspace

OFFTOPIC = Path(__file__).parent / "offtopic.txt"
REWORDINGS = [
    (r"^what do you think (?:of|about) (.+)\?$", "How do you feel about {0}?"),
    (r"^how do you feel about (.+)\?$", "What do you think of {0}?"),
    (r"^why do you (.+)\?$", "What makes you {0}?"),
    (r"^why did you (.+)\?$", "What made you {0}?"),
    (r"^how do you (.+)\?$", "In what way do you {0}?"),
    (r"^how did you (.+)\?$", "In what way did you {0}?"),
    (r"^do you (.+)\?$", "Would you say you {0}?"),
    (r"^did you (.+)\?$", "Is it true that you {0}?"),
    (r"^what (?:was|is) (.+)\?$", "Can you describe {0}?"),
    (r"^is (.+)\?$", "Would you say {0} is so?"),
]


def reword(question: str) -> str:
    """The same question in other words: the interviewer's actual question without the
    preamble, reworded by a small set of rules (``What do you think of X?`` -> ``How do you
    feel about X?``), else asked plainly again."""
    spans = sentence_spans(question)
    asking = [question[s:e] for s, e in spans if question[s:e].endswith("?")] or [question]
    last = asking[-1].strip()
    for pattern, template in REWORDINGS:
        found = re.match(pattern, last, re.I)
        if found:
            return template.format(*found.groups())
    shorter = last if last != question.strip() else ""
    return shorter or f"Let me ask it another way: {last[0].lower()}{last[1:]}"


@dataclass
class EvalOptions:
    engines: list[str] = field(default_factory=lambda: ["quote", "generative", "baseline"])
    seed: int = 0
    resplit: bool = False
    limit: int | None = None  # at most this many held-out questions
    offtopic: int = 20  # off-topic questions sampled from the shipped list
    offtopic_file: Path | None = None  # user-supplied unanswerable questions, one a line
    background: list[Path] = field(default_factory=list)  # more writers for the classifier
    max_new_tokens: int | None = None
    backend: str | None = None
    model: str | None = None
    base_url: str | None = None
    grounding: str | None = None  # the generative engines' mode, unless ENGINE:MODE names one
    judge: JudgeOptions | None = None  # a language model asked which answer is the person's
    report_dir: Path | None = None
    # a split by time: the double knows what is dated up to this date and is scored on the
    # person's real answers dated after it (does it anticipate what they later said?)
    as_of: str | None = None


@dataclass
class EngineRun:
    answers: list[dict] = field(default_factory=list)
    reworded: list[dict] = field(default_factory=list)
    offtopic: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def _offtopic_questions(options: EvalOptions, rng: random.Random) -> list[str]:
    shipped = [q.strip() for q in OFFTOPIC.read_text(encoding="utf-8").splitlines() if q.strip()]
    picked = rng.sample(shipped, min(options.offtopic, len(shipped)))
    if options.offtopic_file:
        try:
            lines = options.offtopic_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise SosieError(f"{options.offtopic_file}: cannot read the questions ({exc})") from exc
        picked += [q.strip() for q in lines if q.strip()]
    return picked


def engine_spec(spec: str) -> tuple[str, str | None]:
    """``generative:strict`` -> ``("generative", "strict")``: an engine and its grounding mode
    (one evaluation can compare the modes of one engine)."""
    name, _, mode = spec.partition(":")
    if name not in registry.names("engine"):
        raise SosieError(f"unknown engine {name!r}; available: {', '.join(registry.names('engine'))}")
    if mode:
        check_mode(mode)
        if "grounding" not in registry.option_names(registry.load("engine", name)):
            raise SosieError(f"engine {name!r} has no grounding modes; write just {name}")
    return name, mode or None


def run_engines(workspace: Workspace, names: list[str], questions: list[str], reworded: list[str],
                offtopic: list[str], options: EvalOptions,
                progress: Callable[[str, int, int], None] | None = None) -> dict[str, EngineRun]:
    runs: dict[str, EngineRun] = {}
    total = len(names) * (len(questions) + len(reworded) + len(offtopic))
    done = 0
    wanted = {"backend": options.backend, "model": options.model, "base_url": options.base_url,
              "max_new_tokens": options.max_new_tokens, "grounding": options.grounding,
              "as_of": as_of_date(options.as_of)}
    for spec in names:
        name, mode = engine_spec(spec)
        # each engine gets the options it has (the quote engine has none: it uses no model)
        accepted = registry.option_names(registry.load("engine", name))
        given = {**wanted, **({"grounding": mode} if mode else {})}
        engine = engine_for(workspace, name, **{k: v for k, v in given.items() if k in accepted})
        run = EngineRun()
        started = time.perf_counter()
        for bucket, asked in ((run.answers, questions), (run.reworded, reworded),
                              (run.offtopic, offtopic)):
            for question in asked:
                bucket.append(engine.answer(question).to_dict())
                done += 1
                if progress:
                    progress(f"{spec} answering", done, total)
        run.seconds = time.perf_counter() - started
        runs[spec] = run
    return runs


def evaluate(workspace: Workspace, options: EvalOptions | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Run the protocol; write the report; return the metrics (also in ``metrics.json``)."""
    options = options or EvalOptions()
    store = workspace.store
    date = as_of_date(options.as_of)
    if date:
        sides, pairs = time_split(store, date)
        if not any(side == "train" for side in sides.values()):
            raise SosieError(f"nothing in {workspace.config.name}'s record is dated up to {date}: a double "
                             "built from it would know nothing; choose a later --as-of")
    else:
        sides = get_split(store, options.seed, options.resplit)
        pairs = held_out_pairs(store, sides)
    test_paths = [p for p, side in sides.items() if side == "test"]
    rng = random.Random(options.seed)
    rng.shuffle(pairs)
    if options.limit:
        pairs = pairs[: options.limit]
    if not pairs:
        after = f" dated after {date}" if date else ""
        raise SosieError(f"no held-out question/answer pairs{after} to evaluate on")
    names = [engine_spec(e)[0] for e in options.engines]  # unknown names are refused before any work
    if "finetuned" in names:
        check_adapter_not_trained_on(workspace, test_paths)
    questions = [p.question for p in pairs]
    reworded = [reword(q) for q in questions]
    offtopic = _offtopic_questions(options, rng)

    # the judge's backend is made before any engine runs: a bad --judge fails at once, not
    # after an hour of answers
    judge = judge_asker(workspace.config.generative, options.judge) if options.judge else None
    # and its control too: a --judge-control persona that is missing fails here, not after the answers
    control = control_answers(workspace, questions, options.judge) if options.judge else None
    started_at = now()
    if date:  # the engines answer as of the date: nothing later (or undated) can be retrieved
        runs = run_engines(workspace, options.engines, questions, reworded, offtopic, options, progress)
    else:
        hidden = held_out_turns(store)  # a split within one source hides blocks of turns
        with workspace.holding_out(test_paths, hidden):
            runs = run_engines(workspace, options.engines, questions, reworded, offtopic, options, progress)

    if progress:
        progress("scoring", 0, 1)
    metrics = score(workspace, sides, pairs, runs, options)
    if judge is not None:
        if progress:
            progress("judging", 0, 1)
        ask, label = judge
        answers = {name: [a["text"] for a in run.answers] for name, run in runs.items()}
        metrics["judge"] = {"model": label, **judge_runs(
            workspace.config.name, questions, [p.answer for p in pairs], answers, ask, control)}
    metrics.update({
        "persona": workspace.slug, "name": workspace.config.name, "started_at": started_at,
        "finished_at": now(), "seed": options.seed, "held_out_sources": test_paths,
        "questions": len(pairs), "offtopic_questions": len(offtopic),
        "split": (f"by time: the double knows the {sum(v == 'train' for v in sides.values())} source(s) "
                  f"dated up to {date} and is scored on {len(pairs)} of the person's answers dated after it"
                  if date else describe(store, sides)),
        "as_of": date,
        "disclosure": "Engine answers are simulations of "
                      f"{workspace.config.name}, built from recorded words; not the real person.",
    })
    report_dir = options.report_dir or workspace.workspace / "eval" / time.strftime("%Y%m%d-%H%M%S")
    from sosie.evaluate.report import write_report

    write_report(report_dir, metrics, pairs, questions, reworded, offtopic, runs)
    evaluation_tables(store)
    with store.transaction() as db:
        run_id = db.execute(
            "INSERT INTO eval_runs (started_at, finished_at, engines, report_dir, metrics_json)"
            " VALUES (?, ?, ?, ?, ?)",
            (started_at, metrics["finished_at"], ",".join(options.engines), stored_dir(workspace, report_dir),
             json.dumps(metrics)),
        ).lastrowid
    metrics["run_id"] = run_id
    metrics["report_dir"] = str(report_dir)
    return metrics


CONTROL_MIN_WORDS = 20  # another speaker's turn long enough to stand beside an answer


def control_answers(workspace: Workspace, questions: list[str], judge: JudgeOptions) -> list[str] | None:
    """Another real person's words beside each held-out question, for checking the judge: the
    control persona's real answer to the most similar question it was asked, else the most
    similar statement (no question mark, at least 20 words) of another speaker in this record.
    ``None`` when there is none."""
    if judge.control:
        from sosie.workspace import Workspace as Opened

        other = Opened.open(judge.control, workspace.workspace.parent)
        rows = other.store.answered_questions()
        if not rows:
            raise SosieError(f"the judge's control {judge.control!r} has no answered questions; "
                             "build it from a record with questions, or leave --judge-control out")
        return nearest_answers(questions, [r["question"] for r in rows], [r["answer"] for r in rows])
    statements = [t for t in workspace.store.turn_texts("other")
                  if "?" not in t and len(t.split()) >= CONTROL_MIN_WORDS]
    if not statements:
        return None
    return nearest_answers(questions, statements, statements)


def stored_dir(workspace: Workspace, folder: Path) -> str:
    """A report inside the workspace is stored relative to it, so a packed persona can move."""
    try:
        return str(Path(folder).resolve().relative_to(workspace.workspace.resolve()))
    except ValueError:
        return str(folder)


def check_adapter_not_trained_on(workspace: Workspace, test_paths: list[str]) -> None:
    """A fine-tuned double must not have seen the answers it is scored on."""
    from sosie.engines.loading import adapter_meta

    trained = {s["sha256"] for s in adapter_meta(workspace)["trained_on"]}
    leaked = [path for path, sha in workspace.store.source_hashes(test_paths) if sha in trained]
    if leaked:
        raise SosieError(
            f"the fine-tuned adapter was trained on held-out source(s) {', '.join(leaked)}; "
            f"retrain it on this split (sosie train {workspace.slug}) before evaluating it")


CLAIMS = ("verbatim", "supported", "extrapolated")  # "declined" and "note" claim nothing


def models_of(answers: list[dict]) -> list[dict]:
    """What produced an engine's answers: ``{"label", "answers", "model"}`` per distinct model
    (its abstentions are Sosie's fixed reply), most answers first."""
    found: dict[str, dict] = {}
    for answer in answers:
        label = model_label(answer.get("model"))
        entry = found.setdefault(label, {"label": label, "answers": 0, "model": answer.get("model")})
        entry["answers"] += 1
    return sorted(found.values(), key=lambda m: -m["answers"])


def _grounded_share(answer: dict) -> float | None:
    tags = [s["tag"] for s in answer.get("support", []) if s["tag"] in CLAIMS]
    if answer["abstained"] or not tags:
        return None
    return sum(t != "extrapolated" for t in tags) / len(tags)


def _assistant_like(text: str) -> float:
    """1.0 when the answer talks like an assistant ("Great question", "As an AI", "In summary")."""
    spans = [text[s:e].strip() for s, e in sentence_spans(text)]
    return float(any(ASSISTANT_SENTENCE.search(x) or ASSISTANT_OPENER.match(x) for x in spans))


def score(workspace: Workspace, sides: dict[str, str], pairs, runs: dict[str, EngineRun],
          options: EvalOptions) -> dict:
    train = [p for p, side in sides.items() if side == "train"]
    # what the double knows: its train side, or up to the date
    person = workspace.store.passage_texts_of(train, until=as_of_date(options.as_of))
    other_turns = workspace.store.turn_texts("other")
    background = background_texts(options.background)
    others = [c for t in other_turns + background for c in chunks(t)]
    classifier = AuthorshipClassifier(person, others, seed=options.seed)
    delta = BurrowsDelta(" ".join(person), background + [" ".join(other_turns)])

    real = [p.answer for p in pairs]
    real_attributed = (classifier.probability(real) >= 0.5).astype(float)
    real_vectors = embed(real)
    index = np.arange(len(real))

    def deltas(texts: list[str]) -> dict:
        # the mean of per-answer Deltas gets an honest interval; the Delta of all answers
        # pooled is steadier but a bootstrap of it is biased (resampling repeats answers)
        per_answer = [delta(t) for t in texts]
        return {"delta": bootstrap(per_answer), "delta_pooled": delta(" ".join(texts)),
                "delta_per_answer": per_answer}

    # the floor every double must beat: how close a random *other* real answer of the person
    # comes to the real answer (same voice, another question)
    rng = np.random.default_rng(options.seed)
    other = (index + 1 + rng.integers(0, max(1, len(real) - 1), len(real))) % len(real)
    floor = np.sum(real_vectors[other] * real_vectors, axis=1)
    result: dict = {
        "real": {"attribution_rate": bootstrap(real_attributed), **deltas(real),
                 "random_other_similarity": bootstrap(floor)},
        "engines": {},
    }
    for name, run in runs.items():
        texts = [a["text"] for a in run.answers]
        attributed = (classifier.probability(texts) >= 0.5).astype(float)
        vectors = embed(texts)
        again = embed([a["text"] for a in run.reworded])
        grounded = [g for g in (_grounded_share(a) for a in run.answers) if g is not None]
        answered = len(run.answers) + len(run.reworded) + len(run.offtopic)
        result["engines"][name] = {
            "attribution_rate": bootstrap(attributed),
            "attribution_relative": bootstrap(
                index, lambda idx, a=attributed: a[idx].mean() / max(real_attributed[idx].mean(), 1e-9)
            ),
            **deltas(texts),
            "content_similarity": bootstrap(np.sum(vectors * real_vectors, axis=1)),
            "beats_random_other": bootstrap(
                (np.sum(vectors * real_vectors, axis=1) > floor).astype(float)),
            "rouge_l": bootstrap([rouge_l(t, r) for t, r in zip(texts, real, strict=True)]),
            "grounding": bootstrap(grounded),
            "offtopic_declined": bootstrap([float(a["abstained"]) for a in run.offtopic]),
            "answerable_declined": bootstrap([float(a["abstained"]) for a in run.answers]),
            "consistency": bootstrap(np.sum(vectors * again, axis=1)),
            # style as a constraint: answer length against the real answer's, assistant phrasing
            "length_ratio": bootstrap([len(t.split()) / max(1, len(r.split()))
                                       for t, r in zip(texts, real, strict=True)]),
            "assistant_phrases": bootstrap([_assistant_like(t) for t in texts]),
            "repairs_per_answer": bootstrap([float(len(a.get("repairs", []))) for a in run.answers]),
            "seconds": round(run.seconds, 2),
            "seconds_per_100_questions": round(100 * run.seconds / max(1, answered), 1),
            "models": models_of([*run.answers, *run.reworded, *run.offtopic]),
        }
    result["classifier"] = {"person_passages": len(person), "other_texts": len(others)}
    return result
