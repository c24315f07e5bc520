"""Read one source file into text plus front matter, or fail with a one-line reason.

Offsets everywhere in Sosie are character offsets into the text returned here (the file's
bytes decoded as UTF-8, a leading BOM removed, odd spaces and page furniture blanked one character
for one by :mod:`sosie.corpus.layout`), so ``text[start:end]`` is the cited passage.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from sosie.corpus.formats import BINARY_READERS, NAMED_ONLY, TEXT_READERS
from sosie.corpus.header import header_block, parse_date
from sosie.corpus.layout import clean
from sosie.corpus.limits import MAX_FILE_BYTES
from sosie.errors import BadSource

PLAIN_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
TEXT_SUFFIXES = (PLAIN_SUFFIXES | set(TEXT_READERS) | set(BINARY_READERS)) - NAMED_ONLY  # read from folders
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
# publishers' compact form (the Fed's FOMCpresconf20190731.pdf): eight digits alone, read only
# when they are a real calendar date from 1800 to 2199, so an id or a count is not taken for one
COMPACT_DATE_IN_NAME = re.compile(r"(?<!\d)((?:18|19|20|21)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")


def date_in_name(name: str) -> str | None:
    """The date a file's name carries, ``YYYY-MM-DD`` or a valid compact ``YYYYMMDD``.

    >>> date_in_name("FOMCpresconf20190731.pdf"), date_in_name("2016-09-14-podcast.txt")
    ('2019-07-31', '2016-09-14')
    >>> date_in_name("scan-20231399.pdf") is None, date_in_name("id-120190731.txt") is None
    (True, True)
    """
    found = DATE_IN_NAME.search(name)
    if found:
        return found.group(1)
    for compact in COMPACT_DATE_IN_NAME.finditer(name):
        text = "-".join(compact.groups())
        try:
            date.fromisoformat(text)
        except ValueError:  # 20230231: no such day
            continue
        return text
    return None


@dataclass
class SourceText:
    path: Path
    text: str
    sha256: str
    size: int
    body_start: int  # first character after the front matter
    meta: dict = field(default_factory=dict)
    # for extracted formats (PDF, subtitles, ...): the text is not the file's bytes, and
    # locators [(offset, "page 3" | "00:12:31")] say where in the original a passage is
    extracted: bool = False
    locators: list[tuple[int, str]] = field(default_factory=list)
    # structured formats give turns directly: (speaker or None for the subject, start, end, date)
    turns: list[tuple[str | None, int, int, str | None]] | None = None
    # a recording: the audio or video file (kept in the workspace for playback) and how it was
    # read (speech model, speakers asked for), remembered with the source like its --speaker map
    media: Path | None = None
    reading: dict = field(default_factory=dict)

    @property
    def date(self) -> str | None:
        """The front matter's or header block's date (natural language is parsed), else the
        file name's ``YYYY-MM-DD``."""
        value = self.meta.get("date")
        if value:
            parsed = parse_date(value)
            if parsed:
                return parsed
        return date_in_name(self.path.name)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.path.stem)


def decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused, not guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadSource(f"{path}: broken UTF-16 text ({exc.reason}); re-save it as UTF-8") from exc
    if b"\x00" in data[:8192]:
        raise BadSource(
            f"{path}: binary file, not text; Sosie reads UTF-8 text and Markdown, convert it first"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        guessed = _guess(data)
        if guessed is None:
            raise BadSource(
                f"{path}: undecodable bytes at byte {exc.start} (not UTF-8, no other encoding fits); "
                "re-save it as UTF-8"
            ) from exc
        return guessed


def _guess(data: bytes) -> str | None:
    """Legacy encodings, detected by charset-normalizer; among equally plausible guesses the
    Western ones win (short French text otherwise comes out as Central European)."""
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None:
        return None
    for match in results:
        if match.encoding in ("cp1252", "latin_1", "iso8859_15") and match.chaos <= best.chaos + 0.01:
            best = match
            break
    return str(best)


def parse_front_matter(block: str) -> dict:
    """YAML when it parses; else plain ``key: value`` lines, since hand-written front matter
    often has an unquoted colon in a title (``title: Radio — After the keys: a talk``)."""
    try:
        loaded = yaml.safe_load(block)
        if isinstance(loaded, dict):
            return loaded
    except yaml.YAMLError:
        pass
    pairs = (line.split(":", 1) for line in block.splitlines() if ":" in line)
    return {key.strip(): value.strip().strip("'\"") for key, value in pairs if key.strip()}


def read_source(path: Path) -> SourceText:
    """Read ``path`` or raise :class:`BadSource` with a message naming the file and the fix."""
    if not path.exists():
        raise BadSource(f"{path}: no such file or folder; check the path")
    if not path.is_file():  # a FIFO or device would block or never end
        raise BadSource(f"{path}: not a regular file; give Sosie text files or folders")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:  # memory stays bounded: one file is read whole
        raise BadSource(
            f"{path}: too large ({size / 2**20:.0f} MB > {MAX_FILE_BYTES / 2**20:.0f} MB); split it first"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadSource(f"{path}: cannot be read ({exc.strerror}); check its permissions") from exc
    return read_bytes(path, data)


def read_bytes(path: Path, data: bytes, force_extracted: bool = False) -> SourceText:
    """Parse a file's bytes; ``path`` names it in messages and picks the reader by suffix."""
    if not data.strip():
        raise BadSource(f"{path}: empty file, nothing to add")
    suffix = path.suffix.lower()
    sha256 = hashlib.sha256(data).hexdigest()
    if suffix in BINARY_READERS or suffix in TEXT_READERS:
        if suffix in BINARY_READERS:
            extracted = BINARY_READERS[suffix](path, data)
        else:
            extracted = TEXT_READERS[suffix](path, decode(data, path))
        if not extracted.text.strip():
            raise BadSource(f"{path}: no text in it")
        pages = sum(1 for _, where in extracted.locators if where.startswith("page "))
        return SourceText(path, clean(extracted.text, pages or None), sha256, len(data), 0, extracted.meta,
                          extracted=True, locators=extracted.locators, turns=extracted.turns)
    text = clean(decode(data, path))
    if not text.strip():
        raise BadSource(f"{path}: empty file, nothing to add")
    meta: dict = {}
    body_start = 0
    found = FRONT_MATTER.match(text)
    if found:
        loaded = parse_front_matter(found.group(1))
        if isinstance(loaded, dict):
            meta = {str(k).lower(): v for k, v in loaded.items()}
            body_start = found.end()
    header, after_header = header_block(text, body_start)
    if header:  # "**Date:** May 8, 2025" lines: the front matter wins where both say something
        meta = {**header, **meta}
        body_start = after_header
    if not text[body_start:].strip():
        raise BadSource(f"{path}: only front matter, no text to add")
    return SourceText(
        extracted=force_extracted,
        path=path,
        text=text,
        sha256=sha256,
        size=len(data),
        body_start=body_start,
        meta=meta,
    )
