"""Character cards (V2 and V3) for chat front ends, as JSON or embedded in a PNG, and back again.

A Sosie card says what it is everywhere a front end may show or use it: the disclosure opens
the description, the system prompt and the creator notes, and the greeting states that this is
a simulation. What the character "said" in the card is real: the example dialogue is real
question/answer pairs from the corpus, and each lorebook entry is a real quote with its source
and date. ``extensions.sosie`` carries the provenance (sources with their SHA-256, consent).

* :mod:`.build`: a card's fields from a built persona (the corpus mining is
  :mod:`sosie.profile.topics`);
* :mod:`.validate`: the V2 / V3 field rules and Sosie's disclosure rule;
* :mod:`.png`: writing ``.json`` and ``.png`` card files (the generated panel image);
* :mod:`.imported`: a persona from a card; reading a card file and its example dialogue is
  ingestion, in :mod:`sosie.corpus.cards`.

>>> problems = validate_v2({"spec": "chara_card_v2", "spec_version": "2.0", "data": {}})
>>> problems[0]
'data.name: missing (a string is required)'
"""

from sosie.corpus.cards import (
    ELISION,
    MACROS,
    PNG_SIGNATURE,
    SPEAKER,
    SPEC_V2,
    SPEC_V3,
    parse_examples,
    read_card,
)
from sosie.export.cards.build import (
    BOOK_ENTRIES,
    CONSENT_TEXT,
    EXAMPLE_WORDS,
    EXAMPLES,
    QUESTION_WORDS,
    V3_ONLY,
    card_v2,
    card_v3,
    character_book,
    example_pairs,
    mes_example,
    to_v2,
    trim_answer,
    trim_question,
)
from sosie.export.cards.imported import persona_from_card, slug_from_name
from sosie.export.cards.png import card_image, write_card
from sosie.export.cards.validate import V2_STRINGS, validate, validate_v2, validate_v3

__all__ = [
    "BOOK_ENTRIES", "CONSENT_TEXT", "ELISION", "EXAMPLES", "EXAMPLE_WORDS", "MACROS", "PNG_SIGNATURE",
    "QUESTION_WORDS", "SPEAKER", "SPEC_V2", "SPEC_V3", "V2_STRINGS", "V3_ONLY", "card_image", "card_v2",
    "card_v3", "character_book", "example_pairs", "mes_example", "parse_examples", "persona_from_card",
    "read_card", "slug_from_name", "to_v2", "trim_answer", "trim_question", "validate", "validate_v2",
    "validate_v3", "write_card",
]
