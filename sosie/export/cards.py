"""Character cards (V2 and V3) for chat front ends, as JSON or embedded in a PNG, and back again.

A Sosie card says what it is everywhere a front end may show or use it: the disclosure opens
the description, the system prompt and the creator notes, and the greeting states that this is
a simulation. What the character "said" in the card is real: the example dialogue is real
question/answer pairs from the corpus, and each lorebook entry is a real quote with its source
and date. ``extensions.sosie`` carries the provenance (sources with their SHA-256, consent).

PNG layout: a plain generated image (a coloured panel with the name and "SIMULATION"; never a
face or a photo) with the card in ``tEXt`` chunks. A V2 card is one chunk ``chara`` =
base64(UTF-8 JSON). A V3 card is a ``ccv3`` chunk with the V3 JSON and, for older apps, a
``chara`` chunk with its V2 form (:func:`to_v2`).

>>> problems = validate_v2({"spec": "chara_card_v2", "spec_version": "2.0", "data": {}})
>>> problems[0]
'data.name: missing (a string is required)'
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import math
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from sosie.corpus.sentences import sentence_spans
from sosie.errors import SosieError

if TYPE_CHECKING:
    from PIL.Image import Image

    from sosie.workspace import Workspace

SPEC_V2, SPEC_V3 = "chara_card_v2", "chara_card_v3"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXAMPLES = 4  # question/answer pairs in mes_example: enough to show the voice, few enough to read
EXAMPLE_WORDS = 80  # an answer longer than this is cut at a sentence end, marked with ELISION
QUESTION_WORDS = 25
ELISION = " […]"  # the editorial mark for words left out; never part of what the person said
BOOK_ENTRIES = 10
CONSENT_TEXT = {
    "self": "made by the person themself",
    "granted": "the person granted consent",
    "public-record": "built from public-record material; the person was not asked",
    "none": "no consent recorded",
}
V3_ONLY = ("assets", "nickname", "creator_notes_multilingual", "source", "group_only_greetings",
           "creation_date", "modification_date")
V2_STRINGS = ("name", "description", "personality", "scenario", "first_mes", "mes_example",
              "creator_notes", "system_prompt", "post_history_instructions", "creator",
              "character_version")
SPEAKER = re.compile(r"^\s*(\{\{user\}\}|<user>|\{\{char\}\}|<char>|<bot>)\s*:\s?", re.I)
MACROS = re.compile(r"\{\{(user|char)\}\}|<(user|char|bot)>", re.I)


# -- building a card from a persona ------------------------------------------------------------
def _tidy(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> int:
    return len(text.split())


def _file_name(path: str) -> str:
    """A source's file name only: a card travels, the owner's folder layout should not."""
    return PurePath(path.split("!")[-1]).name  # ARCHIVE.zip!member -> member


def _sources(persona: Workspace) -> list[dict]:
    return [
        {"name": _file_name(row["path"]), "sha256": row["sha256"], "date": row["date"],
         "title": row["title"], "origin": row["origin"], "kind": row["kind"],
         "licence": row["licence"] or "not stated"}
        for row in persona.store.sources()
    ]


def _date_range(sources: list[dict]) -> str:
    dates = sorted(s["date"] for s in sources if s["date"])
    if not dates:
        return "undated"
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"


def trim_answer(text: str, limit: int = EXAMPLE_WORDS) -> str:
    """Whole sentences from the start up to ``limit`` words (at least one); ELISION if cut."""
    spans = [_tidy(text[s:e]) for s, e in sentence_spans(text)] or [_tidy(text)]
    kept: list[str] = []
    for sentence in spans:
        if kept and _words(" ".join(kept)) + _words(sentence) > limit:
            return " ".join(kept) + ELISION
        kept.append(sentence)
    return " ".join(kept)


def trim_question(text: str, limit: int = QUESTION_WORDS) -> str:
    """The question itself: an interviewer's long preamble is cut back to the sentences that ask."""
    spans = [_tidy(text[s:e]) for s, e in sentence_spans(text)] or [_tidy(text)]
    asking = [i for i, s in enumerate(spans) if "?" in s]
    end = asking[-1] + 1 if asking else len(spans)
    kept = [spans[end - 1]]
    for sentence in reversed(spans[: end - 1]):
        if _words(" ".join([sentence, *kept])) > limit:
            break
        kept.insert(0, sentence)
    return " ".join(kept)


