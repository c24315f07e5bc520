"""Small helpers on text spans shared by the corpus readers."""

from __future__ import annotations


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past surrounding whitespace: ``text[s:e]`` is the bare span."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
