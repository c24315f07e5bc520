"""The ``sosie`` command: a thin typer + rich layer over :class:`sosie.Persona`."""

from __future__ import annotations

import errno
import functools
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sosie.engines.base import Answer
from sosie.errors import SosieError
from sosie.persona import Persona

app = typer.Typer(
    help="Sosie: interview a cited, clearly labelled double of a person, built from their words.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Home = Annotated[
    Path | None, typer.Option("--home", envvar="SOSIE_HOME", help="Folder of persona workspaces.")
]
Slug = Annotated[str, typer.Argument(help="Persona name, e.g. ada.")]
EngineOpt = Annotated[
    str | None, typer.Option("--engine", "-e", help="quote or generative (default: the persona's).")
]
BackendOpt = Annotated[
    str | None, typer.Option("--backend", help="Generative backend: transformers, llamacpp or openai.")
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="Model path, folder or name (default: the bundled SmolLM2).")
]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible server for --backend openai.")
]
SupportOpt = Annotated[
    bool, typer.Option("--show-support", help="Tag each sentence verbatim, supported or extrapolated.")
]


@app.callback()
def private_files() -> None:
    # Runs before every command. Everything a command writes (workspaces, transcripts, reports,
    # exports) is the user's alone: folders 0700, files 0600; a person's words are private.
    os.umask(0o077)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


HINTS = {
    errno.ENOSPC: "the disk is full; free some space and run it again",
    errno.EDQUOT: "the disk quota is used up; free some space and run it again",
    errno.EROFS: "the file system is read-only; use a writable --home",
    errno.EACCES: "check the folder's permissions",
    errno.EPERM: "check the folder's permissions",
}


def _workspace_of(kwargs: dict) -> Path | None:
    """The workspace a command works on, to name when an error carries no path of its own."""
    from sosie.config import home_dir, workspace_path

    try:
        if isinstance(kwargs.get("slug"), str):
            return workspace_path(kwargs["slug"], kwargs.get("home"))
        return home_dir(kwargs.get("home"))
    except SosieError:
        return None


def os_error_line(exc: OSError, where: Path | None) -> str:
    """``PATH: cause (what to do)`` for an OSError from anywhere below a command."""
    path = exc.filename if exc.filename is not None else where
    cause = exc.strerror or " ".join(str(a) for a in exc.args) or type(exc).__name__
    hint = HINTS.get(exc.errno or 0)
    return f"{path or 'a file'}: {cause}" + (f" ({hint})" if hint else "")


def sqlite_error_line(exc: sqlite3.Error, where: Path | None) -> str:
    """sqlite3 errors name no file; the persona's database is the one."""
    database = (where / "sosie.db") if where is not None and where.suffix != ".db" else where
    cause = _one_line(exc)
    lowered = cause.lower()
    if "unable to open" in lowered or "readonly" in lowered:
        hint = "is the workspace read-only, or missing? check its permissions or use another --home"
    elif "full" in lowered or "i/o error" in lowered:
        hint = "the disk may be full; free some space and run it again"
    elif "locked" in lowered or "busy" in lowered:
        hint = "another sosie process is writing it; try again when it is done"
    else:
        hint = "the database may be damaged; restore it from a pack"
    return f"{database or 'sosie.db'}: {cause} ({hint})"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def user_errors(command):
    """Every error a user can act on becomes one line on stderr and exit status 1, never a
    traceback: SosieError, and the OSError and sqlite3 errors of a full disk, a read-only or
    vanished workspace (named by path, with the cause). Commands remove their partial output
    themselves (the build's .partial folder, temporary files) before the error reaches here."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SosieError as exc:
            fail(str(exc))
        except sqlite3.Error as exc:
            fail(sqlite_error_line(exc, _workspace_of(kwargs)))
        except OSError as exc:
            fail(os_error_line(exc, _workspace_of(kwargs)))
        except KeyboardInterrupt:
            fail("interrupted; everything completed so far is saved", 130)

    return wrapper


def step_bar() -> Progress:
    """The progress bar of the long commands (build, eval, train), on stderr, gone when done."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,  # no stray blank line in logs
    )


