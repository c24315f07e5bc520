"""``sosie dataset``: the person's words as fine-tuning examples, held-out sources left out.

Three kinds of example, each tagged with the source it came from:

* ``chat``: real exchanges: the interviewer's question, the subject's answer; consecutive
  exchanges of one interview stay together as one multi-turn conversation (``max_turns``).
* ``text``: what the subject said or wrote with no question before it (essays, notebooks,
  monologue), as plain text for continued pre-training.
* ``synthetic``: a monologue passage as an answer, with a question written for it by a
  language model: marked ``synthetic`` in every export, never passed off as real.

The evaluation's split by source is the training split: sources on its ``test`` side give the
``eval`` examples (for the held-out loss) and are never trained on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from sosie.corpus.store import now
from sosie.errors import SosieError
from sosie.files import atomic_write

if TYPE_CHECKING:
    from sosie.workspace import Workspace

MIN_ANSWER_WORDS = 4


@dataclass
class Example:
    kind: str  # "chat", "text" or "synthetic"
    split: str  # "train" or "eval"
    source: str  # the source file's path, as the store knows it
    sha256: str
    messages: list[dict] = field(default_factory=list)  # chat and synthetic
    text: str = ""  # text

    def words(self) -> int:
        if self.text:
            return len(self.text.split())
        return sum(len(m["content"].split()) for m in self.messages if m["role"] == "assistant")


def system_prompt(workspace: Workspace) -> str:
    """What the fine-tuned double is told; the same words at training and at answering time."""
    name = workspace.config.name
    return (f"You are a simulation of {name}, answering an interviewer's questions in "
            f"{workspace.config.pronoun} own words. You are not the real {name}.")


def held_out_sources(workspace: Workspace, seed: int = 0) -> set[str]:
    return held_out(workspace, seed)[0]


def held_out(workspace: Workspace, seed: int = 0) -> tuple[set[str], set[int]]:
    """The evaluation's held-out sources, and the turns of its held-out blocks (a split within
    one source): never trained on."""
    from sosie.corpus.split import get_split, held_out_turns

    try:
        sides = get_split(workspace.store, seed)
    except SosieError:
        return set(), set()  # too few exchanges to hold any out: all is training
    return {path for path, side in sides.items() if side == "test"}, held_out_turns(workspace.store)


def build_examples(
    workspace: Workspace,
    max_turns: int = 3,
    include_text: bool = True,
    synthetic: int = 0,
    ask_model: Callable[[str], str] | None = None,
    seed: int = 0,
) -> list[Example]:
    """Every example the corpus gives; ``synthetic`` > 0 needs ``ask_model(passage) -> question``."""
    held_paths, held_turns = held_out(workspace, seed)
    system = {"role": "system", "content": system_prompt(workspace)}
    rows = workspace.store.subject_turns()
    examples: list[Example] = []
    conversation: list[dict] = []
    last: tuple[str, int] | None = None  # (path, seq) of the answer that ended the conversation

    def close() -> None:
        nonlocal conversation
        if conversation:
            path, sha, held = conversation[0]["_source"]
            messages = [system] + [{k: v for k, v in m.items() if k != "_source"} for m in conversation]
            split = "eval" if path in held_paths or held else "train"
            examples.append(Example("chat", split, path, sha, messages))
        conversation = []

    monologue = []
    for row in rows:
        answer = " ".join(row["answer"].split())
        if row["question_turn_id"] is None:
            close()
            last = None
            if len(answer.split()) >= MIN_ANSWER_WORDS:
                monologue.append(row)
            continue
        if len(answer.split()) < MIN_ANSWER_WORDS:
            continue
        follows = last is not None and last == (row["path"], row["qseq"] - 1)
        held = row["id"] in held_turns or row["question_turn_id"] in held_turns
        crosses = bool(conversation) and conversation[-1]["_source"][2] != held  # a block's edge
        if not follows or crosses or len(conversation) >= 2 * max_turns:
            close()
        source = (row["path"], row["sha256"], held)
        conversation += [
            {"role": "user", "content": " ".join(row["question"].split()), "_source": source},
            {"role": "assistant", "content": answer, "_source": source},
        ]
        last = (row["path"], row["seq"])
    close()

    for row in monologue:
        split = "eval" if row["path"] in held_paths or row["id"] in held_turns else "train"
        text = " ".join(row["answer"].split())
        if include_text:
            examples.append(Example("text", split, row["path"], row["sha256"], text=text))
    if synthetic:
        if ask_model is None:
            raise SosieError("synthetic questions need a model: pass --backend (and --model)")
        import random

        pool = [r for r in monologue if r["path"] not in held_paths and r["id"] not in held_turns]
        random.Random(seed).shuffle(pool)
        for row in pool[:synthetic]:
            text = " ".join(row["answer"].split())
            question = " ".join(ask_model(text).split())
            if question:
                examples.append(Example("synthetic", "train", row["path"], row["sha256"], [
                    system, {"role": "user", "content": question}, {"role": "assistant", "content": text},
                ]))
    return examples


def question_writer(backend) -> Callable[[str], str]:
    """``passage -> question`` with any generative backend (the synthetic examples' author)."""
    from sosie.engines.backends import GenerationOptions
    from sosie.engines.control import neutralise

    options = GenerationOptions(max_new_tokens=48, temperature=0.0)

    def ask(passage: str) -> str:
        messages = [
            {"role": "system", "content": "You write the one question an interviewer asked that the "
             "passage answers. Reply with the question only."},
            {"role": "user", "content": neutralise(passage[:2000])},  # corpus text is data
        ]
        question = "".join(backend.stream(messages, options)).strip().splitlines()
        return question[0] if question else ""

    return ask


def openai_line(example: Example) -> dict:
    """OpenAI's chat fine-tuning format: {"messages": [...]} (it has no plain-text examples)."""
    return {"messages": example.messages}


def hf_line(example: Example) -> dict:
    """Hugging Face's conversational ``messages`` format, or ``text`` for plain text."""
    body = {"messages": example.messages} if example.messages else {"text": example.text}
    return {**body, "kind": example.kind, "synthetic": example.kind == "synthetic",
            "source": PurePath(example.source).name, "sha256": example.sha256}


def card(workspace: Workspace, examples: list[Example], count_tokens: Callable[[str], int] | None) -> dict:
    """Counts, tokens, sources and the split: what a dataset card says."""
    summary: dict = {"persona": workspace.slug, "name": workspace.config.name,
                     "disclosure": workspace.config.disclosure, "consent": workspace.config.consent,
                     "created_at": now(), "corpus_version": workspace.store.corpus_version,
                     "splits": {}}
    for split in ("train", "eval"):
        chosen = [e for e in examples if e.split == split]
        kinds: dict[str, int] = {}
        for e in chosen:
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
        sources = sorted({(PurePath(e.source).name, e.sha256) for e in chosen})
        entry = {"examples": len(chosen), "by_kind": kinds, "answer_words": sum(e.words() for e in chosen),
                 "sources": [{"name": n, "sha256": s} for n, s in sources]}
        if count_tokens is not None:
            entry["tokens"] = sum(count_tokens(e.text or json.dumps(e.messages)) for e in chosen)
        summary["splits"][split] = entry
    return summary


def card_markdown(summary: dict) -> str:
    lines = [f"# Fine-tuning dataset: a simulation of {summary['name']}", "",
             f"> {summary['disclosure']}", "",
             f"Consent: {summary['consent']}. Made {summary['created_at']} from corpus version "
             f"{summary['corpus_version']}. Held-out sources (the evaluation's `test` side) are the "
             "`eval` split and are never trained on. Synthetic examples have questions written by a "
             "model; their answers are the person's real words.", "",
             "| split | examples | chat | text | synthetic | answer words | tokens | sources |",
             "|---|---|---|---|---|---|---|---|"]
    for split, e in summary["splits"].items():
        k = e["by_kind"]
        lines.append(f"| {split} | {e['examples']} | {k.get('chat', 0)} | {k.get('text', 0)} | "
                     f"{k.get('synthetic', 0)} | {e['answer_words']} | {e.get('tokens', '')} | "
                     f"{len(e['sources'])} |")
    for split, e in summary["splits"].items():
        lines += ["", f"## {split} sources", ""] + [f"- {s['name']} (sha256 {s['sha256'][:12]})"
                                                      for s in e["sources"]]
    return "\n".join(lines) + "\n"


def write_dataset(workspace: Workspace, examples: list[Example], out: Path,
                  count_tokens: Callable[[str], int] | None = None) -> dict:
    """``train|eval`` x ``openai|hf`` JSONL files, ``card.json`` and ``card.md``, written whole."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for split in ("train", "eval"):
        chosen = [e for e in examples if e.split == split]
        for fmt, line in (("openai", openai_line), ("hf", hf_line)):
            rows = [line(e) for e in chosen if fmt == "hf" or e.messages]
            path = out / f"{split}.{fmt}.jsonl"
            _write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
            files[f"{split}.{fmt}"] = path.name
    summary = card(workspace, examples, count_tokens) | {"files": files}
    _write(out / "card.json", json.dumps(summary, indent=2, ensure_ascii=False))
    _write(out / "card.md", card_markdown(summary))
    return summary


def _write(path: Path, text: str) -> None:
    atomic_write(path, text, mode=None)  # the dataset is an export: the umask decides
