"""The evaluation report: ``metrics.json``, ``answers.jsonl``, PNG plots and a self-contained
``report.html`` (plots inlined), all in one folder."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from sosie.engines.base import model_note

BARS = [
    ("attribution_relative", "Attribution (1.0 = as recognisable as the real person)"),
    ("content_similarity", "Content: embedding similarity to the real answer"),
    ("rouge_l", "Content: ROUGE-L F1 to the real answer"),
    ("grounding", "Grounding: sentences supported by a source"),
    ("offtopic_declined", "Abstention: off-topic questions declined"),
    ("consistency", "Consistency: same question, other words"),
]


def _plots(folder: Path, metrics: dict) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = list(metrics["engines"])
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for ax, (key, title) in zip(axes.flat, BARS, strict=True):
        values, lows, highs = [], [], []
        for name in engines:
            m = metrics["engines"][name][key]
            mean = m["mean"] if m["mean"] is not None else 0.0
            values.append(mean)
            lows.append(mean - (m["low"] if m["low"] is not None else mean))
            highs.append((m["high"] if m["high"] is not None else mean) - mean)
        ax.bar(engines, values, yerr=[lows, highs], capsize=4, color="#5a8")
        ax.set_title(title, fontsize=9)
    fig.suptitle(f"Fidelity of the double of {metrics['name']} (95% bootstrap intervals)")
    fig.tight_layout()
    bars = folder / "metrics.png"
    fig.savefig(bars, dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    data = [metrics["real"]["delta_per_answer"]]
    data += [metrics["engines"][n]["delta_per_answer"] for n in engines]
    ax.boxplot(data)
    ax.set_xticks(range(1, len(data) + 1), ["real answers", *engines])
    ax.set_ylabel("Burrows' Delta to the person (lower = closer)")
    ax.set_title("Style distance, answer by answer")
    fig.tight_layout()
    deltas = folder / "delta.png"
    fig.savefig(deltas, dpi=90)
    plt.close(fig)
    return [bars, deltas]


def _p(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def _fmt(m: dict, digits: int = 3) -> str:
    if m["mean"] is None:
        return "n/a"
    return f"{m['mean']:.{digits}f} [{m['low']:.{digits}f}, {m['high']:.{digits}f}]"


NONE = {"mean": None}  # a metric a run from an older Sosie did not record
SHORT_HEADERS = ["engine", "attributed", "vs real", "Delta", "Delta pooled", "content", "ROUGE-L", "grounded",
                 "off-topic declined", "answerable declined", "consistency", "length vs real",
                 "assistant phrases", "beats other answer"]
CLI_COLUMNS = ["engine", "vs real", "Delta pooled", "content", "beats other answer", "grounded",
               "off-topic declined", "answerable declined"]


def summary_rows(metrics: dict, digits: int = 3) -> list[list[str]]:
    def f(m: dict) -> str:
        return _fmt(m, digits)

    def pooled(m: dict) -> str:
        return "n/a" if m.get("delta_pooled") is None else f"{m['delta_pooled']:.{digits}f}"

    rows = [["real held-out answers", f(metrics["real"]["attribution_rate"]), "1",
             f(metrics["real"]["delta"]), pooled(metrics["real"]), "—", "—", "—", "—", "—", "—", "1",
             "—", "—"]]
    for name, m in metrics["engines"].items():
        rows.append([
            name, f(m["attribution_rate"]), f(m["attribution_relative"]), f(m["delta"]), pooled(m),
            f(m["content_similarity"]), f(m["rouge_l"]), f(m["grounding"]),
            f(m["offtopic_declined"]), f(m["answerable_declined"]), f(m["consistency"]),
            f(m.get("length_ratio", NONE)), f(m.get("assistant_phrases", NONE)),
            f(m.get("beats_random_other", NONE)),
        ])
    floor = metrics["real"].get("random_other_similarity")
    if floor:  # the content floor: a random other real answer of the person
        rows.insert(1, ["random other real answer", "—", "—", "—", "—", f(floor)] + ["—"] * 8)
    return rows


HEADERS = ["engine", "attributed to person", "attribution vs real", "Burrows' Delta per answer",
           "Burrows' Delta of all answers pooled",
           "content similarity", "ROUGE-L", "grounding", "off-topic declined",
           "answerable declined", "consistency", "length vs real answer", "assistant phrases",
           "closer than a random other real answer"]


def write_report(folder: Path, metrics: dict, pairs, questions, reworded, offtopic, runs) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False))
    with (folder / "answers.jsonl").open("w", encoding="utf-8") as out:
        for i, pair in enumerate(pairs):
            row = {"question": questions[i], "reworded": reworded[i], "real": pair.answer,
                   "source": pair.source,
                   "engines": {n: {"answer": r.answers[i], "reworded": r.reworded[i]}
                               for n, r in runs.items()}}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        for j, question in enumerate(offtopic):
            row = {"offtopic": question, "engines": {n: r.offtopic[j] for n, r in runs.items()}}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    images = _plots(folder, metrics)

    e = html.escape
    table = "<tr>" + "".join(f"<th>{e(h)}</th>" for h in HEADERS) + "</tr>"
    for row in summary_rows(metrics):
        table += "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
    examples = ""
    for i, pair in enumerate(pairs[:10]):
        examples += f"<h3>{e(questions[i])}</h3><table><tr><th>real answer</th><td>{e(pair.answer)}</td></tr>"
        for name, run in runs.items():
            answer = run.answers[i]
            label = f"{name} (simulation)" + (" — declined" if answer["abstained"] else "")
            examples += (f"<tr><th>{e(label)}</th><td>{e(answer['text'])}"
                         f"<br><small>{e(model_note(answer.get('model')))}</small></td></tr>")
        examples += "</table>"
    pictures = "".join(
        f'<img alt="{e(p.stem)}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in images
    )
    def counted(model: dict) -> str:
        return f"{e(model['label'])} ({model['answers']} answer{'' if model['answers'] == 1 else 's'})"

    models = "".join(f"<li>{e(n)}: {'; '.join(counted(x) for x in m.get('models', []))}</li>"
                     for n, m in metrics["engines"].items())
    timing = "".join(
        f"<li>{e(n)}: {m['seconds']} s, {m['seconds_per_100_questions']} s per 100 questions</li>"
        for n, m in metrics["engines"].items()
    )
    judged = ""
    if metrics.get("judge"):
        judge = metrics["judge"]

        def judge_row(label: str, j: dict) -> str:
            return (f"<tr><td>{e(label)}</td><td>{j['asked']}</td><td>{j['judged']}</td>"
                    f"<td>{j['inconsistent']}</td><td>{_pct(j['accuracy'])}</td><td>{_p(j['p_value'])}</td>"
                    f"<td>{_pct(j['picked_first'])}</td></tr>")

        rows = (judge_row("control: another real person", judge["control"]) if judge.get("control") else "")
        rows += "".join(judge_row(n, j) for n, j in judge.get("engines", {}).items())
        verdict = (f"<p><strong>No verdict: {e(judge['verdict'])}.</strong></p>"
                   if judge.get("verdict") else "")
        judged = (f"<h2>The judge ({e(judge['model'])})</h2><p>Shown the person's real answer beside "
                  "another, in both orders, and asked which is the person's; a pick counts only when "
                  "it survives the swap, and chance is 50%. It is checked first on a control, the "
                  "person beside another real person: only a judge that tells them apart judges the "
                  f"engines.</p>{verdict}"
                  "<table><tr><th>beside</th><th>asked</th><th>consistent picks</th><th>changed with the "
                  "order</th><th>found the real answer</th><th>p (binomial, vs chance)</th>"
                  f"<th>picked answer 1</th></tr>{rows}</table>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sosie evaluation — {e(metrics['name'])}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;
vertical-align:top;text-align:left}}.banner{{background:#fff3cd;padding:.7em;border:1px solid #e0c36b}}
img{{max-width:100%}}</style></head><body>
<p class="banner">{e(metrics['disclosure'])}</p>
<h1>Is it {e(metrics['name'])}? Fidelity evaluation</h1>
<p>{metrics['questions']} held-out questions; split {e(metrics.get('split', 'by source'))};
hidden from every engine during the run; {metrics['offtopic_questions']} off-topic questions; seed
{metrics['seed']}. Means over questions with 95% bootstrap intervals. Burrows' Delta (lower is closer
to the person) is given twice: the mean of per-answer Deltas (each answer is ~100 words, too short
for Delta to be stable), and the Delta of all the answers pooled into one text, the usual way.</p>
<table>{table}</table>
<h2>Which model produced each engine's answers</h2><ul>{models}</ul>
{pictures}
{judged}
<h2>Time</h2><ul>{timing}</ul>
<h2>Examples, side by side</h2>{examples}
</body></html>"""
    (folder / "report.html").write_text(page, encoding="utf-8")
