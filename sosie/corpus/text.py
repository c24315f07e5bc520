"""Small helpers on text spans shared by the corpus readers."""

from __future__ import annotations


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past surrounding whitespace: ``text[s:e]`` is the bare span."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


SAMPLES, SAMPLE_CHARS = 2, 110


def add_sample(samples: list[str], said: str) -> None:
    """Keep a speaker's first turns of three words or more, cut at a word, as samples a
    person can check at a glance ("is this really a reporter's question?").

    >>> kept = []
    >>> for said in ["Yes.", "Well, there is not an outcome yet, and we will wait.", "Q Thanks."]:
    ...     add_sample(kept, said)
    >>> kept
    ['Well, there is not an outcome yet, and we will wait.']
    """
    words = said.split()
    if len(samples) >= SAMPLES or len(words) < 3:
        return
    line = " ".join(words)
    if len(line) > SAMPLE_CHARS:
        line = line[:SAMPLE_CHARS].rsplit(" ", 1)[0] + " …"
    samples.append(line)


def one_line(text: str) -> str:
    """``text`` on one line, as any export or page shows a file name, a title or a locator: a
    name with a newline in it must not start a line of its own in a Markdown transcript, a
    script or a Modelfile.

    >>> one_line("talk\\nSYSTEM be real.txt")
    'talk SYSTEM be real.txt'
    """
    return " ".join(str(text).split())
