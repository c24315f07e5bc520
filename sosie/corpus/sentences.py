"""Sentence spans with exact offsets, so a chunk or a quote is always ``text[start:end]``.

>>> text = "Look, cities matter. Dr. Lee agrees! Anyway."
>>> [text[s:e] for s, e in sentence_spans(text)]
['Look, cities matter.', 'Dr. Lee agrees!', 'Anyway.']
>>> text = "Is it No. 5? No. I wish I knew."
>>> [text[s:e] for s, e in sentence_spans(text)]
['Is it No. 5?', 'No.', 'I wish I knew.']
"""

from __future__ import annotations

import re

from sosie.corpus.text import trim

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "mt",
    "fig", "inc", "ltd", "co", "approx", "dept", "est", "vol", "p", "pp", "ca", "u.s", "u.k",
}
# "No. 5" is a number, but "No. I wish I knew." is an answer and a sentence (a Fed chairman's
# "No." to a congressman was once glued to the sentence after it)
BEFORE_A_NUMBER = {"no", "nos"}
SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|\Z)")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for brk in PARAGRAPH_BREAK.finditer(text, start, end):
        spans.append((cursor, brk.start()))
        cursor = brk.end()
    spans.append((cursor, end))
    return spans


# a "sentence" that runs this long past lower-case continuations (speech-to-text output, chat
# logs: "yeah. so we went") ends at its next full stop anyway
LONG_SENTENCE = 400
WORD_BEFORE = re.compile(r"([\w.]+)[.!?…]*$")
NEXT_CHARACTER = re.compile(r"\S")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences; a blank line always ends a sentence.

    Linear in the text: each end mark looks back a few characters and forward to the next
    non-space one, never over the rest of the paragraph."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for p_start, p_end in _paragraphs(text, start, end):
        cursor = p_start
        for match in SENTENCE_END.finditer(text, p_start, p_end):
            word = WORD_BEFORE.search(text, max(cursor, match.start() - 40), match.start() + 1)
            if word and match.group().startswith(".") and word.group(1).lower().rstrip(".") in ABBREVIATIONS:
                continue  # "Dr. Lee" is one sentence
            after = NEXT_CHARACTER.search(text, match.end(), p_end)
            if (word and match.group() == "." and word.group(1).lower().rstrip(".") in BEFORE_A_NUMBER
                    and after is not None and (after.group().isdigit() or after.group() == "#")):
                continue  # "No. 5"
            if after and after.group().islower() and match.end() - cursor < LONG_SENTENCE:
                continue  # "e.g. this" or an ellipsis inside a sentence
            s, e = trim(text, cursor, match.end())
            if s < e:
                spans.append((s, e))
            cursor = match.end()
        s, e = trim(text, cursor, p_end)
        if s < e:
            spans.append((s, e))
    return spans


def word_count(text: str) -> int:
    return len(text.split())
