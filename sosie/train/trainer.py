"""``sosie train``: LoRA fine-tuning of a base model on the person's words.

transformers' ``Trainer`` does the loop (devices, checkpoints, resuming, ``accelerate launch``
for several GPUs or nodes) and peft the LoRA layers. Sosie adds what is specific to a double:
the examples (:mod:`sosie.train.dataset`, held-out sources kept out), loss on the person's words
only (never on the interviewer's questions or the system prompt), the held-out eval loss before
and after, and an adapter folder that names its base model without absolute paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.corpus.store import now
from sosie.engines.loading import (  # noqa: F401 - BUNDLED, adapter_meta: the trainer's API
    ADAPTER,
    BUNDLED,
    META,
    adapter_meta,
    load_base,
    resolve_base,
)
from sosie.errors import SosieError
from sosie.train.dataset import Example, build_examples

if TYPE_CHECKING:
    from sosie.config import TrainSettings
    from sosie.workspace import Workspace

IGNORE = -100  # label of tokens that carry no loss

# (step, total steps, latest training loss, latest held-out eval loss); losses None until known
StepProgress = Callable[[int, int, float | None, float | None], None]


@dataclass
class TrainReport:
    steps: int
    resumed_from: str | None
    train_examples: int
    eval_examples: int
    tokens: int
    seconds: float
    tokens_per_s: float
    device: str
    train_loss_before: float | None
    train_loss_after: float | None
    eval_loss_before: float | None
    eval_loss_after: float | None
    adapter: str


def base_reference(settings: TrainSettings) -> str:
    return settings.base_model or BUNDLED


def encode(example: Example, tokenizer, max_length: int) -> dict | None:
    """Token ids and labels; labels are the person's words only (``IGNORE`` elsewhere)."""
    if example.text:
        ids = tokenizer(example.text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        labels = list(ids)
    else:
        messages = example.messages
        full = tokenizer.apply_chat_template(messages, tokenize=False)
        spans = []  # character spans of the assistant turns in the rendered conversation
        for k, message in enumerate(messages):
            if message["role"] == "assistant":
                start = len(tokenizer.apply_chat_template(messages[:k], tokenize=False,
                                                          add_generation_prompt=True))
                end = len(tokenizer.apply_chat_template(messages[: k + 1], tokenize=False))
                spans.append((start, end))
        encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
        ids = encoded["input_ids"]
        labels = [
            token if any(s <= a < e for s, e in spans) else IGNORE
            for token, (a, _) in zip(ids, encoded["offset_mapping"], strict=True)
        ]
    ids, labels = ids[:max_length], labels[:max_length]
    if all(label == IGNORE for label in labels):
        return None
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}


