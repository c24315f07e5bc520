"""``sosie export``, ``pack``, ``unpack`` and ``speak``: take the double elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sosie.cli import Home, Slug, StoreOpt, app, err, fail, out, shown_path, use_store, user_errors
from sosie.errors import SosieError


def _check_disclosure(path: Path, disclosure: str) -> None:
    """The library's disclosure check as a command's one-line error (tests call it)."""
    from sosie.export.formats import check_disclosure

    try:
        check_disclosure(path, disclosure)
    except SosieError as exc:
        fail(str(exc))


@app.command()
@user_errors
def export(
    slug: Annotated[str | None, typer.Argument(
        help="Persona name, e.g. ada (none with --panel).", show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="ccv2, ccv3, modelfile, transcript or script "
                                     "(a panel: transcript, script, or ccv3 for group chats).")] = "",
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write; its suffix picks the variant (.png/.json, "
                                   ".md/.json/.srt/.vtt, .fountain/.pdf; a folder for a panel's cards)."),
    ] = None,
    interview_id: Annotated[
        int | None,
        typer.Option("--interview", help="Interview id for transcript and script (default: latest)."),
    ] = None,
    panel_id: Annotated[
        int | None, typer.Option("--panel", help="Export a stored panel instead of a persona's interview."),
    ] = None,
    store: StoreOpt = None,
    home: Home = None,
) -> None:
    """Take the double elsewhere: character cards, an Ollama Modelfile, transcripts, an actor's script."""
    from sosie.export.formats import FORMATS, export_as

    if not fmt:
        fail("give --format: " + ", ".join(FORMATS))
    if panel_id is not None:
        from sosie.export.panel import PANEL_FORMATS, export_panel

        if slug is not None or interview_id is not None:
            fail("--panel exports a stored panel; name no persona or interview with it")
        if fmt not in PANEL_FORMATS:
            fail(f"a panel exports as {', '.join(PANEL_FORMATS)}, not {fmt!r}")
        written = export_panel(panel_id, fmt, out_path, home)
        out.print(f"Wrote {shown_path(str(written))}", markup=False)
        return
    from sosie.persona import Persona

    if fmt not in FORMATS:  # before opening the persona: a typo fails at once
        fail(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if slug is None:
        fail("name a persona (sosie export NAME -f ...) or a panel (sosie export --panel N -f ...)")
    persona = Persona.open(slug, home)
    use_store(persona, store)
    written = export_as(persona, fmt, out_path, interview_id)
    out.print(f"Wrote {shown_path(str(written))}", markup=False)


@app.command()
@user_errors
def pack(
    slug: Slug,
    out_path: Annotated[Path | None, typer.Option("--out", help="Archive to write.")] = None,
    home: Home = None,
) -> None:
    """One portable archive of the persona, with a manifest of every file's sha256."""
    from sosie.export.pack import pack as make_pack
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    with err.status("packing"):
        written = make_pack(persona, out_path)
    out.print(f"Wrote {shown_path(str(written))}", markup=False)


@app.command()
@user_errors
def unpack(
    archive: Annotated[Path, typer.Argument(help="An archive written by sosie pack.")],
    as_slug: Annotated[str | None, typer.Option("--as", help="Restore under another name.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a persona of that name.")] = False,
    trust_settings: Annotated[
        bool, typer.Option("--trust-settings",
                           help="Keep the archive's backend, model and server URL (default: reset).")
    ] = False,
    home: Home = None,
) -> None:
    """Verify every file of a packed persona against its manifest, then restore it."""
    from sosie.export.unpack import unpack as restore

    dropped: list[str] = []
    with err.status("verifying and restoring"):
        persona = restore(archive, home, as_slug, force, trust_settings=trust_settings, dropped=dropped)
    out.print(f"Restored {persona.slug} ({persona.config.name}) to {shown_path(str(persona.workspace))}",
              markup=False)
    if dropped:
        err.print("warning: the archive's model settings were reset to the local defaults (keep them "
                  "with --trust-settings): " + "; ".join(dropped), markup=False)


@app.command()
@user_errors
def speak(
    slug: Annotated[str | None, typer.Argument(
        help="Persona name, e.g. ada (none with --panel).", show_default=False)] = None,
    text: Annotated[str | None, typer.Option("--text", help="Speak this answer text instead.")] = None,
    interview_id: Annotated[
        int | None, typer.Option("--interview", help="Interview to read (default: latest).")
    ] = None,
    panel_id: Annotated[
        int | None, typer.Option("--panel", help="Read a stored panel, a generic voice per double.")
    ] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="WAV file to write.")] = None,
    home: Home = None,
) -> None:
    """Read an interview (or a text) aloud with a GENERIC synthetic voice (espeak-ng) to a WAV."""
    from sosie.export.formats import latest_interview
    from sosie.export.speech import speak as say
    from sosie.export.speech import speak_transcript

    if panel_id is not None:
        from sosie.interview.panel_transcript import panel_record

        if slug is not None or text is not None or interview_id is not None:
            fail("--panel reads a stored panel; give no persona, --text or --interview with it")
        written = speak_transcript(panel_record(panel_id, home), out_path or Path(f"panel-{panel_id}.wav"))
        out.print(f"Wrote {shown_path(str(written))} (generic synthetic voices; not the people's)",
                  markup=False)
        return
    if slug is None:
        fail("name a persona (sosie speak NAME) or a panel (sosie speak --panel N)")
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    if text is not None:
        spoken = f"A synthetic voice reading a simulation of {persona.config.name}. {text}"
        written = say(spoken, out_path or Path(f"{slug}-answer.wav"))
    else:
        interview_id = interview_id or latest_interview(persona)
        record = json.loads(persona.transcript(interview_id, "json"))
        written = speak_transcript(record, out_path or Path(f"{slug}-interview-{interview_id}.wav"))
    out.print(f"Wrote {shown_path(str(written))} (a generic synthetic voice; not the person's)", markup=False)
