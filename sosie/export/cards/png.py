"""Card files: ``.json``, or a ``.png`` that carries the card in ``tEXt`` chunks.

PNG layout: a plain generated image (a coloured panel with the name and "SIMULATION"; never a
face or a photo) with the card in ``tEXt`` chunks. A V2 card is one chunk ``chara`` =
base64(UTF-8 JSON). A V3 card is a ``ccv3`` chunk with the V3 JSON and, for older apps, a
``chara`` chunk with its V2 form (:func:`sosie.export.cards.build.to_v2`). Reading them back
is the corpus reader's (:func:`sosie.corpus.cards.read_card`).

>>> write_card(card_v3(workspace), Path("ada.png"))                        # doctest: +SKIP
PosixPath('ada.png')
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.corpus.cards import SPEC_V3
from sosie.errors import SosieError
from sosie.export.cards.build import to_v2
from sosie.export.cards.validate import validate
from sosie.files import atomic_replace, atomic_write

if TYPE_CHECKING:
    from PIL.Image import Image

CARD_MODE = 0o644  # a card is made to be shared with a chat app, unlike the workspace's files


def encode(card: dict) -> str:
    """A card as a ``chara``/``ccv3`` chunk's value: base64 of its UTF-8 JSON."""
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


def write_card(card: dict, path: Path) -> Path:
    """Write ``card`` as ``.json`` or as a ``.png`` with the card in ``tEXt`` chunks (see the
    module docstring); refuses a card that fails validation. Atomic: tmp file, then rename."""
    from PIL import PngImagePlugin

    path = Path(path)
    problems = validate(card)
    if problems:
        raise SosieError(f"refusing to write an invalid card to {path}: {'; '.join(problems)}")
    suffix = path.suffix.lower()
    if suffix not in (".json", ".png"):
        raise SosieError(f"{path}: a card file ends in .json or .png")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        return atomic_write(path, json.dumps(card, indent=2, ensure_ascii=False) + "\n", mode=CARD_MODE)
    info = PngImagePlugin.PngInfo()
    if card["spec"] == SPEC_V3:
        info.add_text("ccv3", encode(card))  # plain tEXt (zip=False), as both specs require
    info.add_text("chara", encode(to_v2(card)))
    image = card_image(card["data"]["name"])
    return atomic_replace(path, lambda tmp: image.save(tmp, format="PNG", pnginfo=info), mode=CARD_MODE)
