"""``sosie eval`` and ``quiz``: is it them? Measured on held-out answers, and by a person."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sosie.cli import (
    BackendOpt,
    BaseUrlOpt,
    GroundingOpt,
    Home,
    ModelOpt,
    Slug,
    app,
    out,
    step_bar,
    user_errors,
    warn_if_stale,
)
from sosie.errors import SosieError


@app.command("eval")
@user_errors
def eval_(
    slug: Slug,
    engines: Annotated[str, typer.Option(
        help="Comma-separated engine names; ENGINE:MODE compares grounding modes, e.g. "
             "generative:strict,generative:balanced.")] = "quote,generative,baseline",
    report: Annotated[
        Path | None, typer.Option("--report", help="Report folder (default: WORKSPACE/eval/STAMP).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many held-out questions.")] = None,
    offtopic: Annotated[int, typer.Option(help="Off-topic questions drawn from the shipped list.")] = 20,
    offtopic_file: Annotated[
        Path | None, typer.Option(help="Your own unanswerable questions, one a line.")
    ] = None,
    background: Annotated[
        list[Path], typer.Option(help="More writers' texts for the classifier (repeatable).")
    ] = [],  # noqa: B006
    seed: Annotated[int, typer.Option(help="Seed of the held-out split and the sampling.")] = 0,
    resplit: Annotated[bool, typer.Option(help="Draw the held-out split again.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Split by time: the double knows what is dated up to this date and is "
        "scored on the person's answers dated after it.")] = None,
    max_new_tokens: Annotated[int | None, typer.Option(help="Cap generated answers (faster runs).")] = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    grounding: GroundingOpt = None,
    judge: Annotated[str | None, typer.Option(
        help="Also ask a language model which answer is the person's: a backend (auto, transformers, "
             "llamacpp, openai).")] = None,
    judge_model: Annotated[str | None, typer.Option(help="The judge's model.")] = None,
    judge_base_url: Annotated[str | None, typer.Option(help="The judge's server (--judge openai).")] = None,
    judge_control: Annotated[str | None, typer.Option(
        help="Check the judge first on this other persona's real answers beside the person's "
             "(default: other speakers' statements in the person's own record).")] = None,
    home: Home = None,
) -> None:
    """Evaluate every engine on the person's held-out answers: is it them?"""
    from sosie.evaluate import EvalOptions, evaluate
    from sosie.evaluate.judge import JudgeOptions
    from sosie.evaluate.report import CLI_COLUMNS, SHORT_HEADERS, summary_rows
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    warn_if_stale(persona)
    options = EvalOptions(
        engines=[e.strip() for e in engines.split(",") if e.strip()], seed=seed, resplit=resplit, as_of=as_of,
        limit=limit, offtopic=offtopic, offtopic_file=offtopic_file, background=list(background),
        max_new_tokens=max_new_tokens, backend=backend, model=model, base_url=base_url,
        grounding=grounding, report_dir=report,
        judge=JudgeOptions(judge, judge_model, judge_base_url, judge_control) if judge else None,
    )
    with step_bar() as progress:
        task = progress.add_task("loading engines", total=None)
        metrics = evaluate(
            persona, options,
            progress=lambda stage, done, total: progress.update(task, description=stage,
                                                                 completed=done, total=total),
        )
    # a terminal holds the main columns; report.html and metrics.json have every metric
    shown = [SHORT_HEADERS.index(h) for h in CLI_COLUMNS]
    table = Table(*CLI_COLUMNS, title=f"Is it {persona.config.name}? {metrics['questions']} held-out "
                  "questions; means [95% intervals]; Delta: lower = closer")
    for row in summary_rows(metrics, digits=2):
        table.add_row(*(row[i] for i in shown))
    out.print(table)
    out.print(f"Split {metrics['split']}.", markup=False)
    for name, m in metrics["engines"].items():
        for model in m.get("models", []):
            out.print(f"{name}: {model['label']} ({model['answers']} answers)", style="dim", markup=False,
                      highlight=False)
    judged = metrics.get("judge") or {}
    if judged.get("control"):
        c = judged["control"]
        out.print(f"Judge {judged['model']}, the control (the person beside another real person): found "
                  f"the person {c['found_real']} times of {c['asked']}, {c['judged']} picks surviving "
                  f"the swap of the two answers" + (f" (p = {c['p_value']:.3f})" if c["judged"] else ""),
                  markup=False)
    if judged.get("verdict"):
        out.print(f"Judge {judged['model']}: no verdict: {judged['verdict']}.", markup=False)
    for name, j in judged.get("engines", {}).items():
        if j["judged"]:
            out.print(f"Judge {judged['model']}: found the real answer beside {name}'s "
                      f"{j['found_real']}/{j['judged']} times in both orders (chance 50%, "
                      f"p = {j['p_value']:.3f}; {j['inconsistent']} picks changed with the order)",
                      markup=False)
    out.print(f"Report: {metrics['report_dir']}/report.html", markup=False)


@app.command()
@user_errors
def quiz(
    slug: Slug,
    k: Annotated[int, typer.Option("--k", help="Answers shown per question (one is real).")] = 3,
    rounds: Annotated[int | None, typer.Option(help="Stop after this many questions.")] = None,
    run: Annotated[int | None, typer.Option(help="Evaluation run id (default: the latest).")] = None,
    home: Home = None,
) -> None:
    """Blind test: pick the person's real answer among the doubles'; scored against chance."""
    from sosie.evaluate.quiz import new_quiz_id, quiz_items, quiz_summary, record_pick
    from sosie.persona import Persona

    if k < 2:
        raise SosieError("--k must be at least 2 (the real answer and one double)")
    persona = Persona.open(slug, home)
    run_id, items = quiz_items(persona, run, k)
    quiz_id = new_quiz_id()
    out.print(f"One answer is {persona.config.name}'s real recorded answer; the others are simulations "
              "by Sosie's engines. Type the number of the real one (q to stop).",
              style="italic yellow", markup=False)
    for n, item in enumerate(items[:rounds] if rounds else items, start=1):
        out.print(f"\n{n}. {item.question}", style="bold cyan", markup=False, highlight=False)
        for i, option in enumerate(item.options, start=1):
            out.print(f"  {i}) {option['text']}", markup=False)
        choice = None
        while choice is None:
            try:
                line = input("Which is real? ").strip().lower()
            except EOFError:
                line = "q"
            if line in ("q", "quit"):
                break
            if line.isdigit() and 1 <= int(line) <= len(item.options):
                choice = int(line) - 1
            else:
                out.print(f"  type 1-{len(item.options)} or q", markup=False)
        if choice is None:
            break
        right = record_pick(persona, quiz_id, run_id, item, choice)
        by = ", ".join(f"{i}) {o['by']}" for i, o in enumerate(item.options, start=1))
        out.print(("  right! " if right else "  not this time. ") + f"({by})", markup=False)
    summary = quiz_summary(persona, quiz_id)
    if summary["answered"]:
        out.print(
            f"\n{summary['correct']}/{summary['answered']} right: accuracy {summary['accuracy']:.2f} "
            f"vs chance {summary['chance']:.2f} (one-sided binomial p = {summary['p_value']:.3f}). "
            f"Quiz {quiz_id} saved.",
            markup=False,
        )
