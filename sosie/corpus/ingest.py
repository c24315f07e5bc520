"""``sosie add``: files and folders in, passages and question/answer pairs out.

Each file is its own transaction, so one bad file never stops or undoes the others, and a
killed run leaves every file either fully stored or not at all.
"""

from __future__ import annotations

import bisect
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from sosie.corpus.audio import MEDIA_SUFFIXES, Listening, keep_media, read_recording
from sosie.corpus.limits import MAX_ARCHIVE_BYTES, MAX_FILE_BYTES, MAX_RATIO
from sosie.corpus.readers import TEXT_SUFFIXES, SourceText, read_bytes, read_source
from sosie.corpus.sentences import sentence_spans, word_count
from sosie.corpus.speakers import READER, Subject, Transcript, detect, label_pattern
from sosie.corpus.store import Store, now
from sosie.errors import BadSource

MAX_PASSAGE_WORDS = 100


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    # unchanged files that this version of the reader reads differently: (path, what changed)
    reread: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line error)
    passages: int = 0
    qa_pairs: int = 0
    # per file read: path, kind, convention, confidence, evidence, date,
    # speakers {label: {role, turns, words, samples}} (for --dry-run)
    previews: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        again = f" ({len(self.reread)} of them read differently now)" if self.reread else ""
        return (
            f"{len(self.added)} added, {len(self.replaced)} replaced{again}, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped, "
            f"{len(self.failed)} failed; {self.passages} passages, {self.qa_pairs} Q/A pairs"
        )


@dataclass
class Item:
    """One file to ingest: a path on disk or a member of a .zip archive."""

    name: str  # what messages show
    key: str  # what the store knows it by (absolute path, or ARCHIVE!member)
    load: Callable[[], SourceText]
    recording: Path | None = None  # audio or video: read with the source's remembered settings


def _wanted(name: str) -> bool:
    suffix = Path(name).suffix.lower()
    if suffix == ".js":  # of scripts, only a Twitter archive's
        return name.endswith("tweets.js")
    return suffix in TEXT_SUFFIXES or suffix in MEDIA_SUFFIXES


def _matches(relative: str, globs: Sequence[str]) -> bool:
    return not globs or any(fnmatch(relative, g) or fnmatch(Path(relative).name, g) for g in globs)


