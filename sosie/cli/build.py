"""``sosie build`` and ``profile``: the index and the style profile measured from the words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sosie.cli import Home, Slug, app, out, step_bar, user_errors, warn_if_stale


@app.command()
@user_errors
def build(slug: Slug, home: Home = None) -> None:
    """Build the hybrid BM25 + embedding index (atomic: a killed build keeps the old index)."""
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    with step_bar() as progress:
        task = progress.add_task("loading embedding model", total=None)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        manifest = persona.build(progress=report)
    out.print(
        f"Indexed {manifest['passages']} passages and {manifest['questions']} past questions "
        f"of {persona.config.name} in {manifest['seconds']:.1f}s.",
        markup=False,
    )


@app.command()
@user_errors
def profile(
    slug: Slug,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw the profile to this PNG file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print profile.json.")] = False,
    home: Home = None,
) -> None:
    """Show the persona's style profile (measured at build time from the person's words)."""
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    warn_if_stale(persona)
    data = persona.profile()
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        from sosie.profile.show import profile_tables

        for table in profile_tables(data, persona.config.name):
            out.print(table)
    if plot is not None:
        from sosie.profile.show import plot_profile

        plot_profile(data, persona.config.name, plot)
        out.print(f"Wrote {plot}", markup=False)