def example_pairs(persona: Workspace, count: int = EXAMPLES) -> list[tuple[str | None, str]]:
    """Real (question, answer) pairs, one per source in date order, then a second round...

    Answers of 25-150 words to a real question come first (they read as an interview); a corpus
    with no interviews gives short monologue passages instead, with no question (``None``).
    """
    rows = persona.store.db.execute(
        """SELECT a.text AS answer, q.text AS question, s.path, s.date
           FROM turns a JOIN turns q ON q.id = a.question_turn_id JOIN sources s ON s.id = a.source_id
           WHERE a.role = 'subject' AND q.text LIKE '%?%'
           ORDER BY s.date, s.path, a.seq"""
    ).fetchall()
    by_source: dict[str, list] = defaultdict(list)
    for row in rows:
        if 25 <= _words(row["answer"]) <= 150:
            by_source[row["path"]].append(row)
    picked: list[tuple[str | None, str]] = []
    queues = list(by_source.values())
    while queues and len(picked) < count:
        for queue in queues:
            if queue and len(picked) < count:
                row = queue.pop(0)
                picked.append((trim_question(row["question"]), trim_answer(row["answer"])))
        queues = [q for q in queues if q]
    if picked:
        return picked
    passages = persona.store.db.execute(
        "SELECT text FROM passages WHERE words >= 15 ORDER BY date, id LIMIT ?", (count,)
    ).fetchall()
    return [(None, trim_answer(row["text"])) for row in passages]


def mes_example(pairs: list[tuple[str | None, str]]) -> str:
    blocks = []
    for question, answer in pairs:
        lines = ["<START>", *([f"{{{{user}}}}: {question}"] if question else []), f"{{{{char}}}}: {answer}"]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _stopwords() -> set[str]:
    import bm25s

    from sosie.profile import FUNCTION_WORDS

    return set(bm25s.stopwords.STOPWORDS_EN) | set(FUNCTION_WORDS)


def topic_terms(persona: Workspace, top: int = 8) -> list[list[str]]:
    """The person's distinctive subjects: words they use in many passages, far more often than
    other writers do (the bundled background writers; not the interviewers, who ask about the
    very same subjects). Each topic is a
    list of surface forms of one stem (``["library", "libraries"]``), most frequent first."""
    from sosie.evaluate.metrics import background_texts
    from sosie.index.hybrid import tokenize
    from sosie.profile import words_of

    db = persona.store.db
    passages = [r[0] for r in db.execute("SELECT text FROM passages ORDER BY id")]
    skip = _stopwords() | set(words_of(" ".join([persona.config.name, *persona.config.aliases])))
    background = Counter(w for text in background_texts() for w in words_of(text))
    surface: dict[str, Counter] = defaultdict(Counter)
    spread: Counter = Counter()
    for text in passages:
        seen = set()
        for word in words_of(text):
            if len(word) < 4 or "'" in word or word in skip:
                continue
            stems = tokenize(word)
            if not stems:
                continue
            surface[stems[0]][word] += 1
            seen.add(stems[0])
        spread.update(seen)
    mine_total = sum(sum(c.values()) for c in surface.values()) or 1
    theirs_total = sum(background.values()) + 1
    scored = []
    for stem, forms in surface.items():
        if spread[stem] < 3:
            continue  # one passage's subject is not a topic of the person's
        mine = sum(forms.values()) / mine_total
        theirs = (sum(background[w] for w in forms) + 0.5) / theirs_total
        scored.append((math.log(mine / theirs) * math.log(1 + spread[stem]), stem))
    scored.sort(reverse=True)
    return [[w for w, _ in surface[stem].most_common(3)] for _, stem in scored[:top]]


