"""A card's fields from a built persona: the disclosure everywhere, real words in the examples
and the lorebook, provenance in ``extensions.sosie``.

>>> card_v3(persona, now=1_700_000_000)["data"]["modification_date"]   # doctest: +SKIP
1700000000
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import PurePath
from typing import TYPE_CHECKING

from sosie.corpus.cards import ELISION, SPEC_V2, SPEC_V3
from sosie.corpus.sentences import sentence_spans
from sosie.errors import SosieError
from sosie.profile.topics import quote_for, sample_exchanges, stopwords, topic_terms

if TYPE_CHECKING:
    from sosie.workspace import Workspace

EXAMPLES = 4  # question/answer pairs in mes_example: enough to show the voice, few enough to read
EXAMPLE_WORDS = 80  # an answer longer than this is cut at a sentence end, marked with ELISION
QUESTION_WORDS = 25
BOOK_ENTRIES = 10
CONSENT_TEXT = {
    "self": "made by the person themself",
    "granted": "the person granted consent",
    "public-record": "built from public-record material; the person was not asked",
    "none": "no consent recorded",
}
V3_ONLY = ("assets", "nickname", "creator_notes_multilingual", "source", "group_only_greetings",
           "creation_date", "modification_date")


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> int:
    return len(text.split())


def _file_name(path: str) -> str:
    """A source's file name only, on one line: a card travels, the owner's folder layout should
    not, and a name with a newline in it must not start a line of its own in any field."""
    return _tidy(PurePath(path.split("!")[-1]).name)  # ARCHIVE.zip!member -> member


def defused(value):
    """Every string of a card, however deep, with chat-template control strings defused (the
    list the prompts use): a card's fields go into other apps' prompts as they are."""
    from sosie.engines.control import neutralise

    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, list):
        return [defused(v) for v in value]
    if isinstance(value, dict):
        return {k: defused(v) for k, v in value.items()}
    return value


def _sources(workspace: Workspace) -> list[dict]:
    return [
        {"name": _file_name(row["path"]), "sha256": row["sha256"], "date": row["date"],
         "title": row["title"], "origin": row["origin"], "kind": row["kind"],
         "licence": row["licence"] or "not stated"}
        for row in workspace.store.sources()
    ]


def _date_range(sources: list[dict]) -> str:
    dates = sorted(s["date"] for s in sources if s["date"])
    if not dates:
        return "undated"
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"


# -- the example dialogue -----------------------------------------------------------------------
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


def example_pairs(workspace: Workspace, count: int = EXAMPLES) -> list[tuple[str | None, str]]:
    """Real (question, answer) pairs (see :func:`sosie.profile.topics.sample_exchanges`), trimmed
    to read as a short exchange."""
    return [(None if question is None else trim_question(question), trim_answer(answer))
            for question, answer in sample_exchanges(workspace.store, count)]


def mes_example(pairs: list[tuple[str | None, str]]) -> str:
    blocks = []
    for question, answer in pairs:
        lines = ["<START>", *([f"{{{{user}}}}: {question}"] if question else []), f"{{{{char}}}}: {answer}"]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


# -- the lorebook -------------------------------------------------------------------------------
def character_book(workspace: Workspace, profile: dict) -> dict:
    """Lorebook entries for the person's signature phrases and topics, each a real quote."""
    from sosie.evaluate.metrics import background_texts
    from sosie.profile import words_of

    name = workspace.config.name
    stop = stopwords()
    # phrases that name something ("bike shop"), not habits of grammar ("a city is a")
    phrases = [p["phrase"] for p in profile.get("signature_phrases", [])
               if sum(w not in stop for w in p["phrase"].split()) >= 2]
    topics = [[phrase] for phrase in phrases[:4]]
    covered = {w for t in topics for w in t[0].split()}
    names = words_of(" ".join([name, *workspace.config.aliases]))  # a name is not a topic
    # measured against the bundled background writers, not the interviewers (same subjects)
    topics += [t for t in topic_terms(workspace.store, background_texts(), names) if t[0] not in covered]
    entries: list[dict] = []
    used: set[str] = set()
    for keys in topics:
        found = quote_for(workspace.store, keys, used)
        if found is None:
            continue
        used.add(found["quote"])
        source = _file_name(found["path"])
        where = source + (f", {found['date']}" if found["date"] else "")
        entries.append({
            "keys": keys,
            "content": f'{name} on "{keys[0]}", in {name}\'s own recorded words: '
                       f'"{found["quote"]}" ({where})',
            "extensions": {"sosie": {"source": source, "date": found["date"]}},
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


# -- the card -----------------------------------------------------------------------------------
def _system_prompt(workspace: Workspace) -> str:
    from sosie.train.dataset import system_prompt

    config = workspace.config
    return (
        f"{config.disclosure}\n\n{system_prompt(workspace)} Never claim to be the real {config.name}, "
        "and if asked, say plainly that you are a simulation built from recorded words. Prefer "
        f"{config.name}'s own words from the example dialogue and the lorebook; when the record "
        "does not cover a question, say so instead of inventing an answer."
    )


def _creator_notes(workspace: Workspace, sources: list[dict]) -> str:
    from sosie import __version__

    config = workspace.config
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


def _sosie_extension(workspace: Workspace, sources: list[dict]) -> dict:
    from sosie import __version__

    config = workspace.config
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
        "corpus_version": workspace.store.corpus_version,
        "sosie_version": __version__,
        "sources": [{"name": s["name"], "sha256": s["sha256"], "date": s["date"], "licence": s["licence"]}
                    for s in sources],
    }


def _data(workspace: Workspace) -> dict:
    """The fields V2 and V3 share. Needs a built persona (its style profile)."""
    from sosie import __version__
    from sosie.profile import summary

    config = workspace.config
    sources = _sources(workspace)
    if not sources:
        raise SosieError(
            f"persona {config.slug!r} has no sources; add some first: sosie add {config.slug} FILES"
        )
    profile = workspace.profile()
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
        "mes_example": mes_example(example_pairs(workspace)),
        "creator_notes": _creator_notes(workspace, sources),
        "system_prompt": _system_prompt(workspace),
        "post_history_instructions": (f"Remember: you are a simulation of {name}, not the real person; "
                                      f"never claim otherwise. {config.disclosure}"),
        "alternate_greetings": [
            f"{config.disclosure}\n\nYou are talking to a simulation of {name}, assembled from "
            f"{config.pronoun} recorded words. What would you like to ask?",
        ],
        "character_book": character_book(workspace, profile),
        "tags": tags,
        "creator": "Sosie",
        "character_version": f"sosie-{__version__}+corpus.{workspace.store.corpus_version}",
        "extensions": {"sosie": _sosie_extension(workspace, sources)},
    }


