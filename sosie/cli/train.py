"""``sosie dataset``, ``train`` and ``merge``: fine-tune a LoRA adapter on the person's words.

The ``train`` options are made from :class:`sosie.config.TrainSettings` (name, type and help),
each overriding that setting for one run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sosie.cli import (
    BackendOpt,
    BaseUrlOpt,
    Home,
    ModelOpt,
    Slug,
    app,
    err,
    out,
    setting_options,
    shown_path,
    step_bar,
    user_errors,
)


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
    from sosie.persona import Persona
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
@setting_options("train", "max_steps", "epochs", "rank", "alpha", "learning_rate", "batch_size",
                 "max_length", "eval_every", "seed", "base_model")  # the order of `sosie train --help`
def train(
    slug: Slug,
    overrides: dict,  # the settings given as flags, e.g. {"rank": 4}
    resume: Annotated[bool, typer.Option("--resume", help="Go on from the last checkpoint.")] = False,
    home: Home = None,
) -> None:
    """Fine-tune a LoRA adapter on the person's words; then use --engine finetuned."""
    import dataclasses

    from sosie.persona import Persona
    from sosie.train.trainer import base_reference, resolve_base
    from sosie.train.trainer import train as run_training

    persona = Persona.open(slug, home)
    settings = dataclasses.replace(persona.config.train, **overrides)
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
    from sosie.export.gguf import merge_and_export
    from sosie.persona import Persona

    persona = Persona.open(slug, home)
    with err.status("merging the adapter and writing the GGUF"):
        files = merge_and_export(persona, out_dir)
    out.print(f"Wrote {shown_path(str(files['gguf']))}", markup=False)
    out.print(f"Wrote {shown_path(str(files['modelfile']))}  (ollama create {slug} -f Modelfile)",
              markup=False)
