"""``sosie new``, ``add``, ``corpus`` and ``list``: the persona and the words it is built from."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sosie.cli import Home, Slug, app, err, fail, out, shown_path, user_errors
from sosie.corpus.formats import clock_of

if TYPE_CHECKING:
    from sosie.corpus import IngestReport


@app.command()
@user_errors
def new(
    slug: Slug,
    name: Annotated[str | None, typer.Option("--name", help="The person's full name.")] = None,
    alias: Annotated[list[str], typer.Option("--alias", help="Another name used in transcripts (repeatable).")] = [],  # noqa: B006,E501
    description: Annotated[str, typer.Option(help="Who the person is, one or two sentences.")] = "",
    pronoun: Annotated[str, typer.Option(help="her, his or their (used in the disclosure).")] = "their",
    consent: Annotated[str, typer.Option(help="self, granted, public-record or none.")] = "none",
    consent_note: Annotated[str, typer.Option(help="Who consented, how, when.")] = "",
    from_card: Annotated[
        Path | None, typer.Option("--from-card", help="Create it from a character card (.png or .json).")
    ] = None,
    home: Home = None,
) -> None:
    """Create a persona workspace (persona.toml + sosie.db)."""
    from sosie.persona import Persona

    if from_card is not None:
        from sosie.export.cards import persona_from_card, read_card

        with err.status("creating the persona from the card"):
            persona = persona_from_card(read_card(from_card), slug, home)
        stats = persona.store.stats()
        out.print(f"Created persona {persona.slug} ({persona.config.name}) from {from_card}: "
                  f"{stats['qa_pairs']} real exchanges from the card's examples", markup=False)
        return
    if not name:
        fail("a persona needs a --name, e.g. --name \"Ada Example\" (or --from-card CARD)")
    persona = Persona.create(
        slug, name, alias, home=home, description=description, pronoun=pronoun,
        consent=consent, consent_note=consent_note,
    )
    out.print(f"Created persona {slug} ({name}) at {persona.workspace}", markup=False)
    out.print(f"Next: sosie add {slug} PATH...", markup=False)


@app.command()
@user_errors
def add(
    slug: Slug,
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or .zip archives.")],
    glob: Annotated[
        list[str], typer.Option("--glob", help="Only files matching this pattern, e.g. '*.vtt' (repeatable).")
    ] = [],  # noqa: B006
    licence: Annotated[
        str | None,
        typer.Option("--licence", help="Licence of these sources, e.g. CC-BY-4.0 (front matter wins)."),
    ] = None,
    speaker: Annotated[
        list[str], typer.Option("--speaker", help="Who a transcript label is, LABEL=Name, e.g. "
                                "'SPEAKER_01=Ada Example' (repeatable; remembered per source).")
    ] = [],  # noqa: B006
    single_speaker: Annotated[
        bool, typer.Option("--single-speaker", help="Read the files as one voice, labels and all.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show each file's format, speakers, how sure the reading "
                           "is and sample lines; store nothing.")
    ] = False,
    label_pattern: Annotated[
        str | None, typer.Option("--label-pattern", help="A regular expression for an unusual convention: "
                                 "where it matches at a line's start a turn begins, the speaker in its group "
                                 "'name', e.g. '^(?P<name>[A-Z][A-Z ]+) >> ' (remembered per source).")
    ] = None,
    asr_model: Annotated[
        Path | None, typer.Option("--asr-model", help="Recordings: your own faster-whisper model folder "
                                  "(default: whisper-base, from sosie models add whisper-base).")
    ] = None,
    num_speakers: Annotated[
        int | None, typer.Option("--num-speakers", min=1, max=8,
                                 help="Recordings: how many people speak (default: estimated).")
    ] = None,
    voice_sample: Annotated[
        Path | None, typer.Option("--voice-sample", help="Recordings: a short clip known to be the "
                                  "subject; the closest voice is theirs (identification only).")
    ] = None,
    max_hours: Annotated[
        float, typer.Option("--max-hours", min=0.01, help="Recordings: refuse any longer than this "
                            "before decoding it (default 4).")
    ] = 4.0,
    home: Home = None,
) -> None:
    """Ingest files and folders: the subject's words become passages, the others' become questions.

    Recordings (mp3, wav, m4a, ogg, flac, mp4, webm, mkv) are transcribed offline and their
    speakers told apart by voice."""
    from sosie.corpus.audio import Listening
    from sosie.persona import Persona

    speakers = speaker_map(speaker)
    persona = Persona.open(slug, home)
    with Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,  # no stray blank line in logs
    ) as progress:
        task = progress.add_task("reading", total=None)
        current = {"name": "", "stage": "", "began": 0.0}

        def on_file(name: str) -> None:
            current.update(name=escape(Path(name).name), stage="", began=time.perf_counter())
            progress.update(task, description=f"reading {current['name']}", total=None, completed=0)

        def on_audio(stage: str, done: float, total: float) -> None:
            if stage != current["stage"]:  # each stage's own real-time factor
                current.update(stage=stage, began=time.perf_counter())
            # seconds of work per second of audio: under 1 is faster than real time
            factor = (time.perf_counter() - current["began"]) / max(done, 0.01)
            progress.update(task, total=total, completed=done, description=(
                f"{stage} {current['name']} {clock_of(done)}/{clock_of(total)} "
                f"(real-time factor {factor:.2f})"))

        listening = Listening(asr_model=asr_model, num_speakers=num_speakers, voice_sample=voice_sample,
                              on_progress=on_audio, max_hours=max_hours)
        report = persona.add(
            *paths, globs=glob, licence=licence, speakers=speakers, single_speaker=single_speaker,
            dry_run=dry_run, on_file=on_file, listening=listening, labels=label_pattern,
        )
    print_report(report, slug, persona.config.name, dry_run)


def speaker_map(pairs: list[str]) -> dict[str, str]:
    """``--speaker LABEL=Name`` options as ``{label: name}``; a malformed one fails in one line."""
    speakers = {}
    for pair in pairs:
        label, sep, name = pair.partition("=")
        if not sep or not label.strip() or not name.strip():
            fail(f"--speaker {pair!r}: expected LABEL=Name, e.g. --speaker 'SPEAKER_01=Ada Example'")
        speakers[label.strip()] = name.strip()
    return speakers


def print_report(report: IngestReport, slug: str, subject: str, dry_run: bool) -> None:
    """What ``sosie add`` did, file by file where something went wrong, then the totals; a failed
    file makes the command fail (exit 1) once everything else is stored."""
    if dry_run:
        print_previews(report.previews, subject)
    for path, why in report.skipped:
        err.print(f"skipped: {shown_path(path)}: {why}", markup=False)
    for path, change in report.reread:
        err.print(f"read again: {shown_path(path)}: the reader now reads it differently ({change}); "
                  "its passages were replaced", markup=False)
    for _, message in report.failed:
        err.print(f"error: {message}", markup=False)
    if dry_run:
        out.print(f"dry run: {len(report.previews)} readable, {len(report.failed)} failed; nothing stored",
                  markup=False)
    else:
        out.print(report.summary(), markup=False)
    if report.added or report.replaced:
        out.print(f"Next: sosie build {slug}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


def print_previews(previews: list[dict], subject: str) -> None:
    """``sosie add --dry-run``: per file, the convention, how sure, who says how much, and what."""
    for preview in previews:
        out.print(f"{shown_path(preview['path'])}: {preview['kind']}, {preview['convention']}, "
                  f"{preview['date'] or 'undated'}; {sureness(preview['confidence'], preview['evidence'])}",
                  markup=False)
        show_speakers(preview["speakers"].items(), subject)


def sureness(confidence: float | None, evidence: str | None) -> str:
    """``"confidence 0.97 (147 labels of 3 speakers, ...)"``; a store from before confidences: unknown."""
    if confidence is None:
        return "confidence not measured (added by an older version; add it again to measure)"
    low = " - LOW: check the speakers below" if confidence < 0.6 else ""
    return f"confidence {confidence:.2f} ({evidence}){low}"


def show_speakers(rows, subject: str) -> None:
    """Each speaker's turns, words and role, then two sample lines of each to check them by
    (one line each, never wrapped into the table: a reporter's question is easy to spot)."""
    rows = list(rows)
    table = Table("speaker", "turns", "words", "taken as", box=None, show_header=True, pad_edge=False)
    for name, row in rows:
        table.add_row(escape(name), str(row["turns"]), f"{row['words']:,}",
                      f"the subject ({escape(subject)})" if row["role"] == "subject" else "someone else")
    out.print(table)
    for name, row in rows:
        for line in row.get("samples") or []:
            out.print(f"  {name}: “{line}”", markup=False, soft_wrap=True)


@app.command()
@user_errors
def corpus(
    slug: Slug,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    speakers: Annotated[
        bool, typer.Option("--speakers", help="Every speaker label per source, with who was the subject.")
    ] = False,
    home: Home = None,
) -> None:
    """What the persona knows: words and passages by source, speaker role and year."""
    from sosie.corpus.summary import corpus_summary
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    if speakers:
        rows = persona.store.speakers_by_source()
        if as_json:
            out.print_json(json.dumps(rows, ensure_ascii=False))
            return
        by_path: dict[str, list[dict]] = {}
        for row in rows:
            by_path.setdefault(row["path"], []).append(row)
        for path, speakers_here in by_path.items():
            first = speakers_here[0]
            out.print(f"{shown_path(path)}: {first['kind']}, {first['convention'] or first['kind']}; "
                      f"{sureness(first['confidence'], first['evidence'])}", markup=False)
            show_speakers(((r["speaker"], r) for r in speakers_here), persona.config.name)
        return
    summary = corpus_summary(persona.store)
    if as_json:
        out.print_json(json.dumps(summary, ensure_ascii=False))
        return
    out.print(
        f"{persona.config.name}: {summary['sources']} sources, {summary['subject_words']:,} words in "
        f"{summary['passages']} passages, {summary['qa_pairs']} real Q/A pairs; "
        f"{summary['near_duplicates']} near-duplicate passages indexed once.",
        markup=False,
    )
    if summary["undated_share"] > 0.5:  # --as-of, timelines and recency need dates
        err.print(f"warning: {summary['undated_share']:.0%} of the subject's words are undated, so --as-of "
                  "answers and timelines leave them out; date a file with front matter 'date: 2019-05-02', "
                  "a 'Date:' line at the top of a transcript, or YYYY-MM-DD in its name, then add it again",
                  markup=False)
    roles = Table("speaker role", "turns", "words", title="By speaker")
    for role, row in summary["by_role"].items():
        roles.add_row(role, str(row["turns"]), f"{row['words']:,}")
    years = Table("year", "passages", "words", title="By year")
    for year, row in summary["by_year"].items():
        years.add_row(year, str(row["passages"]), f"{row['words']:,}")
    largest = Table("source", "kind", "date", "licence", "passages", "words", title="Largest sources")
    for source in summary["largest_sources"]:
        largest.add_row(escape(shown_path(source["path"])), source["kind"], source["date"] or "",
                        escape(source["licence"] or "not stated"), str(source["passages"]),
                        f"{source['words']:,}")
    licences = Table("licence", "sources", title="By licence")
    for licence, count in summary["by_licence"].items():
        licences.add_row(escape(licence), str(count))
    heard = Table("recording", "audio", "speakers", "words by speaker", title="Recordings")
    for row in summary["recordings"]:
        said = ", ".join(f"{escape(who)} {n:,}" for who, n in sorted(row["words_by_speaker"].items(),
                                                                        key=lambda kv: -kv[1]))
        heard.add_row(escape(shown_path(row["path"])), f"{row['hours']:.2f} h ({clock_of(row['seconds'])})",
                      str(row["speakers_found"] or 1), said)
    out.print(f"Consent: {persona.config.consent}"
              + (f" ({persona.config.consent_note})" if persona.config.consent_note else ""), markup=False)
    if summary["recordings"]:
        total = sum(r["seconds"] for r in summary["recordings"])
        out.print(f"Recordings: {len(summary['recordings'])}, {total / 3600:.2f} hours of audio",
                  markup=False)
    for table in (roles, years, licences, largest, *([heard] if summary["recordings"] else [])):
        out.print(table)


@app.command("list")
@user_errors
def list_personas(home: Home = None) -> None:
    """List persona workspaces with their corpus and index state."""
    from sosie.persona import Persona

    table = Table("persona", "name", "sources", "passages", "Q/A pairs", "words", "index")
    for slug in Persona.names(home):
        with Persona.open(slug, home) as persona:
            stats = persona.store.stats()
            status = persona.index_status()
            state = "stale" if status.get("stale") else ("built" if status["built"] else "not built")
            state = "profile-stale" if status.get("profile_stale") and state == "built" else state
            table.add_row(slug, persona.config.name, str(stats["sources"]), str(stats["passages"]),
                          str(stats["qa_pairs"]), str(stats["subject_words"]), state)
    out.print(table)
