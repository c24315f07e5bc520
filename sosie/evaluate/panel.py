"""Do a panel's doubles keep their own voices? An attribution test over their panel lines.

A classifier of style (character n-grams and function words, :class:`WhichPerson`) learns each
person from their recorded words, then reads every line a double said on the panel and names
whose words it is. The confusion matrix says whether the doubles blur into one voice: each
row is a double, each column the person its lines were attributed to.

Held out: a passage that a double quoted or cited on the panel is left out of the classifier's
training, so a line is never recognised because its very sentences were learnt.

>>> metrics = evaluate_panel(["rowan", "wren"], home)                      # doctest: +SKIP
>>> metrics["confusion"]["matrix"]                                         # doctest: +SKIP
[[9, 1], [0, 10]]
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sosie.corpus.store import now
from sosie.engines.base import model_label
from sosie.errors import SosieError
from sosie.evaluate.metrics import WhichPerson, chunks
from sosie.files import atomic_write
from sosie.interview.panel import Panel
from sosie.interview.panel_transcript import join_names, panel_record
from sosie.workspace import Workspace

MARKER = re.compile(r"\s*\[\d+(?:\s*[-–,]\s*\d+)*\]")
CHUNK_WORDS = 80  # the classifier learns from pieces about as long as an answer
MIN_LINES = 4


@dataclass
class PanelEvalOptions:
    questions: list[str] = field(default_factory=list)  # none: real questions from each corpus
    per_person: int = 5  # real questions drawn from each persona's corpus when none are given
    rounds: int = 2  # 2: the doubles also respond to each other, where voices blur most easily
    engine: str | None = None
    engine_options: dict = field(default_factory=dict)  # backend, model, base_url, grounding
    seed: int = 0
    report_dir: Path | None = None


def real_questions(members: list[Workspace], per_person: int, seed: int) -> list[str]:
    """Questions the people were really asked, a few from each corpus, in a seeded order."""
    rng = random.Random(seed)
    drawn: list[str] = []
    for member in members:
        asked = sorted({" ".join(r["question"].split()) for r in member.store.qa_pairs()
                        if r["question"] and r["question"].rstrip().endswith("?")})
        drawn += rng.sample(asked, min(per_person, len(asked)))
    return drawn


def evaluate_panel(personas: Sequence[str | Workspace], home: str | Path | None = None,
                   options: PanelEvalOptions | None = None, panel_id: int | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Attribute every panel line to a person; the panel is ``panel_id`` (stored) or a new one
    asked ``options.questions`` (default: real questions of each persona)."""
    options = options or PanelEvalOptions()
    tick = progress or (lambda stage, done, total: None)
    if panel_id is None:
        panel = Panel.start(personas, home, engine=options.engine, title="evaluation",
                            **options.engine_options)
        members = list(panel.members.values())
        questions = options.questions or real_questions(members, options.per_person, options.seed)
        if not questions:
            raise SosieError("no questions to put to the panel: give --questions FILE (one a line)")
        for i, question in enumerate(questions):
            tick("asking the panel", i, len(questions))
            panel.ask(question, rounds=options.rounds)
        panel_id = panel.id
    record = panel_record(panel_id, home)
    slugs = [p["persona"] for p in record["participants"] if p["kind"] == "double"]
    lines = [t for t in record["turns"] if t["kind"] == "double" and not t["abstained"]]
    if len(lines) < MIN_LINES:
        raise SosieError(f"panel {panel_id} has {len(lines)} answered lines; at least {MIN_LINES} are needed "
                         "to tell voices apart")
    tick("learning each voice", 0, 1)
    cited = {slug: {c["passage_id"] for t in lines if t["persona"] == slug for c in t["citations"]}
             for slug in slugs}
    training: dict[str, list[str]] = {}
    held_out = 0
    for slug in slugs:
        with Workspace.open(slug, home) as member:
            rows = member.store.all_passages()
        kept = [r["text"] for r in rows if r["id"] not in cited[slug]]
        held_out += len(rows) - len(kept)
        training[slug] = chunks(" ".join(kept), CHUNK_WORDS)
    classifier = WhichPerson(training, seed=options.seed)
    predicted = classifier.predict([" ".join(MARKER.sub("", t["text"]).split()) for t in lines])
    metrics = _score(record, slugs, lines, predicted)
    metrics.update({"held_out_passages": held_out, "training_chunks": {s: len(training[s]) for s in slugs}})
    folder = options.report_dir or _default_dir(home, panel_id)
    write_panel_report(folder, metrics, lines, predicted)
    metrics["report_dir"] = str(folder)
    return metrics