def _quote_for(persona: Workspace, keys: list[str], used: set[str]) -> dict | None:
    """A real sentence of 8-40 words that says one of ``keys``; the one nearest 20 words."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keys) + r")\b", re.I)
    best: tuple[int, dict] | None = None
    rows = persona.store.db.execute(
        """SELECT p.text, p.date, s.path FROM passages p JOIN sources s ON s.id = p.source_id
           ORDER BY p.id"""
    )
    for text, date, path in rows:
        if not pattern.search(text):
            continue
        for s, e in sentence_spans(text):
            sentence = _tidy(text[s:e])
            if sentence in used or not pattern.search(sentence) or not 8 <= _words(sentence) <= 40:
                continue
            distance = abs(_words(sentence) - 20)
            if best is None or distance < best[0]:
                best = (distance, {"quote": sentence, "source": _file_name(path), "date": date})
    return None if best is None else best[1]


def character_book(persona: Workspace, profile: dict) -> dict:
    """Lorebook entries for the person's signature phrases and topics, each a real quote."""
    name = persona.config.name
    stop = _stopwords()
    # phrases that name something ("bike shop"), not habits of grammar ("a city is a")
    phrases = [p["phrase"] for p in profile.get("signature_phrases", [])
               if sum(w not in stop for w in p["phrase"].split()) >= 2]
    topics = [[phrase] for phrase in phrases[:4]]
    covered = {w for t in topics for w in t[0].split()}
    topics += [t for t in topic_terms(persona) if t[0] not in covered]
    entries: list[dict] = []
    used: set[str] = set()
    for keys in topics:
        found = _quote_for(persona, keys, used)
        if found is None:
            continue
        used.add(found["quote"])
        where = found["source"] + (f", {found['date']}" if found["date"] else "")
        entries.append({
            "keys": keys,
            "content": f'{name} on "{keys[0]}", in {name}\'s own recorded words: '
                       f'"{found["quote"]}" ({where})',
            "extensions": {"sosie": {"source": found["source"], "date": found["date"]}},
            "enabled": True,
            "insertion_order": len(entries),
            "name": keys[0],
            "comment": f"real quote from {where}",
            "case_sensitive": False,
            "selective": False,
            "secondary_keys": [],
            "constant": False,
            "position": "after_char",
        })
        if len(entries) == BOOK_ENTRIES:
            break
    return {
        "name": f"{name}: topics in recorded words",
        "description": "Each entry is a real quote, with the file and date it comes from.",
        "scan_depth": 4,
        "token_budget": 600,
        "recursive_scanning": False,
        "extensions": {},
        "entries": entries,
    }


def _system_prompt(persona: Workspace) -> str:
    from sosie.train.dataset import system_prompt

    config = persona.config
    return (
        f"{config.disclosure}\n\n{system_prompt(persona)} Never claim to be the real {config.name}, "
        "and if asked, say plainly that you are a simulation built from recorded words. Prefer "
        f"{config.name}'s own words from the example dialogue and the lorebook; when the record "
        "does not cover a question, say so instead of inventing an answer."
    )


def _creator_notes(persona: Workspace, sources: list[dict]) -> str:
    from sosie import __version__

    config = persona.config
    listed = ", ".join(f"{s['name']} ({s['date'] or 'undated'})" for s in sources[:12])
    if len(sources) > 12:
        listed += f", and {len(sources) - 12} more"
    consent = CONSENT_TEXT.get(config.consent, config.consent)
    lines = [
        config.disclosure,
        "",
        f"A SIMULATION made with Sosie {__version__} from {len(sources)} recorded source(s) of "
        f"{config.name}'s own words, dated {_date_range(sources)}. The example dialogue and the "
        "lorebook entries are real quotes; everything else the character says is generated.",
        f"Sources: {listed}." if listed else "Sources: none.",
        f"Consent: {config.consent} ({consent})"
        + (f": {config.consent_note}" if config.consent_note else "."),
    ]
    if config.provenance_note:
        lines.append(f"Provenance: {config.provenance_note}")
    if config.fictional:
        lines.append(f"{config.name} is a fictional subject, not a real person.")
    return "\n".join(lines)


