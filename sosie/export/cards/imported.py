"""A persona from someone's character card: its settings from the card, its corpus the card's
example dialogue as read by :mod:`sosie.corpus.cards`.

>>> persona_from_card(read_card(Path("rowan.png")), home=home).slug      # doctest: +SKIP
'rowan-adler'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.corpus.cards import card_dialogue, card_origin
from sosie.errors import SosieError
from sosie.files import atomic_write

if TYPE_CHECKING:
    from sosie.workspace import Workspace


def slug_from_name(name: str) -> str:
    """``"Rowan Adler"`` -> ``"rowan-adler"``: lowercase, anything else '-', 64 characters at most."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return slug or "card"


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
    name = " ".join(data["name"].split())  # the name the card shows, even if an app renamed it
    note = f"Created from a {card_origin(card)}, version {data.get('character_version') or 'unknown'}."
    if sosie.get("provenance_note"):
        note += f" The card's own provenance: {sosie['provenance_note']}"
    description = sosie.get("description") if "description" in sosie else data.get("description", "")
    nickname = data.get("nickname")
    aliases = sosie.get("aliases") or ([nickname] if isinstance(nickname, str) and nickname else [])
    workspace = Workspace.create(
        slug or slug_from_name(name), name, [a for a in aliases if isinstance(a, str)], home=home,
        description=description if isinstance(description, str) else "",
        pronoun=str(sosie.get("pronoun") or "their"),
        disclosure=str(sosie.get("disclosure") or ""),
        consent=str(sosie.get("consent") or "none"),
        consent_note=str(sosie.get("consent_note") or "Imported from a character card; no consent recorded."),
        provenance_note=note,
        fictional=bool(sosie.get("fictional", False)),
    )
    dialogue = card_dialogue(card)
    folder = workspace.workspace / "from-card"
    folder.mkdir(exist_ok=True)
    atomic_write(folder / "card.json", json.dumps(card, indent=2, ensure_ascii=False))
    if not dialogue.text:
        return workspace
    # a transcript file, so that the passages cite a file the owner can open and read
    transcript = folder / "card-examples.txt"
    header = "".join(f"{key}: {dialogue.meta[key]}\n" for key in ("title", "source"))
    atomic_write(transcript, f"---\n{header}---\n\n{dialogue.text}")
    report = workspace.add(transcript)
    if not report.ok:
        raise SosieError(f"{transcript}: the card's examples could not be added: "
                         + "; ".join(m for _, m in report.failed))
    workspace.build()
    return workspace