def shown_path(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


TAG_STYLE = {"verbatim": "green", "supported": "cyan", "extrapolated": "red"}


def print_answer(
    answer: Answer, as_json: bool = False, streamed: bool = False, show_support: bool = False
) -> None:
    if as_json:
        out.print_json(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    if streamed:  # the raw stream is on screen; now the checked, cited version
        out.print("\n[dim]— checked against the sources:[/]")
    else:
        out.print(answer.disclosure, style="italic yellow", markup=False)
    out.print(answer.text, markup=False)
    if answer.support and not show_support and answer.engine != "quote":
        tags = [item["tag"] for item in answer.support]
        out.print(
            f"[dim]support: {tags.count('verbatim')} verbatim, {tags.count('supported')} supported, "
            f"{tags.count('extrapolated')} extrapolated sentences (--show-support for each)[/]"
        )
    if show_support and answer.support:
        for item in answer.support:
            cited = "".join(f"[{n}]" for n in item["citations"])
            out.print(f"  {item['tag']:>12}", style=TAG_STYLE.get(item["tag"]), end=" ")
            out.print(f"{item['sentence']} {cited}", markup=False)
    for c in answer.citations:
        out.print(
            f"  [{c.n}] {shown_path(c.source)} · {c.speaker} · {c.date or 'undated'} · {c.position}"
            + (f" · {c.link}" if c.link else ""),
            markup=False,
            highlight=False,
        )


def warn_if_stale(persona: Persona) -> None:
    status = persona.index_status()
    if status["built"] and status["stale"]:
        err.print(
            f"warning: files changed since the last build; run: sosie build {persona.slug}",
            markup=False,
        )
    elif status["built"] and status.get("profile_stale"):
        err.print(
            "warning: the style profile is not from the corpus the index was built from (a build "
            f"was interrupted after the index switch?); run: sosie build {persona.slug}",
            markup=False,
        )


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
        bool, typer.Option("--dry-run", help="Show each file's format and speakers; store nothing.")
    ] = False,
    home: Home = None,
) -> None:
    """Ingest files and folders: the subject's words become passages, the others' become questions."""
    speakers = {}
    for pair in speaker:
        label, sep, name = pair.partition("=")
        if not sep or not label.strip() or not name.strip():
            fail(f"--speaker {pair!r}: expected LABEL=Name, e.g. --speaker 'SPEAKER_01=Ada Example'")
        speakers[label.strip()] = name.strip()
    persona = Persona.open(slug, home)
    with Progress(
        TextColumn("[progress.description]{task.description}"), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,  # no stray blank line in logs
    ) as progress:
        task = progress.add_task("reading", total=None)
        report = persona.add(
            *paths, globs=glob, licence=licence, speakers=speakers, single_speaker=single_speaker,
            dry_run=dry_run,
            on_file=lambda name: progress.update(task, description=f"reading {escape(Path(name).name)}"),
        )
    if dry_run:
        print_previews(report.previews, persona.config.name)
    for path, why in report.skipped:
        err.print(f"skipped: {shown_path(path)}: {why}", markup=False)
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
    """``sosie add --dry-run``: per file, the convention and who says how much."""
    for preview in previews:
        out.print(f"{shown_path(preview['path'])}: {preview['kind']}, {preview['convention']}, "
                  f"{preview['date'] or 'undated'}", markup=False)
        table = Table("speaker", "turns", "words", "taken as", box=None, show_header=True, pad_edge=False)
        for name, row in preview["speakers"].items():
            table.add_row(escape(name), str(row["turns"]), f"{row['words']:,}",
                          f"the subject ({escape(subject)})" if row["role"] == "subject" else "someone else")
        out.print(table)


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

    persona = Persona.open(slug, home)
    if speakers:
        rows = persona.store.speakers_by_source()
        if as_json:
            out.print_json(json.dumps(rows, ensure_ascii=False))
            return
        table = Table("source", "read as", "speaker", "turns", "words", "taken as",
                      title="Speakers by source")
        previous = None
        for row in rows:
            first = row["path"] != previous  # name each source once, on its first speaker's row
            previous = row["path"]
            table.add_row(escape(shown_path(row["path"])) if first else "",
                          escape(row["convention"] or row["kind"]) if first else "",
                          escape(row["speaker"]), str(row["turns"]), f"{row['words']:,}",
                          "the subject" if row["role"] == "subject" else "someone else")
        out.print(table)
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
    out.print(f"Consent: {persona.config.consent}"
              + (f" ({persona.config.consent_note})" if persona.config.consent_note else ""), markup=False)
    for table in (roles, years, licences, largest):
        out.print(table)