def _sosie_extension(persona: Workspace, sources: list[dict]) -> dict:
    from sosie import __version__

    config = persona.config
    return {
        "simulated": True,
        "disclosure": config.disclosure,
        "consent": config.consent,
        "consent_note": config.consent_note,
        "provenance_note": config.provenance_note,
        "fictional": config.fictional,
        "name": config.name,
        "aliases": list(config.aliases),
        "pronoun": config.pronoun,
        "description": config.description,
        "corpus_version": persona.store.corpus_version,
        "sosie_version": __version__,
        "sources": [{"name": s["name"], "sha256": s["sha256"], "date": s["date"], "licence": s["licence"]}
                    for s in sources],
    }


def _data(persona: Workspace) -> dict:
    """The fields V2 and V3 share. Needs a built persona (its style profile)."""
    from sosie import __version__
    from sosie.profile import summary

    config = persona.config
    sources = _sources(persona)
    if not sources:
        raise SosieError(
            f"persona {config.slug!r} has no sources; add some first: sosie add {config.slug} FILES"
        )
    profile = persona.profile()
    name, span = config.name, _date_range(sources)
    who = config.description.strip() or f"{name}."
    greeting = (f"{config.disclosure}\n\nHello. I am a simulation of {name}, not {name}. I answer from "
                f"what {name} said or wrote ({span}), and I will say when the record is silent.")
    tags = ["simulation", "sosie", "interview", "real-words"] + (["fictional"] if config.fictional else [])
    return {
        "name": name,
        "description": f"{config.disclosure}\n\n{who}",
        "personality": summary(profile, name),
        "scenario": (f"{{{{user}}}} is interviewing a simulation of {name} built by Sosie from "
                     f"{len(sources)} recorded source(s) of {name}'s own words ({span}). It is a "
                     f"simulation, not the real {name}."),
        "first_mes": greeting,
        "mes_example": mes_example(example_pairs(persona)),
        "creator_notes": _creator_notes(persona, sources),
        "system_prompt": _system_prompt(persona),
        "post_history_instructions": (f"Remember: you are a simulation of {name}, not the real person; "
                                      f"never claim otherwise. {config.disclosure}"),
        "alternate_greetings": [
            f"{config.disclosure}\n\nYou are talking to a simulation of {name}, assembled from "
            f"{config.pronoun} recorded words. What would you like to ask?",
        ],
        "character_book": character_book(persona, profile),
        "tags": tags,
        "creator": "Sosie",
        "character_version": f"sosie-{__version__}+corpus.{persona.store.corpus_version}",
        "extensions": {"sosie": _sosie_extension(persona, sources)},
    }


def card_v2(persona: Workspace) -> dict:
    """A ``chara_card_v2`` card of a built persona (``NotBuilt`` if it has no style profile)."""
    return {"spec": SPEC_V2, "spec_version": "2.0", "data": _data(persona)}


def _card_source(source: dict) -> str:
    """V3's ``source`` holds IDs or http(s) URLs: a source's URL when it has one, else its file name."""
    origin = source["origin"] or ""
    return origin if re.match(r"https?://", origin) else source["name"]


def card_v3(persona: Workspace, now: float | None = None) -> dict:
    """A ``chara_card_v3`` card. ``creation_date`` is when the first source was added (when the
    double began), ``modification_date`` is ``now`` (the export), both in unix seconds UTC."""
    data = _data(persona)
    for entry in data["character_book"]["entries"]:
        entry["use_regex"] = False  # V3 makes it required; keys are plain words
    added = persona.store.db.execute("SELECT MIN(added_at) FROM sources").fetchone()[0]
    modified = int(time.time() if now is None else now)
    created = int(dt.datetime.fromisoformat(added).timestamp()) if added else modified
    data.update({
        "group_only_greetings": [
            f"{persona.config.disclosure} (In this group, I am the simulation of {persona.config.name}.)"
        ],
        "source": [_card_source(s) for s in _sources(persona)],
        "creation_date": min(created, modified),
        "modification_date": modified,
        "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
    })
    if persona.config.aliases:
        data["nickname"] = persona.config.aliases[0]
    return {"spec": SPEC_V3, "spec_version": "3.0", "data": data}


