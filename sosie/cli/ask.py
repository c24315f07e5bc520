"""``sosie ask``, ``interview`` and ``transcript``: put questions to the double, read them back."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sosie.cli import (
    AsOfOpt,
    BackendOpt,
    BaseUrlOpt,
    EngineOpt,
    GroundingOpt,
    Home,
    ModelOpt,
    Slug,
    StoreOpt,
    SupportOpt,
    app,
    out,
    read_questions,
    shown_path,
    use_store,
    user_errors,
    warn_if_stale,
)
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.engines.base import Answer


TAG_STYLE = {"verbatim": "green", "supported": "cyan", "extrapolated": "red"}


def print_answer(
    answer: Answer, as_json: bool = False, streamed: bool = False, show_support: bool = False,
    disclosed: bool = False,
) -> None:
    """The answer for a terminal; ``streamed``: its raw text is on screen already, ``disclosed``:
    the disclosure too (printed before the stream), so neither is shown twice."""
    if as_json:
        out.print_json(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    from sosie.engines.base import model_note

    if streamed:  # the raw stream is on screen; now the checked, cited version
        out.print("\n[dim]— checked against the sources:[/]")
    elif not disclosed:
        out.print(answer.disclosure, style="italic yellow", markup=False)
    # which model produced it, in small print under the disclosure
    out.print(model_note(answer.model), style="dim", markup=False, highlight=False)
    out.print(answer.text, markup=False)
    if answer.as_of:
        from sosie.engines.base import as_of_note

        out.print(as_of_note(answer.as_of), style="dim", markup=False)
    if answer.support and not show_support and answer.engine != "quote":
        tags = [item["tag"] for item in answer.support]
        mode = f"{answer.grounding}: " if answer.grounding else ""
        changed = f", {len(answer.repairs)} repaired" if answer.repairs else ""
        out.print(
            f"[dim]support ({mode}{tags.count('verbatim')} verbatim, {tags.count('supported')} "
            f"supported, {tags.count('extrapolated')} extrapolated sentences{changed}; "
            "--show-support for each)[/]"
        )
    if show_support and answer.support:
        if answer.grounding:
            out.print(f"[dim]grounding: {answer.grounding}[/]")
        for item in answer.support:
            cited = "".join(f"[{n}]" for n in item["citations"])
            tag = item["tag"] + (f", {item['repair']}" if item.get("repair") else "")
            out.print(f"  {tag:>12}", style=TAG_STYLE.get(item["tag"]), end=" ")
            out.print(f"{item['sentence']} {cited}", markup=False)
        for change in answer.repairs:
            by = f" -> {change['by']}" if change.get("by") else ""
            why = f" ({change['why']})" if change.get("why") else ""
            out.print(f"  {change['action']:>12}", style="magenta", end=" ")
            out.print(f"{change['sentence'] or '(nothing left)'}{why}{by}", markup=False)
    for c in answer.citations:
        out.print(
            f"  [{c.n}] {shown_path(c.source)} · {c.speaker} · {c.date or 'undated'} · {c.position}"
            + (f" · {c.link}" if c.link else ""),
            markup=False,
            highlight=False,
        )


def ask_streaming(session, question: str, as_json: bool, show_support: bool) -> None:
    """Generative answers appear token by token, then in their checked, cited form; the
    disclosure comes once, before the first token, whether the answer then abstains or not."""
    streaming = not as_json and session.engine.name != "quote"
    if streaming:
        out.print(session.workspace.config.disclosure, style="italic yellow", markup=False)
    shown: list[str] = []

    def show(piece: str) -> None:
        shown.append(piece)
        out.print(piece, end="", markup=False)

    answer = session.ask(question, on_token=show if streaming else None)
    if shown and answer.abstained:
        out.print()  # end the streamed line: an abstention is shown as is, not as a checked version
    print_answer(answer, as_json, streamed=streaming and not answer.abstained, show_support=show_support,
                 disclosed=streaming)


@app.command()
@user_errors
def ask(
    slug: Slug,
    question: Annotated[str, typer.Argument(help="The question to put to the double.")],
    engine: EngineOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    grounding: GroundingOpt = None,
    as_of: AsOfOpt = None,
    over_time: Annotated[bool, typer.Option(
        "--timeline", help="Answer from the timeline of the question's topic: earliest and latest "
        "statements with their dates (quote engine).")] = False,
    show_support: SupportOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer object as JSON.")] = False,
    home: Home = None,
) -> None:
    """Ask one question; the answer is saved as a one-question interview."""
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    warn_if_stale(persona)
    session = persona.interview(engine, title="ask", backend=backend, model=model, base_url=base_url,
                                grounding=grounding, as_of=as_of, timeline=over_time)
    ask_streaming(session, question, as_json, show_support)


@app.command()
@user_errors
def interview(
    slug: Slug,
    questions: Annotated[
        Path | None,
        typer.Option("--questions", help="Run a scripted interview: one question a line."),
    ] = None,
    engine: EngineOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    grounding: GroundingOpt = None,
    as_of: AsOfOpt = None,
    show_support: SupportOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print each answer as JSON.")] = False,
    home: Home = None,
) -> None:
    """Interview the double, interactively or from a file of questions; every turn is saved."""
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    warn_if_stale(persona)
    script = read_questions(questions) if questions is not None else None
    session = persona.interview(
        engine, title=str(questions) if questions else "interactive", backend=backend, model=model,
        base_url=base_url, grounding=grounding, as_of=as_of,
    )
    interactive = script is None
    if interactive and sys.stdin.isatty():
        out.print(persona.config.disclosure, style="italic yellow", markup=False)
        out.print("Ask a question; an empty line or Ctrl-D ends the interview.")
    source = script if script is not None else _stdin_questions(interactive and sys.stdin.isatty())
    for n, question in enumerate(source, start=1):
        if not as_json:
            out.print("" if interactive else f"\nQ{n}. {question}", style="bold cyan", markup=False)
        ask_streaming(session, question, as_json, show_support)
    out.print(
        f"\nSaved as interview {session.id}: sosie transcript {slug} --interview {session.id}",
        markup=False,
    )


def _stdin_questions(prompt: bool):
    while True:
        try:
            line = input("> " if prompt else "")
        except EOFError:
            return
        if not line.strip():
            return
        yield line.strip()


@app.command()
@user_errors
def transcript(
    slug: Annotated[str | None, typer.Argument(
        help="Persona name, e.g. ada (none with --panel).", show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="md or json.")] = "md",
    interview_id: Annotated[
        int | None, typer.Option("--interview", help="Interview id (default: the latest).")
    ] = None,
    panel_id: Annotated[
        int | None, typer.Option("--panel", help="A stored panel's id, instead of a persona's interview.")
    ] = None,
    store: StoreOpt = None,
    home: Home = None,
) -> None:
    """Print a saved interview (or panel) as Markdown or JSON, disclosures and sources included."""
    if panel_id is not None:
        from sosie.interview.panel_transcript import panel_transcript

        if slug is not None or interview_id is not None:
            raise SosieError("--panel prints a stored panel; name no persona or interview with it")
        typer.echo(panel_transcript(panel_id, home, fmt), nl=False)
        return
    if slug is None:
        raise SosieError("name a persona (sosie transcript NAME) or a panel (sosie transcript --panel N)")
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    use_store(persona, store)
    typer.echo(persona.transcript(interview_id, fmt), nl=False)