@app.command()
@user_errors
def build(slug: Slug, home: Home = None) -> None:
    """Build the hybrid BM25 + embedding index (atomic: a killed build keeps the old index)."""
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


def ask_streaming(session, question: str, as_json: bool, show_support: bool) -> None:
    """Generative answers appear token by token, then in their checked, cited form."""
    streaming = not as_json and session.engine.name != "quote"
    if streaming:
        out.print(session.persona.config.disclosure, style="italic yellow", markup=False)

    def show(piece: str) -> None:
        out.print(piece, end="", markup=False)

    answer = session.ask(question, on_token=show if streaming else None)
    print_answer(answer, as_json, streamed=streaming and not answer.abstained, show_support=show_support)


@app.command()
@user_errors
def ask(
    slug: Slug,
    question: Annotated[str, typer.Argument(help="The question to put to the double.")],
    engine: EngineOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    show_support: SupportOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer object as JSON.")] = False,
    home: Home = None,
) -> None:
    """Ask one question; the answer is saved as a one-question interview."""
    persona = Persona.open(slug, home)
    warn_if_stale(persona)
    session = persona.interview(engine, title="ask", backend=backend, model=model, base_url=base_url)
    ask_streaming(session, question, as_json, show_support)


@app.command()
@user_errors
def interview(
    slug: Slug,
    questions: Annotated[
        Path | None,  # noqa: UP007
        typer.Option("--questions", help="Run a scripted interview: one question a line."),
    ] = None,
    engine: EngineOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    show_support: SupportOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print each answer as JSON.")] = False,
    home: Home = None,
) -> None:
    """Interview the double, interactively or from a file of questions; every turn is saved."""
    persona = Persona.open(slug, home)
    warn_if_stale(persona)
    if questions is not None:
        try:
            lines = questions.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise SosieError(f"{questions}: cannot read the questions file ({exc})") from exc
        script = [q.strip() for q in lines if q.strip() and not q.lstrip().startswith("#")]
        if not script:
            raise SosieError(f"{questions}: no questions in it (one question a line)")
    else:
        script = None
    session = persona.interview(
        engine, title=str(questions) if questions else "interactive", backend=backend, model=model,
        base_url=base_url,
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
    slug: Slug,
    fmt: Annotated[str, typer.Option("--format", help="md or json.")] = "md",
    interview_id: Annotated[
        int | None, typer.Option("--interview", help="Interview id (default: the latest).")  # noqa: UP007
    ] = None,
    home: Home = None,
) -> None:
    """Print a saved interview as Markdown or JSON, disclosure and sources included."""
    persona = Persona.open(slug, home)
    typer.echo(persona.transcript(interview_id, fmt), nl=False)


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


@app.command("eval")
@user_errors
def eval_(
    slug: Slug,
    engines: Annotated[str, typer.Option(help="Comma-separated engine names.")] = "quote,generative,baseline",
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
    max_new_tokens: Annotated[int | None, typer.Option(help="Cap generated answers (faster runs).")] = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    home: Home = None,
) -> None:
    """Evaluate every engine on the person's held-out answers: is it them?"""
    from sosie.evaluate import EvalOptions, evaluate
    from sosie.evaluate.report import SHORT_HEADERS, summary_rows

    persona = Persona.open(slug, home)
    warn_if_stale(persona)
    options = EvalOptions(
        engines=[e.strip() for e in engines.split(",") if e.strip()], seed=seed, resplit=resplit,
        limit=limit, offtopic=offtopic, offtopic_file=offtopic_file, background=list(background),
        max_new_tokens=max_new_tokens, backend=backend, model=model, base_url=base_url,
        report_dir=report,
    )
    with step_bar() as progress:
        task = progress.add_task("loading engines", total=None)
        metrics = evaluate(
            persona, options,
            progress=lambda stage, done, total: progress.update(task, description=stage,
                                                                 completed=done, total=total),
        )
    table = Table(*SHORT_HEADERS, title=f"Is it {persona.config.name}? {metrics['questions']} held-out "
                  "questions; means [95% intervals]; Delta: lower = closer")
    for row in summary_rows(metrics, digits=2):
        table.add_row(*row)
    out.print(table)
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


