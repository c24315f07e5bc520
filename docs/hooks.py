"""MkDocs hook: the reference pages made from the code at build time, so they cannot drift.

``docs/settings.md`` and ``docs/cli.md`` hold hand-written prose around a marker line; when the
site is built, :func:`on_page_markdown` puts in its place

* ``<!-- generated: settings -->``: the settings table, from :func:`sosie.config.settings_table`
  (every ``persona.toml`` key, its default, its help and the ``sosie`` option that overrides it);
* ``<!-- generated: cli -->``: every command of the Typer app :data:`sosie.cli.app`, with its help,
  its usage line and each argument and option as ``sosie COMMAND --help`` shows them.

The tests call :func:`settings_markdown` and :func:`cli_markdown` directly (tests/test_docs.py).
"""

from __future__ import annotations

import html
import json
import re

MARKERS = {
    "<!-- generated: settings -->": "settings_markdown",
    "<!-- generated: cli -->": "cli_markdown",
}


def cell(text: str) -> str:
    """Plain text made safe for one Markdown table cell (no HTML, no column breaks)."""
    text = html.escape(" ".join(str(text).split()).replace("\\", "\\\\"), quote=False)
    for char in "|*[]":
        text = text.replace(char, "\\" + char)
    return text


def code(text: str) -> str:
    """``text`` as inline code inside a table cell (backticks chosen so it cannot close early)."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    ticks = "``" if "`" in text else "`"
    pad = " " if ticks == "``" else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def shown(value) -> str:
    """A default as it reads in ``persona.toml``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or '""'
    return json.dumps(value)


def settings_markdown() -> str:
    """The settings of ``persona.toml``, one table per TOML table, from the settings table."""
    from sosie.config import PersonaConfig, settings_table

    rows = settings_table()
    tables: dict[str, list] = {}
    for row in rows:
        tables.setdefault(row.table, []).append(row)
    derived = PersonaConfig(slug="ada", name="NAME").disclosure  # made from the name and pronoun
    out = []
    for table, members in tables.items():
        out.append(f"### `[{table}]`" if table else "### The top level")
        out.append("")
        out.append("| setting | default | meaning | `sosie` option |")
        out.append("|---|---|---|---|")
        for row in members:
            if row.default is None:
                default = "— (required)"
            elif row.key == "disclosure" and not row.default:
                default = code(derived) + " (with the name and `pronoun` of the persona)"
            else:
                default = code(shown(row.default))
            flag = code(row.flag) if row.flag else ""
            # the help is written in Markdown (backticks) in sosie/config.py: keep it, but one line
            meaning = " ".join(row.help.split()).replace("|", "\\|")
            out.append(f"| `{row.key}` | {default} | {meaning} | {flag} |")
        out.append("")
    return "\n".join(out)


def _contexts(app):
    """The click group of ``app`` and a context per command, named as ``sosie COMMAND``."""
    import typer.main

    group = typer.main.get_command(app)
    root = group.context_class(group, info_name="sosie")
    for name, command in group.commands.items():
        yield name, command, command.context_class(command, info_name=name, parent=root)


def _help_record(param, ctx) -> tuple[str, str]:
    """What ``--help`` prints for one parameter: its names and metavar, and its help."""
    record = param.get_help_record(ctx) if hasattr(param, "get_help_record") else None
    if record:
        return record
    names = ", ".join(param.opts + param.secondary_opts)
    return names, getattr(param, "help", "") or ""


def cli_markdown(app=None) -> str:
    """Every ``sosie`` command: its help, usage, arguments and options, from the Typer app."""
    if app is None:
        from sosie.cli import app
    out = []
    for name, command, ctx in _contexts(app):
        if command.hidden:
            continue
        out.append(f"## `sosie {name}`")
        out.append("")
        out.append(cell_paragraphs(command.help or ""))
        out.append("")
        usage = command.get_usage(ctx).removeprefix("Usage:").strip()
        out.append("```")
        out.append(usage)
        out.append("```")
        out.append("")
        params = [p for p in command.params if not getattr(p, "hidden", False)]
        if params:
            out.append("| argument or option | help |")
            out.append("|---|---|")
            for param in params:
                names, help_text = _help_record(param, ctx)
                out.append(f"| {code(names)} | {cell(help_text)} |")
            out.append("| `--help` | Show the command's help and exit. |")
            out.append("")
    return "\n".join(out)


def cell_paragraphs(text: str) -> str:
    """A command's help as Markdown paragraphs, taken literally (no HTML, no emphasis)."""
    return "\n\n".join(cell(p) for p in re.split(r"\n\s*\n", text.strip()) if p.strip())


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace each marker with what the code says now."""
    for marker, function in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, globals()[function]())
    return markdown