def fingerprint(examples: list[Example], settings: TrainSettings, base: str) -> str:
    """What a checkpoint depends on; the run's length may change between resumes."""
    fixed = {k: v for k, v in asdict(settings).items() if k not in ("epochs", "max_steps", "eval_every")}
    data = json.dumps([[e.kind, e.split, e.sha256, e.text, e.messages] for e in examples]
                      + [fixed, base], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


class _Progress:
    """A transformers callback that reports each step and its loss to ``progress``."""

    def __new__(cls, progress: StepProgress | None):
        from transformers import TrainerCallback

        class Callback(TrainerCallback):
            loss: float | None = None
            eval_loss: float | None = None

            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs and "loss" in logs:
                    self.loss = float(logs["loss"])

            def on_evaluate(self, args, state, control, metrics=None, **kwargs):
                if metrics and "eval_loss" in metrics and state.global_step:
                    self.eval_loss = float(metrics["eval_loss"])

            def on_step_end(self, args, state, control, **kwargs):
                if progress and state.is_world_process_zero:
                    progress(state.global_step, state.max_steps, self.loss, self.eval_loss)

        return Callback()


def checkpoint_to_resume(checkpoints: Path, run_file: Path, stamp: str) -> str:
    """The latest checkpoint's folder name, if it was made from this corpus and these settings."""
    found = sorted(checkpoints.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    if not found:
        raise SosieError(f"no checkpoint to resume from in {checkpoints}; train without --resume")
    previous = json.loads(run_file.read_text()) if run_file.is_file() else {}
    if previous.get("fingerprint") != stamp:
        raise SosieError("the corpus or the training settings changed since the checkpoint; "
                         "train afresh (without --resume)")
    return found[-1].name


def training_arguments(settings: TrainSettings, checkpoints: Path, evaluating: bool, cuda: bool):
    """transformers' ``TrainingArguments`` from the persona's ``[train]`` settings."""
    import torch
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation,
        learning_rate=settings.learning_rate,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps if settings.max_steps > 0 else -1,
        logging_steps=1,
        eval_strategy="steps" if evaluating else "no",
        eval_steps=settings.eval_every,
        save_strategy="steps",
        save_steps=settings.eval_every,
        save_total_limit=2,
        seed=settings.seed,
        data_seed=settings.seed,
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        train_sampling_strategy="group_by_length",  # similar lengths per batch: less padding
        dataloader_num_workers=0,
        include_num_input_tokens_seen="non_padding",  # real tokens, as a throughput should count
        bf16=cuda and torch.cuda.is_bf16_supported(),
        use_cpu=not cuda,
        log_level="error",
    )


def tokens_trained(state, checkpoints: Path, resumed_from: str | None) -> int:
    """Real tokens trained in this run (those seen before a resumed checkpoint are not)."""
    tokens = int(state.num_input_tokens_seen or 0)
    if resumed_from:
        before = json.loads((checkpoints / resumed_from / "trainer_state.json").read_text())
        tokens -= int(before.get("num_input_tokens_seen") or 0)
    return tokens


def train(
    workspace: Workspace,
    settings: TrainSettings | None = None,
    resume: bool = False,
    progress: StepProgress | None = None,
) -> TrainReport:
    """Train a LoRA adapter on the persona's training split; save it in ``WORKSPACE/adapter``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import DataCollatorForSeq2Seq, Trainer, set_seed
    from transformers.trainer_callback import PrinterCallback

    settings = settings or workspace.config.train
    base = base_reference(settings)
    resolve_base(base)  # a wrong base fails here, before any checkpoint is touched
    examples = build_examples(workspace, settings.max_turns, settings.include_text, seed=0)
    work = workspace.workspace / "train"
    checkpoints = work / "checkpoints"
    stamp = fingerprint(examples, settings, base)
    run_file = work / "run.json"
    resumed_from = checkpoint_to_resume(checkpoints, run_file, stamp) if resume else None
    set_seed(settings.seed)
    model, tokenizer = load_base(base)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    encoded = {split: [x for e in examples if e.split == split
                       if (x := encode(e, tokenizer, settings.max_length)) is not None]
               for split in ("train", "eval")}
    if not encoded["train"]:
        raise SosieError(f"persona {workspace.slug!r} has nothing to train on; add sources and build")
    # Only now, with a model loaded and data to train on, may a fresh run clear old checkpoints.
    if not resumed_from:
        shutil.rmtree(checkpoints, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps({"fingerprint": stamp, "started_at": now()}))
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")  # transformers' own
    model = get_peft_model(model, LoraConfig(
        r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules), task_type="CAUSAL_LM",
    ))
    cuda = torch.cuda.is_available()
    args = training_arguments(settings, checkpoints, evaluating=bool(encoded["eval"]), cuda=cuda)
    trainer = Trainer(
        model=model, args=args, train_dataset=encoded["train"],
        eval_dataset=encoded["eval"] or None,
        data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE),
        callbacks=[_Progress(progress)],
    )
    trainer.remove_callback(PrinterCallback)  # progress goes to ``progress``, not raw dicts on stdout
    # A fixed slice of the training set measures learning on the same examples before and after.
    probe = encoded["train"][: max(settings.batch_size, 8)]

    def loss_on(data) -> float | None:
        return float(trainer.evaluate(eval_dataset=data)["eval_loss"]) if data else None

    train_before, eval_before = loss_on(probe), loss_on(encoded["eval"])
    started = time.perf_counter()
    with warnings.catch_warnings():
        # peft looks for a config.json beside a GGUF base at each checkpoint; none is needed
        warnings.filterwarnings("ignore", message="Could not find a config file")
        warnings.filterwarnings("ignore", category=FutureWarning)
        trainer.train(resume_from_checkpoint=str(checkpoints / resumed_from) if resumed_from else None)
    seconds = time.perf_counter() - started
    train_after, eval_after = loss_on(probe), loss_on(encoded["eval"])
    device = f"cuda ({torch.cuda.get_device_name(0)})" if cuda else "cpu"
    tokens = tokens_trained(trainer.state, checkpoints, resumed_from)
    report = TrainReport(
        steps=trainer.state.global_step, resumed_from=resumed_from,
        train_examples=len(encoded["train"]), eval_examples=len(encoded["eval"]),
        tokens=tokens,
        seconds=round(seconds, 2), tokens_per_s=round(tokens / max(seconds, 1e-9), 1), device=device,
        train_loss_before=train_before, train_loss_after=train_after,
        eval_loss_before=eval_before, eval_loss_after=eval_after,
        adapter=ADAPTER,
    )
    if trainer.is_world_process_zero():
        save_adapter(workspace, model, settings, base, examples, report)
    return report


def save_adapter(workspace: Workspace, model, settings: TrainSettings, base: str,
                 examples: list[Example], report: TrainReport) -> Path:
    """Write the adapter whole, then swap it in: a killed save leaves the previous adapter."""
    final = workspace.workspace / ADAPTER
    partial = workspace.workspace / f"{ADAPTER}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    with warnings.catch_warnings():  # peft looks for a config.json beside a GGUF base; none needed
        warnings.simplefilter("ignore")
        model.save_pretrained(str(partial))
    config_file = partial / "adapter_config.json"
    config = json.loads(config_file.read_text())
    config["base_model_name_or_path"] = base  # a reference, never this machine's absolute path
    config_file.write_text(json.dumps(config, indent=2))
    trained = sorted({(Path(e.source).name, e.sha256) for e in examples if e.split == "train"})
    held = sorted({(Path(e.source).name, e.sha256) for e in examples if e.split == "eval"})
    meta = {
        "persona": workspace.slug, "name": workspace.config.name,
        "disclosure": workspace.config.disclosure, "consent": workspace.config.consent,
        "base_model": base, "settings": asdict(settings), "created_at": now(),
        "corpus_version": workspace.store.corpus_version,
        "trained_on": [{"name": n, "sha256": s} for n, s in trained],
        "held_out": [{"name": n, "sha256": s} for n, s in held],
        "report": asdict(report),
    }
    (partial / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    (partial / "README.md").write_text(model_card(meta), encoding="utf-8")  # peft's names abs paths
    old = workspace.workspace / f"{ADAPTER}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(partial, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def model_card(meta: dict) -> str:
    r = meta["report"]
    lines = [
        "---", f"base_model: {meta['base_model']}", "library_name: peft", "tags: [lora, sosie, simulation]",
        "---", "", f"# LoRA adapter: a simulation of {meta['name']}", "", f"> {meta['disclosure']}", "",
        f"Trained by Sosie on {meta['created_at']} from {len(meta['trained_on'])} sources of "
        f"{meta['name']}'s recorded words (consent: {meta['consent']}); "
        f"{len(meta['held_out'])} held-out sources were never trained on.", "",
        f"- base model: `{meta['base_model']}`",
        f"- steps: {r['steps']}, tokens: {r['tokens']}, device: {r['device']}",
        f"- held-out eval loss: {r['eval_loss_before']} before, {r['eval_loss_after']} after",
        f"- training-set loss (fixed probe): {r['train_loss_before']} before, {r['train_loss_after']} after",
        "", "Settings, sources and the full report: `sosie_train.json`.",
    ]
    return "\n".join(lines) + "\n"