def to_v2(card: dict) -> dict:
    """A card's V2 form: a V3 card loses its V3-only fields and says so in its creator notes."""
    if card.get("spec") == SPEC_V2:
        return json.loads(json.dumps(card))
    data = {k: v for k, v in json.loads(json.dumps(card["data"])).items() if k not in V3_ONLY}
    for entry in (data.get("character_book") or {}).get("entries", []):
        entry.pop("use_regex", None)
    data["creator_notes"] = (data.get("creator_notes", "") + "\n\n(This is the Character Card V2 form of "
                             "a V3 card; an app that reads V3 gets the full card from the ccv3 chunk.)")
    return {"spec": SPEC_V2, "spec_version": "2.0", "data": data}


# -- validation ---------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


CHECKS = {
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array of strings": _is_strings,
}


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _check(obj: dict, where: str, required: dict[str, str], optional: dict[str, str]) -> list[str]:
    problems = []
    for key, kind in required.items():
        if key not in obj:
            problems.append(f"{where}.{key}: missing ({_a(kind)} is required)")
        elif not CHECKS[kind](obj[key]):
            problems.append(f"{where}.{key}: must be {_a(kind)}, not {type(obj[key]).__name__}")
    for key, kind in optional.items():
        if key in obj and not CHECKS[kind](obj[key]):
            problems.append(f"{where}.{key}: must be {_a(kind)} when present, not {type(obj[key]).__name__}")
    return problems


def _validate_book(book: Any, v3: bool) -> list[str]:
    where = "data.character_book"
    if not isinstance(book, dict):
        return [f"{where}: must be an object"]
    problems = _check(book, where, {"extensions": "object"},
                      {"name": "string", "description": "string", "scan_depth": "number",
                       "token_budget": "number", "recursive_scanning": "boolean"})
    entries = book.get("entries")
    if not isinstance(entries, list):
        return problems + [f"{where}.entries: must be an array"]
    required = {"keys": "array of strings", "content": "string", "extensions": "object",
                "enabled": "boolean", "insertion_order": "number"}
    optional = {"name": "string", "priority": "number", "comment": "string", "selective": "boolean",
                "secondary_keys": "array of strings", "constant": "boolean"}
    if v3:
        required["use_regex"] = "boolean"
        optional["case_sensitive"] = "boolean"
    else:
        optional["id"] = "number"
    for i, entry in enumerate(entries):
        at = f"{where}.entries[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{at}: must be an object")
            continue
        problems += _check(entry, at, required, optional)
        if v3 and "id" in entry and not (isinstance(entry["id"], str) or _is_number(entry["id"])):
            problems.append(f"{at}.id: must be a string or a number when present")
        if "position" in entry and entry["position"] not in ("before_char", "after_char"):
            problems.append(f"{at}.position: must be 'before_char' or 'after_char'")
    return problems


def _validate_disclosure(data: dict) -> list[str]:
    """Sosie's own rule: a card never drops the disclosure."""
    extensions = data.get("extensions")
    sosie = extensions.get("sosie") if isinstance(extensions, dict) else None
    if not isinstance(sosie, dict):
        return ["data.extensions.sosie: missing (Sosie cards carry their disclosure and provenance there)"]
    disclosure = sosie.get("disclosure")
    if not isinstance(disclosure, str) or not disclosure.strip():
        return ["data.extensions.sosie.disclosure: missing or empty"]
    problems = [] if sosie.get("simulated") is True else ["data.extensions.sosie.simulated: must be true"]
    for key in ("system_prompt", "creator_notes"):
        if isinstance(data.get(key), str) and disclosure not in data[key]:
            problems.append(f"data.{key}: must contain the disclosure {disclosure!r}")
    return problems


def _validate(card: Any, spec: str, version: str) -> list[str]:
    if not isinstance(card, dict):
        return ["card: must be a JSON object"]
    problems = []
    if card.get("spec") != spec:
        problems.append(f"spec: must be {spec!r}, not {card.get('spec')!r}")
    if card.get("spec_version") != version:
        problems.append(f"spec_version: must be {version!r}, not {card.get('spec_version')!r}")
    data = card.get("data")
    if not isinstance(data, dict):
        return problems + ["data: must be an object"]
    problems += _check(data, "data", {**dict.fromkeys(V2_STRINGS, "string"),
                                      "alternate_greetings": "array of strings",
                                      "tags": "array of strings", "extensions": "object"}, {})
    if "character_book" in data:
        problems += _validate_book(data["character_book"], v3=spec == SPEC_V3)
    return problems + _validate_disclosure(data)


