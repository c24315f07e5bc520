"""Ollama Modelfiles, and a parser that reads them back as Ollama does.

A Sosie Modelfile says what it is in its comments and in its ``SYSTEM`` prompt (the disclosure,
always), carries the person's style notes, and shows real question/answer pairs as ``MESSAGE``
turns, each preceded by a comment naming where the answer was said.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.workspace import Workspace

CHATML_TEMPLATE = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
    "<|im_start|>assistant\n"
)
INSTRUCTIONS = {"FROM", "ADAPTER", "TEMPLATE", "SYSTEM", "PARAMETER", "MESSAGE", "LICENSE", "REQUIRES"}
TRIPLE = '"' * 3


def _quoted(text: str) -> str:
    """One line, no triple quote that would end the argument early, and no chat-template
    control string (the list the prompts use): nothing from the corpus can open a turn or an
    instruction of its own."""
    from sosie.engines.control import neutralise

    return " ".join(neutralise(text).replace(TRIPLE, "'" * 3).split())


def modelfile(
    workspace: Workspace,
    source: str,
    system: str,
    adapter: str | None = None,
    examples: list[tuple[str, str, str]] | tuple = (),
) -> str:
    """``FROM source`` (and ``ADAPTER``), the ChatML template, ``SYSTEM`` = ``system`` plus the
    disclosure, sampling parameters, and ``examples`` (question, real answer, where it was said)."""
    config = workspace.config
    settings = config.generative
    consent = config.consent + (f" ({config.consent_note})" if config.consent_note else "")
    lines = [
        f"# A SIMULATION of {_quoted(config.name)}, made with Sosie. {_quoted(config.disclosure)}",
        f"# Consent: {_quoted(consent)}.",
        f"FROM {source}",
    ]
    if adapter:
        lines.append(f"ADAPTER {adapter}")
    lines += [
        f"TEMPLATE {TRIPLE}{CHATML_TEMPLATE}{TRIPLE}",
        f"SYSTEM {TRIPLE}{_quoted(system)} {_quoted(config.disclosure)}{TRIPLE}",
        f"PARAMETER temperature {settings.temperature}",
        f"PARAMETER top_p {settings.top_p}",
        f"PARAMETER num_ctx {settings.context_tokens}",
        'PARAMETER stop "<|im_end|>"',
        'PARAMETER stop "<|im_start|>"',
    ]
    for question, answer, where in examples:
        lines += [
            f"# A real exchange: {_quoted(where)}",
            f"MESSAGE user {TRIPLE}{_quoted(question)}{TRIPLE}",
            f"MESSAGE assistant {TRIPLE}{_quoted(answer)}{TRIPLE}",
        ]
    return "\n".join(lines) + "\n"


def parse_modelfile(text: str) -> list[tuple[str, str]]:
    """(instruction, argument) pairs, as Ollama reads them; triple-quoted arguments may span
    lines. Raises SosieError on an unknown instruction or an unclosed quote."""
    out: list[tuple[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() not in INSTRUCTIONS:
            raise SosieError(f"Modelfile line {i}: unknown instruction {word!r}")
        rest = rest.strip()
        if TRIPLE in rest:  # SYSTEM """...""" or MESSAGE user """..."""
            head, _, body = rest.partition(TRIPLE)
            while TRIPLE not in body:
                if i >= len(lines):
                    raise SosieError(f"Modelfile: unclosed {TRIPLE} after {word}")
                body += "\n" + lines[i]
                i += 1
            rest = head + body[: body.index(TRIPLE)]
        out.append((word.upper(), rest))
    return out


def real_examples(workspace: Workspace, count: int) -> list[tuple[str, str, str]]:
    """Short real exchanges from the training side of the split (never a held-out one)."""
    from sosie.train.dataset import build_examples

    chosen = []
    for example in build_examples(workspace, max_turns=1, include_text=False):
        if example.split != "train" or example.kind != "chat":
            continue
        question, answer = example.messages[1]["content"], example.messages[2]["content"]
        if 8 <= len(answer.split()) <= 120:
            row = workspace.store.source_by_path(example.source)
            date = row["date"] if row is not None and row["date"] else "undated"
            chosen.append((question, answer, f"{Path(example.source).name}, {date}"))
    return chosen[:count]


def export_modelfile(workspace: Workspace, out: Path) -> Path:
    """A folder Ollama can build from: the Modelfile and, beside it, the model it names.

    The fine-tuned GGUF (``sosie merge``) when there is one, else the bundled base GGUF; the
    file is copied (or hard-linked) next to the Modelfile so ``FROM ./...`` works anywhere.
    """
    from sosie.engines.backends import bundled_gguf
    from sosie.profile import summary
    from sosie.train.dataset import system_prompt

    target = out / "Modelfile" if out.suffix == "" and not out.name.endswith("Modelfile") else out
    target.parent.mkdir(parents=True, exist_ok=True)
    merged = sorted((workspace.workspace / "export").glob(f"{workspace.slug}-finetuned-*.gguf"))
    model = merged[-1] if merged else bundled_gguf()
    beside = target.parent / model.name
    if not beside.exists():
        try:
            beside.hardlink_to(model)
        except OSError:
            shutil.copyfile(model, beside)
    try:
        style = summary(workspace.profile(), workspace.config.name)
    except SosieError:
        style = ""
    system = f"{system_prompt(workspace)} {style}".strip()
    examples = real_examples(workspace, workspace.config.generative.few_shot + 1)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(modelfile(workspace, f"./{model.name}", system, examples=examples), encoding="utf-8")
    tmp.replace(target)
    return target