def _zip_items(archive: Path, globs: Sequence[str], report: IngestReport) -> list[Item]:
    """Members read one by one, with limits that defuse zip bombs."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        report.failed.append((str(archive), f"{archive}: not a readable zip archive ({exc})"))
        return []
    if sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
        report.failed.append((str(archive), f"{archive}: expands past {MAX_ARCHIVE_BYTES // 2**20} MB; "
                              "unpack it and add the parts"))
        return []
    items = []
    for member in sorted(members, key=lambda m: m.filename):
        name = member.filename
        if any(part.startswith((".", "__MACOSX")) for part in Path(name).parts) or not _matches(name, globs):
            continue
        if Path(name).suffix.lower() in MEDIA_SUFFIXES:
            report.skipped.append((f"{archive}!{name}", "recordings are not read from archives; unpack it"))
            continue
        if not _wanted(name):
            report.skipped.append((f"{archive}!{name}", f"unsupported format {Path(name).suffix!r}"))
            continue

        def load(member: zipfile.ZipInfo = member) -> SourceText:
            label = Path(f"{archive}!{member.filename}")
            if member.file_size > MAX_FILE_BYTES or (
                member.compress_size and member.file_size / member.compress_size > MAX_RATIO
            ):
                raise BadSource(f"{label}: suspicious compression (a zip bomb?); not read")
            with zipfile.ZipFile(archive) as zf, zf.open(member) as handle:
                data = handle.read(MAX_FILE_BYTES + 1)  # never trust the header alone
            if len(data) > MAX_FILE_BYTES:
                raise BadSource(f"{label}: larger than {MAX_FILE_BYTES // 2**20} MB; not read")
            return read_bytes(Path(member.filename), data, force_extracted=True)

        items.append(Item(f"{archive}!{name}", f"{archive.resolve()}!{name}", load))
    return items


def expand(paths: Iterable[Path], report: IngestReport, globs: Sequence[str] = ()) -> list[Item]:
    """Files named directly are always tried; folders and archives give their readable files."""
    items: list[Item] = []

    def add_file(path: Path) -> None:
        if path.suffix.lower() == ".zip" and path.is_file():
            items.extend(_zip_items(path, globs, report))
        elif path.suffix.lower() in MEDIA_SUFFIXES:
            items.append(Item(str(path), str(path.resolve()), lambda: read_source(path), recording=path))
        else:  # a missing path fails when loaded, with its own message
            items.append(Item(str(path), str(path.resolve()), lambda: read_source(path)))

    for path in paths:
        if not path.is_dir():
            add_file(path)
            continue
        for child in sorted(path.rglob("*")):
            relative = child.relative_to(path)
            if any(part.startswith(".") for part in relative.parts) or not child.is_file():
                continue
            if child.suffix.lower() == ".zip":
                add_file(child)  # the globs apply to its members
            elif not _matches(str(relative), globs):
                continue
            elif _wanted(child.name):
                add_file(child)
            else:
                report.skipped.append((str(child), f"unsupported format {child.suffix!r}"))
    return items


def chunk(text: str, start: int, end: int, max_words: int = MAX_PASSAGE_WORDS) -> list[tuple[int, int]]:
    """Group whole sentences into passages of at most ``max_words``. A "sentence" with no end
    mark at all (captions of one voice, speech-to-text without punctuation) is cut at spaces
    into pieces of ``max_words``, so no passage grows with the file."""
    chunks: list[tuple[int, int]] = []
    current: list[tuple[int, int]] = []
    words = 0
    for s, e in _bounded(text, sentence_spans(text, start, end), max_words):
        n = word_count(text[s:e])
        if current and words + n > max_words:
            chunks.append((current[0][0], current[-1][1]))
            current, words = [], 0
        current.append((s, e))
        words += n
    if current:
        chunks.append((current[0][0], current[-1][1]))
    return chunks


WORD = re.compile(r"\S+")


def _bounded(text: str, spans: list[tuple[int, int]], max_words: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if e - s < 8 * max_words or word_count(text[s:e]) <= 3 * max_words:
            out.append((s, e))
            continue
        words = [m.span() for m in WORD.finditer(text, s, e)]
        out += [(words[i][0], words[min(i + max_words, len(words)) - 1][1])
                for i in range(0, len(words), max_words)]
    return out


class _Lines:
    def __init__(self, text: str):
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def at(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1


def _locate(locators: list[tuple[int, str]], marks: list[int], start: int, end: int) -> str | None:
    """``page 3``, ``pages 3-4``, ``00:12:31`` or ``00:12:31-00:12:40`` for a passage's span."""
    first = bisect.bisect_right(marks, start) - 1
    last = bisect.bisect_right(marks, end - 1) - 1
    if first < 0:
        return None
    a, b = locators[first][1], locators[last][1]
    if a == b:
        return a
    if a.startswith("page ") and b.startswith("page "):
        return f"pages {a[5:]}-{b[5:]}"
    return f"{a}-{b}"


