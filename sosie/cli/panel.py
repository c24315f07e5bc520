"""``sosie panel``: several doubles (and perhaps a real person) in one conversation.

Every double's answer is shown beside the others', each with its own disclosure and sources;
the panel is stored as it goes (``sosie transcript --panel N``, ``sosie export --panel N``).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from sosie.cli import (
    AsOfOpt,
    BackendOpt,
    BaseUrlOpt,
    EngineOpt,
    GroundingOpt,
    Home,
    ModelOpt,
    app,
    err,
    out,
    read_questions,
    shown_path,
    step_bar,
    user_errors,
)
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.interview.panel import Panel, PanelTurn

# "@wren @rowan why?" puts the question to those two only
ADDRESS = re.compile(r"^\s*((?:@[a-z0-9][a-z0-9_-]*[\s,]*)+)(.*)$")
RESPOND = ("/next", "/respond")
HELP = ("Type a question for every double; '@wren ...' puts it to one; '/next' lets each double "
        "respond to the others; an empty line or Ctrl-D ends the panel.")


def parse_line(line: str, human: str | None) -> tuple[str | None, list[str], str]:
    """``(speaker, addressed, text)`` of a moderator's line: ``"Ada: @wren why?"`` is
    ``("Ada", ["wren"], "why?")`` when Ada is the panel's human participant."""
    speaker = None
    if human and line.lower().startswith(human.lower() + ":"):
        speaker, line = human, line[len(human) + 1:]
    match = ADDRESS.match(line)
    if not match:
        return speaker, [], line.strip()
    return speaker, re.findall(r"@([a-z0-9][a-z0-9_-]*)", match.group(1)), match.group(2).strip()


def show_turns(turns: list[PanelTurn]) -> None:
    """Prompts as lines; each round of answers as a table, one column per double."""
    rounds: dict[tuple[int, int], list[PanelTurn]] = {}
    for turn in turns:
        if turn.kind != "double":
            out.print(f"\n{turn.label}: {turn.text}", style="bold cyan", markup=False)
        else:
            rounds.setdefault((turn.exchange, turn.round), []).append(turn)
    for (_, round_no), answers in rounds.items():
        title = "answers" if round_no == 1 else f"round {round_no}: responding to each other"
        table = Table(title=title, show_lines=False, expand=True)
        for turn in answers:
            table.add_column(turn.label, overflow="fold", ratio=1)
        table.add_row(*(_cell(turn) for turn in answers))
        out.print(table)


def _cell(turn: PanelTurn) -> Text:
    from sosie.engines.base import model_note

    answer = turn.answer
    cell = Text(answer.disclosure + "\n", style="italic yellow")
    cell.append(model_note(answer.model) + "\n", style="dim")
    cell.append(answer.text + "\n")
    for c in answer.citations:
        cell.append(f"[{c.n}] {shown_path(c.source)} · {c.date or 'undated'} · {c.position}\n", style="dim")
    return cell


def _json(turns: list[PanelTurn]) -> None:
    for turn in turns:
        line = {"id": turn.id, "exchange": turn.exchange, "round": turn.round, "kind": turn.kind,
                "speaker": turn.speaker, "label": turn.label, "text": turn.text}
        if turn.answer is not None:
            line["answer"] = turn.answer.to_dict()
        out.print_json(json.dumps(line, ensure_ascii=False))


@app.command()
@user_errors
def panel(
    names: Annotated[list[str] | None, typer.Argument(
        help="Two or more persona names (none with --resume).", show_default=False)] = None,
    question: Annotated[str | None, typer.Option(
        "--question", "-q", help="Ask every double this question, answers side by side.")] = None,
    rounds: Annotated[int, typer.Option(
        help="1: each double answers; 2 or more: then each responds to the others' last answers.")] = 1,
    to: Annotated[list[str] | None, typer.Option(
        "--to", help="Put the question to this double only (repeatable).")] = None,
    moderator: Annotated[bool, typer.Option(
        "--moderator", help="Interactive: you type the questions, '@wren ...' to address one.")] = False,
    with_human: Annotated[str | None, typer.Option(
        "--with-human", help="A real person taking part: lines typed as 'NAME: ...' are stored as "
        "theirs, never as a double's.")] = None,
    resume: Annotated[int | None, typer.Option(
        "--resume", help="Go on with stored panel N (its personas, engine and history).")] = None,
    engine: EngineOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    grounding: GroundingOpt = None,
    as_of: AsOfOpt = None,
    title: Annotated[str | None, typer.Option(help="A title for the stored panel.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print each turn as JSON.")] = False,
    home: Home = None,
) -> None:
    """Put the same question to several doubles, or moderate a panel of them."""
    from sosie.interview.panel import Panel, check_rounds

    if question is None and not moderator:
        raise SosieError("give --question \"...\" or --moderator (interactive)")
    if question is not None and moderator:
        raise SosieError("--question and --moderator are two ways to run a panel; pick one")
    check_rounds(rounds)
    options = {"backend": backend, "model": model, "base_url": base_url, "grounding": grounding,
               "as_of": as_of}
    if resume is not None:
        if names:
            raise SosieError("--resume continues a stored panel with its own personas; name none")
        if with_human:
            raise SosieError("--with-human is set when a panel starts; a resumed panel keeps its cast")
        session = Panel.resume(resume, home, **options)
    else:
        session = Panel.start(names or [], home, engine=engine, human=with_human,
                              title=title or (question if question else "moderated"), **options)
    show = _json if as_json else show_turns
    if question is not None:
        show(session.ask(question, to=to, rounds=rounds))
    else:
        _moderate(session, to, rounds, show)
    out.print(f"\nSaved as panel {session.id}: sosie transcript --panel {session.id}", markup=False)


