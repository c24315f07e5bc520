"""Corpus text is data: chat-template control strings are defused before any prompt is built.

A source's title, date, speaker, locator, a passage, an exemplar question or an earlier turn
may carry the very strings a chat template uses to open a turn (``<|im_start|>system``). A
tokenizer turns those strings into its special tokens wherever they appear in the rendered
prompt, so one title could open a real system turn. :func:`neutralise` rewrites every such
string into a visibly harmless look-alike (``<|im_start|>`` -> ``‹|im_start|›``) that no
tokenizer maps to a special token; the reader still sees what was there.

The strings: anything shaped ``<|...|>`` (ChatML, Llama 3, Phi, ...) or ``<｜...｜>`` (DeepSeek's
full-width bars), a list of the other common families (``<s>``, ``[INST]``, ``<<SYS>>``,
``<start_of_turn>``, ...), and the special tokens of every tokenizer a backend has loaded in this
process (:func:`register_control_tokens`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

# <|im_start|>, <|eot_id|>, <|start_header_id|>, <｜begin▁of▁sentence｜>: bars inside angle brackets
_BARRED = r"<[|｜][^<>\n]{0,64}?[|｜]>"
KNOWN = (
    "<s>", "</s>", "<unk>", "<pad>", "<bos>", "<eos>", "<mask>",
    "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]",
    "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]",
    "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>",
    "<think>", "</think>", "<tool_call>", "</tool_call>",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>",
)
_lock = threading.Lock()
_extra: set[str] = set()
_pattern: re.Pattern[str] | None = None
# what each bracket becomes: look-alikes no tokenizer's special token is spelled with
_DEFUSE = str.maketrans({"<": "‹", ">": "›", "[": "⁅", "]": "⁆"})


def _compiled() -> re.Pattern[str]:
    global _pattern
    with _lock:
        if _pattern is None:
            literal = sorted({*KNOWN, *_extra}, key=len, reverse=True)  # longest first
            _pattern = re.compile("|".join([_BARRED, *map(re.escape, literal)]), re.IGNORECASE)
        return _pattern


def register_control_tokens(tokens: Iterable[str]) -> None:
    """Add a loaded tokenizer's special tokens (those with a bracket: plain words stay words)."""
    global _pattern
    fresh = {t for t in tokens if t and len(t) <= 64 and any(c in t for c in "<>[]")}
    with _lock:
        if fresh - _extra:
            _extra.update(fresh)
            _pattern = None


def _defuse(match: re.Match[str]) -> str:
    token = match.group(0)
    defused = token.translate(_DEFUSE)
    if defused == token:  # a registered token without brackets we can swap: break it apart
        defused = "\u2060".join(token)
    return defused


def neutralise(text: str) -> str:
    """``text`` with every control string defused; idempotent, and never opens a turn."""
    if not text:
        return text
    pattern = _compiled()
    # a defused token could sit beside fragments that join into a new one: repeat until stable
    for _ in range(8):
        changed = pattern.sub(_defuse, text)
        if changed == text:
            break
        text = changed
    return text


def neutralise_messages(messages: list[dict]) -> list[dict]:
    """The one place every prompt passes through before a backend renders or sends it."""
    return [{**m, "content": neutralise(str(m.get("content") or ""))} for m in messages]


def has_control(text: str) -> bool:
    return _compiled().search(text or "") is not None
