"""Training benchmark: ``python bench/train.py`` (part of ``make bench``).

LoRA fine-tuning of the bundled SmolLM2-135M on the demo persona, with the persona's default
settings but a bounded number of steps, on whatever device this machine has (a CUDA GPU is used
without any change; the report says which device ran). Reported:

* training throughput (tokens/s) of ``sosie train`` (transformers' Trainer + peft);
* the baseline, measured in the same run: a bare PyTorch loop (forward, backward, AdamW) over
  the same LoRA model and the same batches, so the ratio is the Trainer's overhead;
* the held-out eval loss before and after training.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
import time
from pathlib import Path

from sosie.demo import create_demo_persona


def bare_loop(persona, settings, steps: int) -> float:
    """Tokens/s of a plain PyTorch loop over the same encoded examples and LoRA layers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import DataCollatorForSeq2Seq

    from sosie.train.dataset import build_examples
    from sosie.train.trainer import IGNORE, base_reference, encode, load_base

    torch.manual_seed(settings.seed)
    model, tokenizer = load_base(base_reference(settings))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    examples = [x for e in build_examples(persona, settings.max_turns, settings.include_text)
                if e.split == "train" and (x := encode(e, tokenizer, settings.max_length))]
    model = get_peft_model(model, LoraConfig(r=settings.rank, lora_alpha=settings.alpha,
                                             lora_dropout=settings.dropout,
                                             target_modules=list(settings.target_modules),
                                             task_type="CAUSAL_LM"))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device).train()
    collate = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=settings.learning_rate)
    tokens, started = 0, None
    for step in range(steps + 1):  # step 0 warms up and is not timed
        if step == 1:
            started = time.perf_counter()
        batch = examples[(step * settings.batch_size) % len(examples):][: settings.batch_size]
        inputs = {k: v.to(device) for k, v in collate(batch).items()}
        loss = model(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step >= 1:
            tokens += int(inputs["attention_mask"].sum())
    if device == "cuda":
        torch.cuda.synchronize()
    return tokens / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from sosie.train.trainer import train

    home = Path(tempfile.mkdtemp(prefix="sosie-bench-train-"))
    try:
        persona = create_demo_persona("rowan", home)
        persona.build()
        settings = dataclasses.replace(persona.config.train, max_steps=args.steps,
                                       eval_every=max(args.steps // 2, 1))
        report = train(persona, settings)
        bare = bare_loop(persona, settings, min(args.steps, 10))
        numbers = {**dataclasses.asdict(report), "bare_loop_tokens_per_s": round(bare, 1),
                   "settings": dataclasses.asdict(settings)}
        print(f"LoRA training, bundled SmolLM2-135M, demo persona, {report.steps} steps of "
              f"{settings.batch_size} examples (<= {settings.max_length} tokens), rank {settings.rank}, "
              f"on {report.device}")
        print(f"  sosie train: {report.tokens_per_s:.0f} tokens/s ({report.tokens} tokens in "
              f"{report.seconds:.0f} s)")
        print(f"  baseline, bare PyTorch loop on the same batches: {bare:.0f} tokens/s -> "
              f"ratio {report.tokens_per_s / bare:.2f}x")
        print(f"  held-out eval loss: {report.eval_loss_before:.3f} before -> "
              f"{report.eval_loss_after:.3f} after; training-set probe: "
              f"{report.train_loss_before:.3f} -> {report.train_loss_after:.3f}")
        if "cuda" not in report.device:
            print("  (no CUDA GPU here; on one, the same command trains on it and reports it)")
        if args.json:
            args.json.write_text(json.dumps(numbers, indent=2))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
