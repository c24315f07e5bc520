"""``sosie merge``: the adapter merged into its base, as a GGUF file and an Ollama Modelfile
(written by :mod:`sosie.export.modelfile`).

The GGUF is written with the ``gguf`` package: the base GGUF's metadata (tokenizer, chat
template, hyper-parameters) is copied, and each tensor is replaced by the merged model's, in the
base file's order, as float16 (norms stay float32). transformers un-permutes the query and key
weights of llama-family models when it reads a GGUF; they are permuted back here the way
llama.cpp's converter does, so llama.cpp and Ollama read the file as they read the original.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.errors import SosieError
from sosie.files import atomic_replace

if TYPE_CHECKING:
    from sosie.workspace import Workspace

GLOBAL_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
LAYER_NAMES = {
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
}
LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)$")
SKIPPED_KEYS = {"general.architecture", "general.file_type", "general.quantization_version"}
FILE_TYPE_F16 = 1


def gguf_name(hf_name: str) -> str | None:
    if hf_name in GLOBAL_NAMES:
        return GLOBAL_NAMES[hf_name]
    found = LAYER.match(hf_name)
    if found and found.group(2) in LAYER_NAMES:
        return f"blk.{found.group(1)}.{LAYER_NAMES[found.group(2)]}"
    return None


def permute(weight, n_head: int):
    """HF's rotate-half layout of a query/key weight to GGUF's interleaved one (llama.cpp's own)."""
    return (weight.reshape(n_head, 2, weight.shape[0] // n_head // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def write_gguf(model, base_gguf: Path, out: Path, metadata: dict[str, str]) -> Path:
    """Write ``model`` (a llama-family transformers model) as a GGUF shaped like ``base_gguf``."""
    from gguf import GGUFReader, GGUFWriter

    reader = GGUFReader(str(base_gguf))
    arch = str(reader.fields["general.architecture"].contents())
    if arch != "llama":
        raise SosieError(f"GGUF export handles llama-family bases (SmolLM2, Llama, ...), not {arch!r}; "
                         "convert the merged folder with llama.cpp's convert_hf_to_gguf.py")
    heads = int(reader.fields[f"{arch}.attention.head_count"].contents())
    kv_heads = int(reader.fields[f"{arch}.attention.head_count_kv"].contents())
    state = {}
    for name, tensor in model.state_dict().items():
        target = gguf_name(name)
        if target is not None:
            state[target] = tensor.detach().float().cpu().numpy()
    return atomic_replace(out, lambda tmp: _write(GGUFWriter(str(tmp), arch), reader, state, metadata,
                                                  heads, kv_heads), mode=None)


def _write(writer, reader, state: dict, metadata: dict[str, str], heads: int, kv_heads: int) -> None:
    import numpy as np
    from gguf import GGUFValueType

    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in SKIPPED_KEYS:
            continue
        if field.name in metadata:
            continue  # replaced below
        kind = GGUFValueType(field.types[0])
        sub = GGUFValueType(field.types[-1]) if kind == GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)
    writer.add_uint32("general.file_type", FILE_TYPE_F16)
    for key, value in metadata.items():
        writer.add_string(key, value)
    for tensor in reader.tensors:
        if tensor.name not in state:
            raise SosieError(f"the merged model has no tensor for {tensor.name} of the base GGUF")
        weight = state[tensor.name]
        if tensor.name.endswith("attn_q.weight"):
            weight = permute(weight, heads)
        elif tensor.name.endswith("attn_k.weight"):
            weight = permute(weight, kv_heads)
        writer.add_tensor(tensor.name, weight.astype(np.float16 if weight.ndim > 1 else np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def merge_and_export(workspace: Workspace, out_dir: Path | None = None) -> dict[str, Path]:
    """Merge the persona's adapter into its base; write the GGUF and the Modelfile."""
    import warnings

    from sosie.engines.finetuned import load_merged
    from sosie.export.modelfile import modelfile, real_examples
    from sosie.train.dataset import system_prompt
    from sosie.train.trainer import ADAPTER, adapter_meta, resolve_base

    meta = adapter_meta(workspace)
    base = Path(resolve_base(meta["base_model"]))
    if base.suffix != ".gguf":
        raise SosieError("GGUF export needs a GGUF base model (the bundled SmolLM2 is one); for "
                         f"{meta['base_model']!r} merge with peft and convert with llama.cpp's converter")
    adapter = workspace.workspace / ADAPTER
    out_dir = Path(out_dir or workspace.workspace / "export")
    out_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        merged, _ = load_merged(str(adapter), (adapter / "adapter_model.safetensors").stat().st_mtime_ns)
    gguf_path = write_gguf(merged, base, out_dir / f"{workspace.slug}-finetuned-f16.gguf", {
        "general.name": f"Sosie simulation of {workspace.config.name}",
        "sosie.persona": workspace.slug,
        "sosie.disclosure": workspace.config.disclosure,
        "sosie.consent": workspace.config.consent,
        "sosie.base_model": meta["base_model"],
    })
    modelfile_path = out_dir / "Modelfile"
    examples = real_examples(workspace, workspace.config.generative.few_shot + 1)
    modelfile_path.write_text(
        modelfile(workspace, f"./{gguf_path.name}", system_prompt(workspace), examples=examples),
        encoding="utf-8")
    return {"gguf": gguf_path, "modelfile": modelfile_path}