def validate_v2(card: Any) -> list[str]:
    """The V2 spec's field rules plus the disclosure rule; ``[]`` means valid."""
    return _validate(card, SPEC_V2, "2.0")


def _validate_assets(assets: Any) -> list[str]:
    if not isinstance(assets, list):
        return ["data.assets: must be an array when present"]
    problems = []
    for i, asset in enumerate(assets):
        at = f"data.assets[{i}]"
        if not isinstance(asset, dict):
            problems.append(f"{at}: must be an object")
            continue
        problems += _check(asset, at, dict.fromkeys(("type", "uri", "name", "ext"), "string"), {})
        ext = asset.get("ext")
        if isinstance(ext, str) and (ext != ext.lower() or ext.startswith(".")):
            problems.append(f"{at}.ext: must be lowercase, without a dot (e.g. 'png')")
    mains = Counter(a.get("type") for a in assets if isinstance(a, dict) and a.get("name") == "main")
    icons = sum(1 for a in assets if isinstance(a, dict) and a.get("type") == "icon")
    if icons > 1 and mains["icon"] != 1:
        problems.append("data.assets: with several icons, exactly one must be named 'main'")
    if mains["background"] > 1:
        problems.append("data.assets: at most one background may be named 'main'")
    return problems


def validate_v3(card: Any) -> list[str]:
    """The V3 spec's field rules (V2's plus its additions) and the disclosure rule; ``[]`` = valid."""
    problems = _validate(card, SPEC_V3, "3.0")
    data = card.get("data") if isinstance(card, dict) else None
    if not isinstance(data, dict):
        return problems
    problems += _check(data, "data", {"group_only_greetings": "array of strings"},
                       {"nickname": "string", "creator_notes_multilingual": "object",
                        "source": "array of strings", "creation_date": "number",
                        "modification_date": "number"})
    notes = data.get("creator_notes_multilingual")
    if isinstance(notes, dict):
        for lang, text in notes.items():
            if not re.fullmatch(r"[a-z]{2}", lang) or not isinstance(text, str):
                problems.append(f"data.creator_notes_multilingual.{lang}: keys are ISO 639-1 codes "
                                "('en'), values strings")
    for key in ("creation_date", "modification_date"):
        if _is_number(data.get(key)) and data[key] < 0:
            problems.append(f"data.{key}: must be unix seconds (0 or more)")
    if "assets" in data:
        problems += _validate_assets(data["assets"])
    return problems


def validate(card: Any) -> list[str]:
    """Validate by the card's own ``spec``."""
    spec = card.get("spec") if isinstance(card, dict) else None
    if spec == SPEC_V2:
        return validate_v2(card)
    if spec == SPEC_V3:
        return validate_v3(card)
    return [f"spec: must be {SPEC_V2!r} or {SPEC_V3!r}, not {spec!r}"]


# -- files --------------------------------------------------------------------------------------
def _encode(card: dict) -> str:
    return base64.b64encode(json.dumps(card, ensure_ascii=False).encode("utf-8")).decode("ascii")


