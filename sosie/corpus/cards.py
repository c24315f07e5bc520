"""Character cards as a source: a card file (V2 or V3, ``.json`` or ``.png``) read into its
example dialogue, a transcript of speaker turns.

A card's ``mes_example`` holds exchanges as ``{{user}}:`` and ``{{char}}:`` lines (or ``<user>``,
``<bot>``...). The user's lines become the interviewer's questions and the character's lines
the subject's answers, so a card's examples are ingested like any other interview.

>>> card = {"spec": "chara_card_v2", "data": {"name": "Ada", "creator": "X",
...         "mes_example": "<START>\\n{{user}}: Why trains?\\n{{char}}: They are {{char}}'s joy."}}
>>> print(card_dialogue(card).text, end="")
INTERVIEWER: Why trains?
<BLANKLINE>
ADA: They are Ada's joy.

Only parsing lives here: nothing is written. A PNG card keeps the card in a ``tEXt`` chunk,
``ccv3`` (V3) or ``chara`` (V2), as base64 of the UTF-8 JSON; ``ccv3`` wins where both are.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

from sosie.corpus.formats import Extracted
from sosie.corpus.labels import candidate_at
from sosie.corpus.limits import MAX_PICTURE_PIXELS
from sosie.errors import BadSource

SPEC_V2, SPEC_V3 = "chara_card_v2", "chara_card_v3"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ELISION = " […]"  # the editorial mark for words left out; never part of what the person said
SPEAKER = re.compile(r"^\s*(\{\{user\}\}|<user>|\{\{char\}\}|<char>|<bot>)\s*:\s?", re.I)
MACROS = re.compile(r"\{\{(user|char)\}\}|<(user|char|bot)>", re.I)
INTERVIEWER = "INTERVIEWER"


def _tidy(text: str) -> str:
    return " ".join(text.split())


# -- the card itself ----------------------------------------------------------------------------
def decode_chunk(value: str, where: str) -> dict:
    """A ``chara``/``ccv3`` chunk's value (base64 of UTF-8 JSON) as the card object."""
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
        card = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise BadSource(f"{where}: the card chunk is not base64-encoded JSON ({exc})") from exc
    if not isinstance(card, dict):
        raise BadSource(f"{where}: the card chunk holds JSON but not a card object")
    return card


def png_text_chunks(path: Path, data: bytes | None = None) -> dict[str, str]:
    """The PNG's ``tEXt`` chunks by keyword: from ``data`` when a reader has the bytes already,
    else from the file at ``path`` (which also names it in messages)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow's bomb warning is a refusal here, not stderr noise
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path if data is None else io.BytesIO(data)) as image:
                pixels = image.size[0] * image.size[1]  # read from the header: nothing decoded yet
                if pixels > MAX_PICTURE_PIXELS:
                    raise BadSource(f"{path}: a picture of {pixels / 1e6:.0f} million pixels (limit "
                                    f"{MAX_PICTURE_PIXELS // 10**6} million for a character card); not read")
                return dict(getattr(image, "text", {}) or {})
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:  # past Pillow's own limit
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(found.group(1)) / 1e6:.0f} million" if found else "too many"
        raise BadSource(f"{path}: a picture of {pixels} pixels (limit {MAX_PICTURE_PIXELS // 10**6} "
                        "million for a character card); not read") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise BadSource(f"{path}: not a readable PNG image ({exc})") from exc


def _card(path: Path, data: bytes, chunks: Callable[[], dict[str, str]]) -> dict:
    if data[:8] == PNG_SIGNATURE:
        found = chunks()
        key = "ccv3" if "ccv3" in found else "chara" if "chara" in found else None
        if key is None:
            raise BadSource(f"{path}: this PNG holds no character card (no 'ccv3' or 'chara' text chunk)")
        card = decode_chunk(found[key], f"{path} ({key} chunk)")
    else:
        try:
            card = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadSource(f"{path}: neither a PNG nor valid JSON ({exc})") from exc
    spec = card.get("spec") if isinstance(card, dict) else None
    if spec not in (SPEC_V2, SPEC_V3):
        raise BadSource(f"{path}: unknown card spec {spec!r}; Sosie reads {SPEC_V2!r} and {SPEC_V3!r}")
    if not isinstance(card.get("data"), dict):
        raise BadSource(f"{path}: the card has no 'data' object")
    return card


def card_from_bytes(path: Path, data: bytes) -> dict:
    """A card (V2 or V3) from a file's bytes, PNG or JSON; not checked against Sosie's own rules,
    so any app's card is read."""
    return _card(path, data, lambda: png_text_chunks(path, data))


def read_card(path: Path) -> dict:
    """A card from ``.json`` or ``.png`` (``ccv3`` preferred over ``chara``), V2 or V3."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadSource(f"cannot read card {path}: {exc.strerror or exc}") from exc
    return _card(path, data, lambda: png_text_chunks(path))


# -- its example dialogue -----------------------------------------------------------------------
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


def subject_label(name: str) -> str:
    """The name in capitals when the ingester reads it as a speaker label, else ``A`` (answer)."""
    label = name.upper()
    found = candidate_at(f"{label}: x")
    return label if found is not None and found.form == "inline" and found.name == label else "A"


def card_origin(card: dict) -> str:
    """``character card (chara_card_v3) by Sosie``: what the examples' source says they are."""
    data = card.get("data") if isinstance(card.get("data"), dict) else {}
    return f"character card ({card.get('spec')}) by {data.get('creator') or 'an unknown creator'}"


def dialogue(pairs: list[tuple[str | None, str]], name: str) -> Extracted:
    """The exchanges as a labelled transcript (``INTERVIEWER:`` and the person's label, a blank
    line between turns); ``turns`` give each turn's words, ``None`` for the person's."""
    label = subject_label(name)
    lines: list[tuple[str | None, str, str]] = []  # (speaker, label, words)
    for question, answer in pairs:
        if question:
            lines.append((INTERVIEWER, INTERVIEWER, question))
        lines.append((None, label, answer))
    if len(lines) == 1:  # one line is not a transcript; the ingester reads it as a monologue
        answer = lines[0][2]
        return Extracted(answer + "\n", turns=[(None, 0, len(answer), None)])
    parts: list[str] = []
    turns: list[tuple[str | None, int, int, str | None]] = []
    offset = 0
    for speaker, head, words in lines:
        if parts:
            parts.append("\n\n")
            offset += 2
        start = offset + len(head) + 2
        parts.append(f"{head}: {words}")
        turns.append((speaker, start, start + len(words), None))
        offset = start + len(words)
    return Extracted("".join(parts) + "\n", turns=turns)


def card_dialogue(card: dict) -> Extracted:
    """A card's example dialogue as text with turns; its ``meta`` gives a title and the source.
    A card with no example dialogue gives empty text."""
    data = card.get("data") if isinstance(card.get("data"), dict) else {}
    name = _tidy(str(data.get("name") or ""))
    pairs = parse_examples(data.get("mes_example", ""), name)
    found = dialogue(pairs, name) if pairs else Extracted("", turns=[])
    found.meta = {"title": f"Example dialogue from a character card of {name}",
                  "source": card_origin(card), "format": "character card"}
    return found


def read_card_source(path: Path, data: bytes) -> Extracted:
    """A reader in the shape of :data:`sosie.corpus.formats.BINARY_READERS`: a card file's bytes
    to its example dialogue."""
    found = card_dialogue(card_from_bytes(path, data))
    if not found.text.strip():
        raise BadSource(f"{path}: this character card has no example dialogue (mes_example) to add")
    return found
