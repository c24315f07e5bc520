"""Structured transcripts recognised by their shape, not by one fixed schema.

Speech-to-text services, court APIs and caption tools all export JSON, each in its own layout:
Deepgram nests ``utterances`` and ``words`` under ``results.channels[].alternatives[]``,
AssemblyAI gives ``utterances`` and ``words`` with a ``speaker`` letter and milliseconds, a court
API gives ``transcript.sections[].turns[]`` whose ``speaker`` is an object and whose text is a list
of ``text_blocks`` with times, Rev gives ``monologues[].elements[]``. What they share is a list of
objects, at some depth, each with a speaker-like field and a text-like one. :func:`turn_items`
finds every such list, groups the lists that sit at the same place (one per section), and picks
the one that best explains the file: with speakers over without, with times over without, whole
utterances over single words.
"""

from __future__ import annotations

from collections.abc import Iterator

TEXT_KEYS = ("text", "transcript", "punctuated_word", "word", "utterance", "content", "value")
BLOCK_KEYS = ("text_blocks", "elements", "blocks", "words")  # a turn's text as a list of pieces
SPEAKER_KEYS = ("speaker", "speaker_label", "speaker_name", "speakerName", "spk", "name")
START_KEYS = ("start", "start_time", "startTime", "ts", "offset", "begin")
MAX_DEPTH = 8


def _text(item: dict) -> tuple[str | None, float | None]:
    """An item's text and the start of its first timed piece."""
    for key in TEXT_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value, _start(item)
    for key in BLOCK_KEYS:
        blocks = item.get(key)
        if isinstance(blocks, list) and blocks and all(isinstance(b, dict) for b in blocks):
            pieces = [t for b in blocks if (t := _text(b)[0])]
            if pieces:
                joined = " ".join(pieces) if key != "elements" else "".join(pieces)
                return joined, _start(item) if _start(item) is not None else _start(blocks[0])
    return None, None


def _start(item: dict) -> float | None:
    for key in START_KEYS:
        value = item.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _speaker(item: dict) -> str | None:
    for key in SPEAKER_KEYS:
        value = item.get(key)
        if isinstance(value, dict):  # {"name": "John G. Roberts, Jr.", "identifier": "..."}
            value = value.get("name") or value.get("label") or value.get("identifier")
        if isinstance(value, bool) or value is None or value == "":
            continue
        if isinstance(value, (str, int)):
            if key == "name" and not isinstance(item.get("text"), (str, list)):
                continue  # a "name" beside no text names a thing, not who spoke
            return str(value)
    return None


def _lists(data, path: tuple = (), depth: int = 0) -> Iterator[tuple[tuple, list]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(data, list):
        if data and all(isinstance(i, dict) for i in data):
            yield path, data
        for item in data:
            yield from _lists(item, (*path, "[]"), depth + 1)
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (list, dict)):
                yield from _lists(value, (*path, key), depth + 1)


def turn_items(data) -> tuple[list[dict], str] | None:
    """``([{speaker, text, start}], where)``: the best list of turns in ``data``, starts in
    seconds (or None), or None when nothing in it looks like a transcript."""
    groups: dict[tuple, list[dict]] = {}
    for path, items in _lists(data):
        groups.setdefault(path, []).extend(items)
    best, best_key, best_score = None, "", None
    for path, items in groups.items():
        rows = []
        for item in items:
            text, start = _text(item)
            if text is not None:
                rows.append({"speaker": _speaker(item), "text": text, "start": start})
        if not rows or len(rows) < 0.5 * len(items):
            continue
        spoken = sum(r["speaker"] is not None for r in rows) / len(rows)
        timed = sum(r["start"] is not None for r in rows) / len(rows)
        words = sum(len(r["text"].split()) for r in rows) / len(rows)
        score = (spoken >= 0.9, timed >= 0.9, min(words, 12.0), len(rows))
        if best_score is None or score > best_score:
            best, best_key, best_score = rows, ".".join(p for p in path if p != "[]"), score
    if best is None:
        return None
    starts = [r["start"] for r in best if r["start"] is not None]
    # milliseconds (AssemblyAI, a court API's ints) or seconds: whole numbers past three hours are ms
    if starts and all(float(s).is_integer() for s in starts) and max(starts) > 3 * 3600:
        for r in best:
            r["start"] = r["start"] / 1000 if r["start"] is not None else None
    return best, best_key or "items"