def card_v2(workspace: Workspace) -> dict:
    """A ``chara_card_v2`` card of a built persona (``NotBuilt`` if it has no style profile)."""
    return {"spec": SPEC_V2, "spec_version": "2.0", "data": defused(_data(workspace))}


def _card_source(source: dict) -> str:
    """V3's ``source`` holds IDs or http(s) URLs: a source's URL when it has one, else its file name."""
    origin = source["origin"] or ""
    return origin if re.match(r"https?://", origin) else source["name"]


def card_v3(workspace: Workspace, now: float | None = None) -> dict:
    """A ``chara_card_v3`` card. ``creation_date`` is when the first source was added (when the
    double began), ``modification_date`` is ``now`` (the export), both in unix seconds UTC."""
    data = _data(workspace)
    for entry in data["character_book"]["entries"]:
        entry["use_regex"] = False  # V3 makes it required; keys are plain words
    added = workspace.store.first_added()
    modified = int(time.time() if now is None else now)
    created = int(dt.datetime.fromisoformat(added).timestamp()) if added else modified
    data.update({
        "group_only_greetings": [
            f"{workspace.config.disclosure} (In this group, I am the simulation of {workspace.config.name}.)"
        ],
        "source": [_card_source(s) for s in _sources(workspace)],
        "creation_date": min(created, modified),
        "modification_date": modified,
        "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
    })
    if workspace.config.aliases:
        data["nickname"] = workspace.config.aliases[0]
    return {"spec": SPEC_V3, "spec_version": "3.0", "data": defused(data)}


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