@app.command("list")
@user_errors
def list_personas(home: Home = None) -> None:
    """List persona workspaces with their corpus and index state."""
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


@app.command()
@user_errors
def serve(
    slugs: Annotated[
        list[str] | None, typer.Argument(help="Personas to serve (default: every built one in --home).")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind; off loopback needs a token.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="SOSIE_TOKEN", help="Required from every client when set."),
    ] = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    max_body_bytes: Annotated[int, typer.Option(help="Larger request bodies get 413.")] = 64 * 1024,
    max_messages: Annotated[int, typer.Option(help="Chat history a client may send at once.")] = 64,
    home: Home = None,
) -> None:
    """Serve the web interview room, the quiz and an OpenAI-compatible API."""
    from sosie.serve import ServeSettings
    from sosie.serve import serve as run_server

    settings = ServeSettings(
        host=host, port=port, token=token or None, max_body_bytes=max_body_bytes,
        max_messages=max_messages,
        engine_options={"backend": backend, "model": model, "base_url": base_url},
    )
    settings.check()  # before anything slow: a refused address fails at once
    names = slugs or [s for s in Persona.names(home)
                      if Persona.open(s, home).index_status()["built"]]
    if not names:
        fail("no built persona to serve; try: sosie demo (or sosie new, add, build)")
    personas = [Persona.open(slug, home) for slug in names]
    where = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    out.print(f"Serving {', '.join(names)} at {where}", markup=False)
    out.print(f"  interview room: {where}" + ("?token=TOKEN" if token else ""), markup=False)
    out.print(f"  quiz:           {where}quiz", markup=False)
    out.print(f"  OpenAI API:     {where}v1  (models: sosie/NAME, sosie/NAME:ENGINE)", markup=False)
    out.print(f"  OpenAPI spec:   {where}openapi.json", markup=False)
    run_server(personas, settings)


@app.command()
@user_errors
def dataset(
    slug: Slug,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (default: WORKSPACE/dataset).")
    ] = None,
    synthetic: Annotated[
        int, typer.Option("--synthetic", help="Also N monologue passages with model-written questions.")
    ] = 0,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    home: Home = None,
) -> None:
    """Export the fine-tuning dataset (OpenAI and Hugging Face JSONL, and a dataset card)."""
    from sosie.train.dataset import build_examples, question_writer, write_dataset

    persona = Persona.open(slug, home)
    settings = persona.config.train
    ask_model = None
    if synthetic:
        from sosie.engines.backends import backend_for

        ask_model = question_writer(backend_for(persona.config.generative, backend, model, base_url))
    examples = build_examples(persona, settings.max_turns, settings.include_text, synthetic, ask_model,
                              seed=0)
    from sosie.engines.backends.hf import load_tokenizer
    from sosie.train.trainer import base_reference, resolve_base

    with err.status("counting tokens with the base model's tokenizer"):
        tokenizer = load_tokenizer(resolve_base(base_reference(settings)))
        folder = out_dir or persona.workspace / "dataset"
        summary = write_dataset(persona, examples, folder,
                                lambda text: len(tokenizer.encode(text, add_special_tokens=False)))
    for split, entry in summary["splits"].items():
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(entry["by_kind"].items())) or "none"
        out.print(f"{split}: {entry['examples']} examples ({kinds}) from {len(entry['sources'])} sources, "
                  f"{entry['answer_words']} words of {persona.config.name}, {entry['tokens']} tokens",
                  markup=False)
    out.print(f"Wrote {shown_path(str(folder))}/ (train|eval).(openai|hf).jsonl, card.md, card.json",
              markup=False)


