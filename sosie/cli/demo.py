"""``sosie demo``: the bundled fictional personas, built and interviewed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sosie.cli import Home, app, out, user_errors
from sosie.cli.ask import ask, interview
from sosie.cli.build import build


@app.command()
@user_errors
def demo(
    home: Home = None,
    questions: Annotated[
        Path | None, typer.Option("--questions", help="Questions file (default: the bundled script).")
    ] = None,
) -> None:
    """Build the bundled FICTIONAL demo personas and run a scripted interview of Rowan Adler."""
    from sosie.demo import DEMO_PERSONAS, create_demo_persona

    out.print(
        "[bold]Sosie demo.[/] Rowan Adler and Wren Halloway are [bold]fictional[/] people, "
        "written for this demo; every answer below is a simulation built from that text."
    )
    for slug in DEMO_PERSONAS:
        persona = create_demo_persona(slug, home)
        if not persona.index_status()["built"] or persona.index_status()["stale"]:
            build(slug, home=home)
        stats = persona.store.stats()
        out.print(
            f"  {slug}: {stats['sources']} sources, {stats['subject_words']} words of "
            f"{persona.config.name}, {stats['qa_pairs']} real Q/A pairs",
            markup=False,
        )
    script = questions or (Path(__file__).parents[1] / "demo" / "questions" / "rowan.txt")
    interview("rowan", questions=script, engine=None, backend=None, model=None, base_url=None,
              show_support=False, as_json=False, home=home)
    # the real voice: one answer by the best installed language model (make demo installs
    # Qwen2.5-1.5B), in the default grounding mode, with its citations
    out.print("\nThe same double with a language model (the generative engine, checked sentence by "
              "sentence against the sources):", markup=False)
    ask("rowan", DEMO_QUESTION, engine="generative", backend=None, model=None, base_url=None,
        grounding=None, as_of=None, over_time=False, show_support=False, as_json=False, home=home)
    out.print(
        "\nNext: see each sentence's support, or ask your own:\n"
        f"  sosie ask rowan \"{DEMO_QUESTION}\" --engine generative --show-support",
        markup=False,
    )


DEMO_QUESTION = "Why do trains beat planes?"
