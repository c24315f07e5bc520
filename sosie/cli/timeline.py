"""``sosie timeline``: what the person said on a topic, oldest first, and where it changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from sosie.cli import AsOfOpt, Home, Slug, app, fail, out, shown_path, user_errors, warn_if_stale


@app.command()
@user_errors
def timeline(
    slug: Slug,
    topic: Annotated[str, typer.Argument(help="What to follow over time, e.g. \"public transport\".")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw how often the topic came up each year (PNG).")
    ] = None,
    as_of: AsOfOpt = None,
    judge: Annotated[str | None, typer.Option(
        "--judge", help="Let a language model judge each change instead of embedding distance: "
        "a backend (auto, transformers, llamacpp, openai); its changes are tagged with its name.")] = None,
    judge_model: Annotated[str | None, typer.Option(help="The judge's model.")] = None,
    judge_base_url: Annotated[str | None, typer.Option(help="The judge's server (--judge openai).")] = None,
    home: Home = None,
) -> None:
    """The person's dated statements on a topic, oldest first, grouped by year, with the
    places where the position changed marked (embedding distance between consecutive ones)."""
    from sosie.corpus.dates import as_of_date
    from sosie.engines.retrieval import window
    from sosie.engines.timeline import plot as draw
    from sosie.engines.timeline import timeline as follow
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    warn_if_stale(persona)
    date = as_of_date(as_of)
    asker = None
    if judge:
        from sosie.evaluate.judge import JudgeOptions, judge_asker

        asker = judge_asker(persona.config.generative, JudgeOptions(judge, judge_model, judge_base_url))
    found = follow(persona, topic, window(persona, date) if date else None, judge=asker)
    if plot is not None:
        if not found.statements:
            fail(f"--plot: nothing dated in {persona.config.name}'s record on {topic!r} to plot"
                 + (f" ({found.undated} undated passages on it)" if found.undated else ""))
        draw(found, plot)
    if as_json:
        out.print_json(json.dumps(found.to_dict(), ensure_ascii=False))
        return
    if not found.statements:
        out.print(f"Nothing dated in {persona.config.name}'s record on {topic!r}"
                  + (f" ({found.undated} undated passages on it)." if found.undated else "."), markup=False)
        return
    changed = {c["before"]: c for c in found.changes}
    table = Table("year", "date", "what they said", "source",
                  title=f"{persona.config.name} on \u201c{escape(topic)}\u201d")
    previous = None
    for i, statement in enumerate(found.statements):
        if i in changed:
            table.add_row("", "", f"[bold red]— changed here (distance {changed[i]['distance']:.2f}, "
                          f"{escape(changed[i]['method'])}) —[/]", "")
        text = statement.text if len(statement.text) <= 160 else statement.text[:157] + "..."
        table.add_row(statement.year if statement.year != previous else "", statement.date,
                      escape(text),
                      f"{shown_path(statement.citation.source)} · {statement.citation.position}")
        previous = statement.year
    out.print(table)
    years = ", ".join(f"{year}: {n}" for year, n in found.by_year.items())
    out.print(f"By year: {years}" + (f"; {found.undated} undated passages left out" if found.undated else ""),
              markup=False)
    if plot is not None:
        out.print(f"Plot: {plot}", markup=False)