def _score(record: dict, slugs: list[str], lines: list[dict], predicted: list[str]) -> dict:
    from scipy.stats import binomtest

    index = {slug: i for i, slug in enumerate(slugs)}
    matrix = [[0] * len(slugs) for _ in slugs]
    for turn, guess in zip(lines, predicted, strict=True):
        matrix[index[turn["persona"]]][index[guess]] += 1

    def share(right: int, n: int) -> dict:
        if not n:
            return {"right": 0, "lines": 0, "mean": None, "low": None, "high": None}
        ci = binomtest(right, n).proportion_ci(method="wilson")
        return {"right": right, "lines": n, "mean": right / n, "low": ci.low, "high": ci.high}

    right = sum(matrix[i][i] for i in range(len(slugs)))
    chance = 1 / len(slugs)
    by_round = {}
    for name, keep in (("answers", lambda t: t["round"] == 1), ("responses", lambda t: t["round"] > 1)):
        picked = [(t, g) for t, g in zip(lines, predicted, strict=True) if keep(t)]
        by_round[name] = share(sum(t["persona"] == g for t, g in picked), len(picked))
    names = {p["persona"]: p["name"] for p in record["participants"] if p["kind"] == "double"}
    return {
        "panel": record["panel"], "engine": record["engine"], "personas": slugs, "names": names,
        "made_at": now(), "lines": len(lines), "chance": chance,
        "accuracy": share(right, len(lines)),
        "p_value": binomtest(right, len(lines), chance, alternative="greater").pvalue,
        "confusion": {"labels": slugs, "matrix": matrix},
        "per_person": {slug: share(matrix[i][i], sum(matrix[i])) for slug, i in index.items()},
        "by_round": by_round,
        "models": list(dict.fromkeys(model_label(t.get("model")) for t in lines)),
    }


def _default_dir(home: str | Path | None, panel_id: int) -> Path:
    from sosie.config import home_dir

    return home_dir(home) / "panel-eval" / f"panel-{panel_id}-{now()[:19].replace(':', '')}"


def _pct(m: dict) -> str:
    if m["mean"] is None:
        return "—"
    return f"{100 * m['mean']:.0f}% [{100 * m['low']:.0f}, {100 * m['high']:.0f}] of {m['lines']}"


def write_panel_report(folder: Path, metrics: dict, lines: list[dict], predicted: list[str]) -> None:
    """``metrics.json``, ``report.md`` (the confusion matrix as a table) and ``confusion.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    slugs, matrix, names = metrics["personas"], metrics["confusion"]["matrix"], metrics["names"]
    fig, ax = plt.subplots(figsize=(2 + 1.6 * len(slugs), 1.5 + 1.4 * len(slugs)))
    ax.imshow(matrix, cmap="Greens")
    for i, row in enumerate(matrix):
        for j, n in enumerate(row):
            ax.text(j, i, str(n), ha="center", va="center")
    ax.set_xticks(range(len(slugs)), [names[s] for s in slugs])
    ax.set_yticks(range(len(slugs)), [f"Simulated {names[s]}" for s in slugs])
    ax.set_xlabel("attributed to (by the style classifier)")
    ax.set_title(f"Panel {metrics['panel']}: whose voice is each line?", fontsize=10)
    fig.tight_layout()
    fig.savefig(folder / "confusion.png", dpi=90)
    plt.close(fig)
    who = join_names([names[s] for s in slugs])
    out = [f"# Panel {metrics['panel']}: do the doubles of {who} keep their own voices?", "",
           "Every line below was produced by software (a simulation), not said by these people.", "",
           *(f"Answers: {label}." for label in metrics.get("models", [])), "",
           f"{metrics['lines']} answered lines ({metrics['engine']} engine). A style classifier trained on "
           "each person's recorded words (leaving out every passage the panel cited) names whose words "
           "each line is.", "",
           f"Attributed to the right person: {_pct(metrics['accuracy'])} "
           f"(chance {100 * metrics['chance']:.0f}%, binomial p = {metrics['p_value']:.2g}).", "",
           "| double \\ attributed to | " + " | ".join(names[s] for s in slugs) + " | right |",
           "|---" * (len(slugs) + 2) + "|"]
    for i, slug in enumerate(slugs):
        out.append(f"| Simulated {names[slug]} | " + " | ".join(str(n) for n in matrix[i])
                   + f" | {_pct(metrics['per_person'][slug])} |")
    out += ["", f"First answers: {_pct(metrics['by_round']['answers'])}; responses to each other: "
                f"{_pct(metrics['by_round']['responses'])}.", "", "![confusion matrix](confusion.png)", "",
            "## Lines", ""]
    out += [f"- {line['label']} (round {line['round']}) -> {names[guess]}: "
            f"{MARKER.sub('', line['text'])[:160]}" for line, guess in zip(lines, predicted, strict=True)]
    atomic_write(folder / "report.md", "\n".join(out) + "\n")
    atomic_write(folder / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