def card_image(name: str, size: tuple[int, int] = (512, 768)) -> Image:
    """A plain panel with the name and SIMULATION: deliberately no face, no photo, no likeness."""
    from PIL import Image, ImageDraw, ImageFont

    digest = hashlib.sha256(name.encode("utf-8")).digest()
    colour = tuple(60 + b % 60 for b in digest[:3])  # a muted colour that tells cards apart
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    width, height = size

    def centred(text: str, y: int, largest: int) -> None:
        font_size = largest
        font = ImageFont.load_default(size=font_size)
        while draw.textlength(text, font=font) > width - 40 and font_size > 10:
            font_size -= 2
            font = ImageFont.load_default(size=font_size)
        # placed by its box, not with anchor=: Pillow without FreeType has only a bitmap font
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        xy = ((width - (right - left)) // 2 - left, y - (bottom - top) // 2 - top)
        draw.text(xy, text, fill=(255, 255, 255), font=font)

    draw.rectangle((16, 16, width - 17, height - 17), outline=(255, 255, 255), width=3)
    centred("SIMULATION", height // 5, 56)
    centred(name, height // 2, 44)
    centred("built from recorded words", height // 2 + 60, 22)
    centred("not the real person", height // 2 + 90, 22)
    centred("made with Sosie", height - 60, 18)
    return image


def _replace_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_card(card: dict, path: Path) -> Path:
    """Write ``card`` as ``.json`` or as a ``.png`` with the card in ``tEXt`` chunks (see the
    module docstring); refuses a card that fails validation. Atomic: tmp file, then rename."""
    from PIL import PngImagePlugin

    path = Path(path)
    problems = validate(card)
    if problems:
        raise SosieError(f"refusing to write an invalid card to {path}: {'; '.join(problems)}")
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(card, indent=2, ensure_ascii=False) + "\n"
        return _replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if suffix != ".png":
        raise SosieError(f"{path}: a card file ends in .json or .png")
    info = PngImagePlugin.PngInfo()
    if card["spec"] == SPEC_V3:
        info.add_text("ccv3", _encode(card))  # plain tEXt (zip=False), as both specs require
    info.add_text("chara", _encode(to_v2(card)))
    image = card_image(card["data"]["name"])
    return _replace_atomically(path, lambda tmp: image.save(tmp, format="PNG", pnginfo=info))


def _decode(value: str, where: str) -> dict:
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
        card = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise SosieError(f"{where}: the card chunk is not base64-encoded JSON ({exc})") from exc
    if not isinstance(card, dict):
        raise SosieError(f"{where}: the card chunk holds JSON but not a card object")
    return card


def _png_chunks(path: Path) -> dict[str, str]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return dict(getattr(image, "text", {}) or {})
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise SosieError(f"{path}: not a readable PNG image ({exc})") from exc


def read_card(path: Path) -> dict:
    """A card from ``.json`` or ``.png`` (``ccv3`` preferred over ``chara``), V2 or V3; it is not
    validated against Sosie's rules, so any app's card can be read."""
    path = Path(path)
    try:
        head = path.read_bytes()[:8]
    except OSError as exc:
        raise SosieError(f"cannot read card {path}: {exc.strerror or exc}") from exc
    if head == PNG_SIGNATURE:
        chunks = _png_chunks(path)
        key = "ccv3" if "ccv3" in chunks else "chara" if "chara" in chunks else None
        if key is None:
            raise SosieError(f"{path}: this PNG holds no character card (no 'ccv3' or 'chara' text chunk)")
        card = _decode(chunks[key], f"{path} ({key} chunk)")
    else:
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SosieError(f"{path}: neither a PNG nor valid JSON ({exc})") from exc
    spec = card.get("spec") if isinstance(card, dict) else None
    if spec not in (SPEC_V2, SPEC_V3):
        raise SosieError(f"{path}: unknown card spec {spec!r}; Sosie reads {SPEC_V2!r} and {SPEC_V3!r}")
    if not isinstance(card.get("data"), dict):
        raise SosieError(f"{path}: the card has no 'data' object")
    return card


# -- a persona from a card ----------------------------------------------------------------------
def slug_from_name(name: str) -> str:
    """``"Rowan Adler"`` -> ``"rowan-adler"``: lowercase, anything else '-', 64 characters at most."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return slug or "card"


def parse_examples(text: str, name: str) -> list[tuple[str | None, str]]:
    """``mes_example`` as (question, answer) pairs; a character line with no user line before it
    has question ``None``. Lines with no speaker continue the message before them."""
    pairs: list[tuple[str | None, str]] = []
    for block in re.split(r"<START>", text or "", flags=re.I):
        messages: list[list[str]] = []  # [role, text]
        for line in block.splitlines():
            match = SPEAKER.match(line)
            if match:
                role = "user" if match.group(1).lower() in ("{{user}}", "<user>") else "char"
                messages.append([role, line[match.end():]])
            elif messages:
                messages[-1][1] += "\n" + line
        question = None
        for role, said in messages:
            said = _tidy(MACROS.sub(lambda m: name if (m.group(1) or m.group(2)).lower() != "user" else "you",
                                    said))
            if role == "user":
                question = said or None
            elif said:
                pairs.append((question, said.removesuffix(ELISION.strip()).strip()))
                question = None
    return [(q, a) for q, a in pairs if a]


def _subject_label(name: str) -> str:
    """The name in capitals when the ingester reads it as a speaker label, else ``A`` (answer)."""
    from sosie.corpus.labels import candidate_at

    label = name.upper()
    found = candidate_at(f"{label}: x")
    return label if found is not None and found.form == "inline" and found.name == label else "A"


def examples_transcript(pairs: list[tuple[str | None, str]], name: str, origin: str) -> str:
    """The exchanges as a transcript the ingester reads: ``INTERVIEWER:`` and the person's label."""
    label = _subject_label(name)
    lines: list[str] = []
    for question, answer in pairs:
        if question:
            lines.append(f"INTERVIEWER: {question}")
        lines.append(f"{label}: {answer}")
    header = f"---\ntitle: Example dialogue from a character card of {name}\nsource: {origin}\n---\n\n"
    if len(lines) < 2:  # one line is not a transcript; the ingester reads it as a monologue
        return header + pairs[0][1] + "\n"
    return header + "\n\n".join(lines) + "\n"


def persona_from_card(card: dict, slug: str | None = None, home: str | Path | None = None) -> Workspace:
    """A new persona from a card: its name and description; the disclosure, consent and other
    settings from ``extensions.sosie`` when a Sosie card has one (else the default disclosure and
    consent "none"); and, as its corpus, the card's example dialogue, written to
    ``WORKSPACE/from-card/card-examples.txt`` (the card itself beside it), added and built.

    A card with no example dialogue still gives a persona, with no sources and not built: add
    some with ``sosie add`` and build it. The caller closes the returned persona.
    """
    from sosie.workspace import Workspace

    data = card.get("data") if isinstance(card, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"].strip():
        raise SosieError("this card has no character name (data.name); it cannot become a persona")
    extensions = data.get("extensions") if isinstance(data.get("extensions"), dict) else {}
    sosie = extensions.get("sosie") if isinstance(extensions.get("sosie"), dict) else {}
    name = _tidy(data["name"])  # the name the card shows, even if an app renamed it
    creator = data.get("creator") or "an unknown creator"
    origin = f"character card ({card.get('spec')}) by {creator}"
    note = f"Created from a {origin}, version {data.get('character_version') or 'unknown'}."
    if sosie.get("provenance_note"):
        note += f" The card's own provenance: {sosie['provenance_note']}"
    description = sosie.get("description") if "description" in sosie else data.get("description", "")
    nickname = data.get("nickname")
    aliases = sosie.get("aliases") or ([nickname] if isinstance(nickname, str) and nickname else [])
    persona = Workspace.create(
        slug or slug_from_name(name), name, [a for a in aliases if isinstance(a, str)], home=home,
        description=description if isinstance(description, str) else "",
        pronoun=str(sosie.get("pronoun") or "their"),
        disclosure=str(sosie.get("disclosure") or ""),
        consent=str(sosie.get("consent") or "none"),
        consent_note=str(sosie.get("consent_note") or "Imported from a character card; no consent recorded."),
        provenance_note=note,
        fictional=bool(sosie.get("fictional", False)),
    )
    pairs = parse_examples(data.get("mes_example", ""), name)
    folder = persona.workspace / "from-card"
    folder.mkdir(exist_ok=True)
    (folder / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False), encoding="utf-8")
    if not pairs:
        return persona
    transcript = folder / "card-examples.txt"
    transcript.write_text(examples_transcript(pairs, name, origin), encoding="utf-8")
    report = persona.add(transcript)
    if not report.ok:
        raise SosieError(f"{transcript}: the card's examples could not be added: "
                         + "; ".join(m for _, m in report.failed))
    persona.build()
    return persona
