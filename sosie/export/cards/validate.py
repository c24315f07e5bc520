"""Is a card a valid Character Card V2 / V3, and does it keep Sosie's disclosure? Each problem
is one line naming the field.

>>> problems = validate_v2({"spec": "chara_card_v2", "spec_version": "2.0", "data": {}})
>>> problems[0]
'data.name: missing (a string is required)'
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sosie.corpus.cards import SPEC_V2, SPEC_V3

V2_STRINGS = ("name", "description", "personality", "scenario", "first_mes", "mes_example",
              "creator_notes", "system_prompt", "post_history_instructions", "creator",
              "character_version")


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