def _store_source(
    store: Store, source: SourceText, key: str, found: Transcript, replace_id: int | None,
    licence: str | None, settings: tuple[dict[str, str], bool, dict],
) -> tuple[int, int]:
    text, lines = source.text, _Lines(source.text)
    turns = found.turns
    passages = pairs = 0
    if source.media is not None:  # kept before the row exists: a stored recording can be played
        source.meta["media"] = keep_media(source, media_dir(store))
    with store.transaction() as db:
        if replace_id is not None:
            db.execute("DELETE FROM sources WHERE id = ?", (replace_id,))
        origin = source.meta.get("source") or source.meta.get("url")
        meta_json = json.dumps(source.meta, default=str, ensure_ascii=False)
        stated = source.meta.get("licence") or source.meta.get("license")  # the file's own word wins
        source_id = db.execute(
            "INSERT INTO sources (path, sha256, size, kind, title, date, origin, meta_json, added_at,"
            " text, licence, convention, confidence, evidence, reader)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, source.sha256, source.size, found.kind, source.title, source.date,
             str(origin) if origin else None, meta_json, now(), text if source.extracted else None,
             str(stated) if stated else licence, found.convention, found.confidence, found.evidence, READER),
        ).lastrowid
        store.remember_settings(db, key, *settings)
        locators = found.locators
        marks = [offset for offset, _ in locators]
        turn_ids: dict[int, int] = {}
        for seq, turn in enumerate(turns):
            question_id = turn_ids.get(id(turn.question)) if turn.question else None
            turn_id = db.execute(
                "INSERT INTO turns (source_id, seq, speaker, role, text, start, end, line_start,"
                " line_end, date, question_turn_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (source_id, seq, turn.speaker, turn.role, text[turn.start : turn.end], turn.start,
                 turn.end, lines.at(turn.start), lines.at(turn.end - 1), turn.date, question_id),
            ).lastrowid
            turn_ids[id(turn)] = turn_id
            if turn.role != "subject":
                continue
            pairs += question_id is not None
            for p_seq, (s, e) in enumerate(chunk(text, turn.start, turn.end)):
                locator = _locate(locators, marks, s, e)
                db.execute(
                    "INSERT INTO passages (source_id, turn_id, seq, text, start, end, line_start,"
                    " line_end, speaker, date, words, locator)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (source_id, turn_id, p_seq, text[s:e], s, e, lines.at(s), lines.at(e - 1),
                     turn.speaker, turn.date, word_count(text[s:e]), locator),
                )
                passages += 1
        store.bump_corpus_version(db)
    return passages, pairs


def _what_changed(store: Store, existing, found: Transcript, text: str) -> str:
    """``"was monologue, 41,200 of the subject's words; now NAME: text, 16,310"``."""
    was = store.subject_words(existing["id"])
    now_words = sum(len(text[t.start:t.end].split()) for t in found.turns if t.role == "subject")
    return (f"was {existing['convention'] or existing['kind']}, {was:,} of the subject's words; "
            f"now {found.convention}, {now_words:,}")


def media_dir(store: Store) -> Path:
    """Where a workspace keeps its recordings and their cached transcripts."""
    return Path(store.path).parent / "media"


def _stored_by_another(row, seen, source: SourceText, store: Store, key: str, settings) -> bool:
    """Is ``row`` this same file, read the same way, stored since we first looked?"""
    return ((seen is None or row["id"] != seen["id"]) and row["sha256"] == source.sha256
            and store.source_settings(key) == settings)


def ingest(
    store: Store,
    paths: Iterable[str | Path],
    subject: Subject,
    on_file: Callable[[str], None] | None = None,
    globs: Sequence[str] = (),
    licence: str | None = None,
    speakers: Mapping[str, str] | None = None,
    single_speaker: bool = False,
    dry_run: bool = False,
    listening: Listening | None = None,
    labels: str | None = None,
) -> IngestReport:
    """Add every file under ``paths``; re-adding an unchanged file is a no-op.

    ``licence`` is recorded for each new source whose front matter states none. ``speakers``
    maps labels to people (``{"SPEAKER_01": "Ada Example"}``) and ``single_speaker`` reads every
    file as one voice; both are remembered per source and reused when it is added again.
    ``dry_run`` reads and parses everything, fills ``report.previews``, and stores nothing.
    ``listening`` says how recordings are transcribed and their speakers found (a dry run
    transcribes too: the transcript is cached, not stored). ``labels`` is a regular expression
    that states the files' speaker labels (``--label-pattern``), remembered per source too.
    A file stored by an older reader is read again; if whose words are whose changed, it is
    replaced and listed in ``report.reread``."""
    if labels is not None:
        label_pattern(labels)  # a bad pattern is one error for the whole command, before any file
    report = IngestReport()
    for item in expand([Path(p) for p in paths], report, globs):
        if on_file:
            on_file(item.name)
        try:
            _ingest_one(store, item, subject, report, licence, dict(speakers or {}), single_speaker,
                        dry_run, listening or Listening(), labels)
        except BadSource as exc:
            report.failed.append((item.name, str(exc)))
        except (sqlite3.OperationalError, OSError) as exc:
            if not disk_full(exc):
                report.failed.append((item.name, f"{item.name}: could not be read "
                                                 f"({type(exc).__name__}: {exc})"))
                continue
            # not the file's fault, and every later file would fail the same way: stop here
            report.failed.append((item.name, f"{item.name}: not stored: the disk holding {store.path.parent} "
                                  "is full; free some space there and add it again"))
            break
        except Exception as exc:  # one bad file must never stop the others
            report.failed.append((item.name, f"{item.name}: could not be read ({type(exc).__name__}: {exc})"))
    return report