@app.command()
@user_errors
def train(
    slug: Slug,
    max_steps: Annotated[int | None, typer.Option("--max-steps", help="Stop after N steps.")] = None,
    epochs: Annotated[float | None, typer.Option("--epochs", help="Passes over the data.")] = None,
    rank: Annotated[int | None, typer.Option("--rank", help="LoRA rank.")] = None,
    alpha: Annotated[int | None, typer.Option("--alpha", help="LoRA alpha.")] = None,
    learning_rate: Annotated[float | None, typer.Option("--lr", help="Learning rate.")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Examples per step.")] = None,
    max_length: Annotated[int | None, typer.Option("--max-length", help="Tokens per example.")] = None,
    eval_every: Annotated[int | None, typer.Option("--eval-every", help="Steps between evals.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
    base_model: Annotated[
        str | None, typer.Option("--base-model", help="Local HF folder or hub id (default: bundled).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Go on from the last checkpoint.")] = False,
    home: Home = None,
) -> None:
    """Fine-tune a LoRA adapter on the person's words; then use --engine finetuned."""
    import dataclasses

    from sosie.train.trainer import base_reference, resolve_base
    from sosie.train.trainer import train as run_training

    persona = Persona.open(slug, home)
    flags = {"max_steps": max_steps, "epochs": epochs, "rank": rank, "alpha": alpha,
             "learning_rate": learning_rate, "batch_size": batch_size, "max_length": max_length,
             "eval_every": eval_every, "seed": seed, "base_model": base_model}
    settings = dataclasses.replace(persona.config.train, **{k: v for k, v in flags.items() if v is not None})
    resolve_base(base_reference(settings))  # a wrong --base-model fails before the progress bar
    with step_bar() as progress:
        task = progress.add_task("loading the base model", total=None)

        def report(step: int, total: int, loss: float | None, eval_loss: float | None) -> None:
            shown = "training" + (f", loss {loss:.3f}" if loss is not None else "")
            shown += f", held-out {eval_loss:.3f}" if eval_loss is not None else ""
            progress.update(task, description=shown, completed=step, total=total)

        result = run_training(persona, settings, resume=resume, progress=report)

    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    resumed = f" (resumed from {result.resumed_from})" if result.resumed_from else ""
    out.print(
        f"Trained {result.steps} steps{resumed}"
        f" on {result.train_examples} examples, {result.tokens} tokens in {result.seconds:.0f}s "
        f"({result.tokens_per_s:.0f} tokens/s, {result.device}).\n"
        f"Held-out eval loss {fmt(result.eval_loss_before)} -> {fmt(result.eval_loss_after)}; "
        f"training-set loss {fmt(result.train_loss_before)} -> {fmt(result.train_loss_after)}.\n"
        f"Adapter: {shown_path(str(persona.workspace / result.adapter))}/. "
        f"Ask it: sosie ask {slug} \"...\" --engine finetuned",
        markup=False,
    )


@app.command()
@user_errors
def merge(
    slug: Slug,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (default: WORKSPACE/export).")
    ] = None,
    home: Home = None,
) -> None:
    """Merge the adapter into its base: a GGUF for llama.cpp/Ollama and an Ollama Modelfile."""
    from sosie.train.export import merge_and_export

    persona = Persona.open(slug, home)
    with err.status("merging the adapter and writing the GGUF"):
        files = merge_and_export(persona, out_dir)
    out.print(f"Wrote {shown_path(str(files['gguf']))}", markup=False)
    out.print(f"Wrote {shown_path(str(files['modelfile']))}  (ollama create {slug} -f Modelfile)",
              markup=False)


EXPORT_FORMATS = ("ccv2", "ccv3", "modelfile", "transcript", "script")


def _check_disclosure(path: Path, disclosure: str) -> None:
    """Exports refuse to drop the disclosure: a file that lacks it is removed, not delivered."""
    if path.suffix == ".png":
        from sosie.export.cards import read_card

        text = json.dumps(read_card(path), ensure_ascii=False)
    elif path.suffix in (".pdf", ".gguf", ".wav"):
        return  # checked by their writers and tests (binary formats)
    else:
        text = path.read_text(encoding="utf-8")
    if " ".join(disclosure.split()) not in " ".join(text.split()):
        path.unlink(missing_ok=True)
        fail(f"{path}: the export lost the disclosure, so it was not written; report this as a bug")


@app.command()
@user_errors
def export(
    slug: Slug,
    fmt: Annotated[str, typer.Option("--format", "-f", help="ccv2, ccv3, modelfile, transcript or script.")],
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write; its suffix picks the variant (.png/.json, "
                                   ".md/.json/.srt/.vtt, .fountain/.pdf)."),
    ] = None,
    interview_id: Annotated[
        int | None,
        typer.Option("--interview", help="Interview id for transcript and script (default: latest)."),
    ] = None,
    home: Home = None,
) -> None:
    """Take the double elsewhere: character cards, an Ollama Modelfile, transcripts, an actor's script."""
    if fmt not in EXPORT_FORMATS:
        fail(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    persona = Persona.open(slug, home)
    disclosure = persona.config.disclosure
    if fmt in ("ccv2", "ccv3"):
        from sosie.export.cards import card_v2, card_v3, write_card

        path = out_path or Path(f"{slug}.{fmt}.png")
        written = write_card(card_v2(persona) if fmt == "ccv2" else card_v3(persona), path)
    elif fmt == "modelfile":
        from sosie.export.modelfile import export_modelfile

        written = export_modelfile(persona, out_path or Path(f"{slug}-ollama"))
    elif fmt == "transcript":
        interview_id = interview_id or _latest_interview(persona)
        path = out_path or Path(f"{slug}-interview-{interview_id}.md")
        if path.suffix in (".srt", ".vtt"):
            from sosie.export.subtitles import write_subtitles

            written = write_subtitles(persona, path, interview_id)
        elif path.suffix in (".md", ".json"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(persona.transcript(interview_id, path.suffix[1:]), encoding="utf-8")
            written = path
        else:
            fail(f"{path}: a transcript is .md, .json, .srt or .vtt")
    else:
        from sosie.export.script import write_script

        interview_id = interview_id or _latest_interview(persona)
        written = write_script(persona, out_path or Path(f"{slug}-interview-{interview_id}.fountain"),
                               interview_id)
    _check_disclosure(written, disclosure)
    out.print(f"Wrote {shown_path(str(written))}", markup=False)


def _latest_interview(persona: Persona) -> int:
    interviews = persona.store.interviews()
    if not interviews:
        raise SosieError(
            f"persona {persona.slug!r} has no interviews yet; run: sosie interview {persona.slug}")
    return int(interviews[-1]["id"])


@app.command()
@user_errors
def pack(
    slug: Slug,
    out_path: Annotated[Path | None, typer.Option("--out", help="Archive to write.")] = None,
    home: Home = None,
) -> None:
    """One portable archive of the persona, with a manifest of every file's sha256."""
    from sosie.export.pack import pack as make_pack

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
    from sosie.export.pack import unpack as restore

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
    slug: Slug,
    text: Annotated[str | None, typer.Option("--text", help="Speak this answer text instead.")] = None,
    interview_id: Annotated[
        int | None, typer.Option("--interview", help="Interview to read (default: latest).")
    ] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="WAV file to write.")] = None,
    home: Home = None,
) -> None:
    """Read an interview (or a text) aloud with a GENERIC synthetic voice (espeak-ng) to a WAV."""
    from sosie.export.speech import speak as say
    from sosie.export.speech import speak_transcript

    persona = Persona.open(slug, home)
    if text is not None:
        spoken = f"A synthetic voice reading a simulation of {persona.config.name}. {text}"
        written = say(spoken, out_path or Path(f"{slug}-answer.wav"))
    else:
        interview_id = interview_id or _latest_interview(persona)
        record = json.loads(persona.transcript(interview_id, "json"))
        written = speak_transcript(record, out_path or Path(f"{slug}-interview-{interview_id}.wav"))
    out.print(f"Wrote {shown_path(str(written))} (a generic synthetic voice; not the person's)", markup=False)


@app.command()
@user_errors
def demo(
    home: Home = None,
    questions: Annotated[
        Path | None, typer.Option("--questions", help="Questions file (default: the bundled script).")  # noqa: UP007
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
    script = questions or (Path(__file__).parent / "demo" / "questions" / "rowan.txt")
    interview("rowan", questions=script, engine=None, backend=None, model=None, base_url=None,
              show_support=False, as_json=False, home=home)
    out.print(
        "\nNext: let a language model answer, checked sentence by sentence against the sources:\n"
        "  sosie ask rowan \"Why do trains beat planes?\" --engine generative --show-support",
        markup=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