def _moderate(session: Panel, to: list[str] | None, rounds: int, show) -> None:
    prompt = sys.stdin.isatty()
    if prompt:
        names = ", ".join(f"@{slug}" for slug in session.members)
        out.print(f"Panel {session.id}: {names}" + (
            f", and {session.human} (type '{session.human}: ...')" if session.human else ""), markup=False)
        out.print(HELP, markup=False)
    while True:
        try:
            line = input("> " if prompt else "").strip()
        except EOFError:
            return
        if not line:
            return
        try:
            if line in RESPOND:
                show(session.respond(to=to))
                continue
            speaker, addressed, text = parse_line(line, session.human)
            show(session.ask(text, to=addressed or to, rounds=rounds, speaker=speaker))
        except SosieError as exc:  # one bad line ends nothing: say why and go on
            err.print(f"error: {exc}", markup=False)


@app.command("eval-panel")
@user_errors
def eval_panel(
    names: Annotated[list[str] | None, typer.Argument(
        help="Two or more persona names (none with --panel).", show_default=False)] = None,
    panel_id: Annotated[int | None, typer.Option(
        "--panel", help="Score a stored panel instead of asking a new one.")] = None,
    questions: Annotated[Path | None, typer.Option(
        help="Questions for the new panel, one a line (default: real questions from each corpus).")] = None,
    per_person: Annotated[int, typer.Option(help="Real questions drawn from each corpus.")] = 5,
    rounds: Annotated[int, typer.Option(help="2: the doubles also respond to each other.")] = 2,
    engine: EngineOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    grounding: GroundingOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the question draw and the classifier.")] = 0,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Report folder (default: HOME/panel-eval/...).")] = None,
    home: Home = None,
) -> None:
    """Do a panel's doubles keep their own voices? A confusion matrix of whose words each line is."""
    from sosie.evaluate.panel import PanelEvalOptions, evaluate_panel
    from sosie.interview.panel import check_rounds

    if (panel_id is None) == (not names):
        raise SosieError("name two or more personas, or score a stored panel with --panel N")
    check_rounds(rounds)
    script = read_questions(questions) if questions is not None else []
    options = PanelEvalOptions(
        questions=script, per_person=per_person, rounds=rounds, engine=engine, seed=seed, report_dir=report,
        engine_options={k: v for k, v in {"backend": backend, "model": model, "base_url": base_url,
                                          "grounding": grounding}.items() if v is not None})
    with step_bar() as progress:
        task = progress.add_task("starting the panel", total=None)
        metrics = evaluate_panel(names or [], home, options, panel_id,
                                 progress=lambda stage, done, total: progress.update(
                                     task, description=stage, completed=done, total=total))
    labels, matrix, who = metrics["personas"], metrics["confusion"]["matrix"], metrics["names"]
    table = Table("double \\ attributed to", *(who[s] for s in labels), "right",
                  title=f"Panel {metrics['panel']}: whose voice is each line? ({metrics['lines']} lines)")
    for i, slug in enumerate(labels):
        m = metrics["per_person"][slug]
        table.add_row(f"Simulated {who[slug]}", *(str(n) for n in matrix[i]),
                      f"{100 * m['mean']:.0f}%" if m["mean"] is not None else "—")
    out.print(table)
    acc = metrics["accuracy"]
    out.print(f"Right person: {100 * acc['mean']:.0f}% [{100 * acc['low']:.0f}, {100 * acc['high']:.0f}] "
              f"(chance {100 * metrics['chance']:.0f}%, p = {metrics['p_value']:.2g}).", markup=False)
    out.print(f"Report: {metrics['report_dir']}/report.md", markup=False)