def disk_full(exc: BaseException) -> bool:
    import errno

    return getattr(exc, "errno", None) == errno.ENOSPC or "disk is full" in str(exc).lower() or (
        "no space left" in str(exc).lower())


def _listen(item: Item, store: Store, listening: Listening, single: bool, remembered: dict) -> SourceText:
    """Read a recording with what was given now, else what was used for it last time."""
    from dataclasses import replace

    def given_or_remembered(now: Path | None, key: str) -> Path | None:
        return now or (Path(remembered[key]) if remembered.get(key) else None)

    asked = replace(listening, asr_model=given_or_remembered(listening.asr_model, "asr_path"),
                    num_speakers=listening.num_speakers or remembered.get("num_speakers"),
                    voice_sample=given_or_remembered(listening.voice_sample, "voice_sample"))
    assert item.recording is not None
    source = read_recording(item.recording, media_dir(store), asked, single)
    source.reading["asr_path"] = str(asked.asr_model) if asked.asr_model else None
    return source


def _ingest_one(store: Store, item: Item, subject: Subject, report: IngestReport, licence: str | None,
                speakers: dict[str, str], single_speaker: bool, dry_run: bool, listening: Listening,
                labels: str | None) -> None:
    key, path = item.key, item.name
    remembered, was_single, was_read = store.source_settings(key)
    single = single_speaker or was_single
    if item.recording is not None:
        source = _listen(item, store, listening, single, was_read)
    else:
        source = item.load()
        if labels or was_read.get("label_pattern"):
            source.reading = {**source.reading, "label_pattern": labels or was_read["label_pattern"]}
    settings = ({**remembered, **speakers}, single, source.reading)
    stated = source.reading.get("label_pattern")
    existing = store.source_by_path(key)
    found: Transcript | None = None
    if not dry_run and existing is not None and existing["sha256"] == source.sha256 and (
        settings == (remembered, was_single, was_read)
    ):
        if existing["reader"] == READER:
            report.unchanged.append(key)
            return
        # stored by an older reader: the same bytes may now be read differently
        found = detect(source, subject, settings[0], settings[1], label_pattern(stated) if stated else None)
        if store.same_turns(existing["id"], [(t.speaker, t.role, t.start, t.end) for t in found.turns]):
            store.mark_read(existing["id"], READER, found.confidence, found.evidence)
            report.unchanged.append(key)
            return
        report.reread.append((key, _what_changed(store, existing, found, source.text)))
    twin = store.source_by_sha(source.sha256)
    if existing is None and twin is not None and not dry_run:
        report.skipped.append((key, f"same content already stored as {twin['path']}"))
        return
    if found is None:
        found = detect(source, subject, settings[0], settings[1], label_pattern(stated) if stated else None)
    if dry_run:
        report.previews.append({"path": path, "kind": found.kind, "convention": found.convention,
                                "confidence": found.confidence, "evidence": found.evidence,
                                "date": source.date, "speakers": found.speakers(source.text)})
    if not any(t.role == "subject" for t in found.turns):
        seen = ", ".join(sorted({t.speaker for t in found.turns}))
        by_voice = " or --voice-sample CLIP (a few seconds of them)" if source.media else " or --alias"
        raise BadSource(f"{path}: {subject.name} never speaks in it (speakers: {seen}); say which "
                        f"label is them with --speaker 'LABEL={subject.name}'{by_voice}")
    if dry_run:
        return
    seen = existing
    for attempt in range(2):
        existing = store.source_by_path(key)
        if existing is not None and _stored_by_another(existing, seen, source, store, key, settings):
            report.unchanged.append(key)  # a concurrent `sosie add` stored this very file meanwhile
            return
        try:
            n_passages, n_pairs = _store_source(store, source, key, found,
                                                existing["id"] if existing else None, licence, settings)
            break
        except sqlite3.IntegrityError:
            if attempt:  # it inserted between our check and our insert: look again, once
                raise
    report.passages += n_passages
    report.qa_pairs += n_pairs
    (report.replaced if existing else report.added).append(key)
