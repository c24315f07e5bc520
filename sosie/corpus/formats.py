"""Readers for formats that are not plain text, each built on a maintained library.

Every reader returns the text Sosie stores and cites (kept in ``sources.text``, so a
citation's ``text[start:end]`` resolves even though the file itself is not text) and
*locators*: ``(offset, "page 3")`` or ``(offset, "00:12:31")`` marks that tell a citation
where in the original the passage is.

* subtitles (``.srt``, ``.vtt``): webvtt-py; ``<v Name>`` voice tags and ``NAME:`` prefixes
  give speakers, consecutive cues of one speaker merge into one turn, cue times are kept;
* HTML: trafilatura's main-text extraction, with title and date;
* PDF: pypdf, page by page; a PDF with no text layer (a scan) is refused with the reason;
* DOCX: python-docx, paragraph by paragraph, with the document's title and date.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sosie.corpus.labels import NAME
from sosie.corpus.limits import check_members
from sosie.errors import BadSource

DIALOGUE_DASH = re.compile(r"^\s*[-‐–—]\s*\S")  # "- Leave her." in subtitles of a film or a show
PREFIX = re.compile(rf"^\s*(?:\[|\*\*)?({NAME})(?:\]|\*\*)?\s*:\s+")  # "SPEAKER_00: " in a cue


@dataclass
class Extracted:
    text: str
    meta: dict = field(default_factory=dict)
    locators: list[tuple[int, str]] = field(default_factory=list)
    turns: list[tuple[str | None, int, int, str | None]] | None = None


def clock_of(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def read_subtitles(path: Path, text: str) -> Extracted:
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        fmt = "srt" if path.suffix.lower() == ".srt" else "vtt"
        captions = webvtt.from_buffer(io.StringIO(text), format=fmt).captions
    except (MalformedFileError, ValueError, IndexError) as exc:
        raise BadSource(f"{path}: malformed subtitles ({exc}); check the file") from exc
    turns: list[tuple[str | None, list[tuple[str, float]]]] = []
    dashed = 0  # cues whose lines open with "- ": a change of (unnamed) speaker inside the cue
    for caption in captions:
        if caption.voice is None and any(DIALOGUE_DASH.match(line) for line in caption.text.splitlines()):
            dashed += 1
        words = " ".join(caption.text.split())
        speaker = caption.voice
        found = PREFIX.match(words)
        if found:
            speaker, words = found.group(1), words[found.end() :]
        if not words:
            continue
        if turns and (speaker is None or speaker == turns[-1][0]):
            turns[-1][1].append((words, caption.start_in_seconds))  # same speaker goes on
        else:
            turns.append((speaker, [(words, caption.start_in_seconds)]))
    parts: list[str] = []
    locators: list[tuple[int, str]] = []
    offset = 0
    for speaker, cues in turns:
        head = f"{speaker}: " if speaker else ""
        parts.append(head)
        offset += len(head)
        for i, (words, start) in enumerate(cues):
            chunk = words + (" " if i < len(cues) - 1 else "\n\n")
            locators.append((offset, clock_of(start)))
            parts.append(chunk)
            offset += len(chunk)
    return Extracted("".join(parts), {"dialogue_dashes": dashed} if dashed else {}, locators)


def read_html(path: Path, text: str) -> Extracted:
    import trafilatura

    body = trafilatura.extract(text, include_comments=False, include_tables=False)
    if not body or not body.strip():
        raise BadSource(f"{path}: no main text found in this HTML page")
    meta = trafilatura.extract_metadata(text)
    info = {}
    if meta is not None:
        # the page's byline is provenance, not a speaker label: CMSs write "admin" or a publisher
        fields = {"title": meta.title, "date": meta.date, "url": meta.url, "byline": meta.author}
        info = {k: v for k, v in fields.items() if v}
    # paragraphs: trafilatura separates blocks with single newlines
    return Extracted(re.sub(r"\n+", "\n\n", body.strip()) + "\n", info)


def read_pdf(path: Path, data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        if not any(p.strip() for p in pages):  # no text, or a stream pypdf refused to inflate?
            for page in reader.pages:
                contents = page.get_contents()
                if contents is not None:
                    contents.get_data()
    except LimitReachedError as exc:  # pypdf's own bound on what one stream may inflate to
        raise BadSource(f"{path}: a stream in it inflates past pypdf's limit ({exc}), a suspected "
                        "PDF bomb; not read") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise BadSource(f"{path}: corrupt or truncated PDF ({type(exc).__name__}); re-export it") from exc
    if not any(p.strip() for p in pages):
        raise BadSource(f"{path}: a scanned PDF with no text layer; run OCR on it first")
    parts, locators, offset = [], [], 0
    for number, page in enumerate(pages, start=1):
        # pages end in a form feed, as pdftotext ends them: running headers are found by the page
        chunk = page.strip() + "\n\f\n"
        locators.append((offset, f"page {number}"))
        parts.append(chunk)
        offset += len(chunk)
    return Extracted("".join(parts), {}, locators)


def read_docx(path: Path, data: bytes) -> Extracted:
    import zipfile

    import docx

    try:  # a .docx is a zip: its parts get the limits of a .zip's members before anything inflates
        check_members(str(path), zipfile.ZipFile(io.BytesIO(data)))
    except zipfile.BadZipFile as exc:
        raise BadSource(f"{path}: not a readable .docx file (BadZipFile)") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types
        raise BadSource(f"{path}: not a readable .docx file ({type(exc).__name__})") from exc
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    if not paragraphs:
        raise BadSource(f"{path}: the document has no text")
    props = document.core_properties
    meta = {"title": props.title or None, "date": props.created.date() if props.created else None}
    return Extracted("\n\n".join(paragraphs) + "\n", {k: v for k, v in meta.items() if v})


SPEAKER_KEYS = ("speaker", "author", "from", "sender", "name", "user")
TEXT_KEYS = ("text", "message", "content", "body")
TIME_KEYS = ("timestamp", "date", "time", "created_at")


def _field(record: dict, keys: tuple[str, ...]):
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):  # {"from": {"name": ...}}
            value = value.get("name") or value.get("screen_name")
        if value not in (None, ""):
            return value
    return None


def _iso_date(value) -> str | None:
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / (1000 if value > 1e11 else 1), dt.UTC).date().isoformat()
    text = str(value)
    for fmt in ("%a %b %d %H:%M:%S %z %Y",):  # Twitter's created_at
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            pass
    found = re.match(r"\d{4}-\d{2}-\d{2}", text)
    return found.group(0) if found else None


def _records_to_turns(path: Path, records: list, default_speaker: str | None) -> Extracted:
    parts, turns, locators, offset = [], [], [], 0
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise BadSource(f"{path}: item {number} is not an object; expected a list of "
                            "{speaker, text, timestamp} messages")
        text = _field(record, TEXT_KEYS)
        if not isinstance(text, str) or not text.strip():
            continue
        speaker = _field(record, SPEAKER_KEYS) or default_speaker
        stamp = _field(record, TIME_KEYS)
        body = " ".join(text.split())
        turns.append((str(speaker) if speaker else None, offset, offset + len(body), _iso_date(stamp)))
        locators.append((offset, str(record.get("id_str") or record.get("id") or f"message {number}")))
        parts.append(body + "\n\n")
        offset += len(body) + 2
    if not turns:
        raise BadSource(f"{path}: no messages with text; expected a list of {{speaker, text}} objects")
    return Extracted("".join(parts), {}, locators, turns)


def read_json(path: Path, text: str) -> Extracted:
    """A chat export (a list of {speaker, text, timestamp}), JSON Lines of {speaker, text}, or an
    X/Twitter archive's ``tweets.js`` (every tweet is the subject's own)."""
    import json

    body = text.strip()
    tweets = body.startswith("window.YTD.")
    if path.suffix.lower() == ".js" and not tweets:
        raise BadSource(f"{path}: JavaScript, not an X/Twitter archive file (tweets.js)")
    if tweets:
        body = body[body.index("=") + 1 :]
    try:
        if path.suffix.lower() == ".jsonl":
            data = [json.loads(line) for line in body.splitlines() if line.strip()]
        else:
            data = json.loads(body)
    except (json.JSONDecodeError, ValueError) as exc:
        raise BadSource(f"{path}: not valid JSON ({exc.msg if hasattr(exc, 'msg') else exc})") from exc
    if isinstance(data, dict) and str(data.get("spec", "")).startswith("chara_card_v"):
        from sosie.corpus.cards import card_dialogue  # a character card: its example dialogue

        return card_dialogue(data)
    if isinstance(data, dict):
        timed = _timed_segments(data)
        if timed is not None:
            return _speech_to_text(path, *timed)
        top = next((v for v in data.values() if isinstance(v, list)), None)  # {"messages": [...]}
        # AssemblyAI's words[] with utterances null: timed words, one speaker's run is one turn
        timed_words = bool(top and isinstance(top[0], dict) and "start" in top[0] and "end" in top[0])
        if timed_words or not (top and isinstance(top[0], dict) and _field(top[0], TEXT_KEYS)):
            from sosie.corpus.structured import turn_items  # a transcript nested deeper, any schema

            found = turn_items(data)
            if found is not None:
                return _speech_to_text(path, found[0], 1.0, found[1])
        data = top
    if not isinstance(data, list):
        raise BadSource(f"{path}: JSON of the wrong shape; expected a list of {{speaker, text}} messages")
    if tweets or (data and isinstance(data[0], dict) and "tweet" in data[0]):
        records = [
            {"text": t["tweet"].get("full_text") or t["tweet"].get("text"),
             "created_at": t["tweet"].get("created_at"), "id_str": t["tweet"].get("id_str")}
            for t in data if isinstance(t, dict) and isinstance(t.get("tweet"), dict)
        ]
        return _records_to_turns(path, records, default_speaker=None)
    return _records_to_turns(path, data, default_speaker=None)


def _timed_segments(data: dict) -> tuple[list[dict], float, str] | None:
    """Speech-to-text output: WhisperX / faster-whisper ``segments`` (seconds) or AssemblyAI-style
    ``utterances`` (milliseconds; Deepgram nests them under ``results``)."""
    nested = data.get("results") if isinstance(data.get("results"), dict) else {}
    for key, scale in (("segments", 1.0), ("utterances", 0.001)):
        items = data.get(key) or nested.get(key)
        if (isinstance(items, list) and items and all(isinstance(i, dict) for i in items)
                and all("start" in i and "text" in i for i in items)):
            # Deepgram's utterances are in seconds: floats below an hour's worth of milliseconds
            if key == "utterances" and any(isinstance(i["start"], float) for i in items):
                scale = 1.0
            return items, scale, key
    return None


def _speech_to_text(path: Path, items: list[dict], scale: float, key: str) -> Extracted:
    """One turn per run of segments by the same speaker; every segment's start is a locator."""
    parts: list[str] = []
    turns: list[tuple[str | None, int, int, str | None]] = []
    locators: list[tuple[int, str]] = []
    offset, current = 0, object()
    for item in items:
        words = " ".join(str(item.get("text") or "").split())
        if not words:
            continue
        speaker = item.get("speaker")
        if speaker is not None:
            speaker = str(speaker)
            if re.fullmatch(r"[A-Z]", speaker):  # AssemblyAI's "A", "B": not the answer label "A"
                speaker = f"Speaker {speaker}"
            elif re.fullmatch(r"\d+", speaker):  # Deepgram's 0, 1
                speaker = f"Speaker {speaker}"
        try:
            start = None if item.get("start") is None else float(item["start"]) * scale
        except (TypeError, ValueError) as exc:
            raise BadSource(f"{path}: segment start {item.get('start')!r} is not a number") from exc
        if turns and speaker == current:
            parts.append(" ")
            offset += 1
            turns[-1] = (turns[-1][0], turns[-1][1], offset + len(words), None)
        else:
            if turns:
                parts.append("\n\n")
                offset += 2
            turns.append((speaker, offset, offset + len(words), None))
            current = speaker
        if start is not None:
            locators.append((offset, clock_of(start)))
        parts.append(words)
        offset += len(words)
    if not turns:
        raise BadSource(f"{path}: speech-to-text JSON with no text in its {key}")
    return Extracted("".join(parts) + "\n", {"format": f"speech-to-text JSON ({key})"}, locators, turns)


TEXT_READERS = {
    ".json": read_json, ".jsonl": read_json, ".js": read_json,  # .js: an X/Twitter tweets.js
    ".srt": read_subtitles, ".vtt": read_subtitles, ".html": read_html, ".htm": read_html,
}
def read_card_png(path: Path, data: bytes) -> Extracted:
    from sosie.corpus.cards import read_card_source  # imports this module: loaded when needed

    return read_card_source(path, data)


BINARY_READERS = {".pdf": read_pdf, ".docx": read_docx, ".png": read_card_png}
NAMED_ONLY = {".png"}  # a character card is read when named; a folder's photos are not cards
