"""The ``sosie`` command: a thin typer + rich layer over :class:`sosie.Persona`.

One module per stage registers its commands on :data:`app` (corpus, build, ask, evaluate, train,
export, serve, demo); this one holds what they share: the consoles, the option types, the one-line
errors. Options that override a setting are made from the settings table (:mod:`sosie.config`),
so a flag's name, type and help live beside the setting. Heavy libraries are imported inside the
commands, so ``sosie --help`` stays instant.
"""

from __future__ import annotations

import errno
import functools
import inspect
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sosie.config import settings_of
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.persona import Persona  # imported inside the commands: it loads the index libraries

app = typer.Typer(
    help="Sosie: interview a cited, clearly labelled double of a person, built from their words.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def setting_option(table: str, name: str) -> Any:
    """The option that overrides setting ``table.name`` for one run; ``None`` when not given, so
    the persona's own value stays: ``Annotated[str | None, typer.Option("--backend", help=...)]``."""
    row = settings_of(table)[name]
    return Annotated[row.type | None, typer.Option(row.flag, help=row.flag_help)]


def setting_options(table: str, *order: str):
    """Give a command one option per setting of ``table`` that has a flag, in ``order``; the
    command takes ``overrides``, the dict of those given, in their place.

    >>> @setting_options("train", "rank", ...)                    # doctest: +SKIP
    ... def train(slug: Slug, overrides: dict, home: Home = None): ...
    """
    flagged = [name for name, row in settings_of(table).items() if row.flag]
    if sorted(order) != sorted(flagged):
        raise ValueError(f"order the {table} flags: {', '.join(flagged)}")

    def decorate(command):
        signature = inspect.signature(command, eval_str=True)
        params = list(signature.parameters.values())
        at = [p.name for p in params].index("overrides")
        flags = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                                   annotation=setting_option(table, name)) for name in order]

        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            given = {name: kwargs.pop(name, None) for name in order}
            overrides = {name: value for name, value in given.items() if value is not None}
            return command(*args, overrides=overrides, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=params[:at] + flags + params[at + 1:])
        wrapper.__annotations__ = {p.name: p.annotation for p in wrapper.__signature__.parameters.values()}
        return wrapper

    return decorate


Home = Annotated[
    Path | None, typer.Option("--home", envvar="SOSIE_HOME", help="Folder of persona workspaces.")
]
Slug = Annotated[str, typer.Argument(help="Persona name, e.g. ada.")]
EngineOpt = Annotated[
    str | None, typer.Option("--engine", "-e", help="quote or generative (default: the persona's).")
]
BackendOpt = setting_option("generative", "backend")
ModelOpt = setting_option("generative", "model")
BaseUrlOpt = setting_option("generative", "base_url")
GroundingOpt = setting_option("generative", "grounding")
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Answer from the record as it stood on this date: 2016, 2016-05, 2016-12-31 or "
    "'March 2019' (a year or month means its last day; undated sources are left out).")]
StoreOpt = Annotated[str | None, typer.Option(
    "--store", envvar="SOSIE_STORE",
    help="Read interviews from this PostgreSQL (postgresql://...), where sosie serve --store keeps them.")]


def read_questions(path: Path) -> list[str]:
    """A questions file: one question a line, ``#`` lines and blank lines skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SosieError(f"{path}: cannot read the questions file ({exc})") from exc
    script = [q.strip() for q in lines if q.strip() and not q.lstrip().startswith("#")]
    if not script:
        raise SosieError(f"{path}: no questions in it (one question a line)")
    return script


def use_store(persona, store: str | None) -> None:
    """Point ``persona`` at the interviews a server keeps in PostgreSQL (``--store``)."""
    if store:
        from sosie.interview.pg import Postgres

        persona.interviews = Postgres.connect(store).interviews(persona.slug)


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


# The stage modules register their commands on `app`; `sosie --help` lists them in this order.
from sosie.cli import ask, build, corpus, demo, evaluate, export, models, panel, serve, timeline, train  # noqa: E402,F401

COMMANDS = ("new", "add", "corpus", "build", "ask", "interview", "panel", "transcript", "timeline", "profile",
            "eval", "eval-panel", "quiz", "list", "serve", "models", "dataset", "train", "merge", "export",
            "pack", "unpack", "speak", "demo")


def _listed(command) -> int:
    name = command.name or command.callback.__name__
    return COMMANDS.index(name) if name in COMMANDS else len(COMMANDS)  # a new one goes last


app.registered_commands.sort(key=_listed)


def main() -> None:
    app()
