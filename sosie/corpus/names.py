"""Who a speaker label is: the subject (by name, alias, first or last name, a title before the
surname, ``A:``), a person the user named with ``--speaker``, or simply its own name.

>>> ada = Subject("Ada Okafor")
>>> ada.is_subject("Dr. OKAFOR"), ada.is_subject("A"), ada.is_subject("SPEAKER_01")
(True, True, False)
>>> ada.is_subject("QMS. OKAFOR"), ada.is_subject("Ben Okafor")
(True, False)
>>> Cast(ada, {"SPEAKER_01": "Ada Okafor"}).who("SPEAKER_01")
('Ada Okafor', 'subject')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from sosie.corpus.labels import is_machine_label

ANSWER_LABELS = {"a", "answer"}
TITLES = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "senator", "sen", "representative",
    "rep", "congressman", "congresswoman", "secretary", "ambassador", "general", "gen", "admiral",
    "judge", "justice", "governor", "gov", "chairman", "chairwoman", "mayor", "commissioner",
    "director", "dean", "president", "sir", "dame", "lord", "lady", "minister", "the", "baroness",
}

SLIP = re.compile(r"[A-Za-z]{1,3}\.[ \t]+(?P<surname>[\w'’\-]+)")


@lru_cache(maxsize=4096)
def normalise_name(label: str) -> str:
    """``"ROWAN_ADLER"``, ``"Rowan Adler:"`` and ``"rowan adler"`` are one name."""
    return " ".join(re.sub(r"[\W_]+", " ", label.lower()).split())


@lru_cache(maxsize=4096)
def bare_name(label: str) -> str:
    """``"Ms. DOE"`` -> ``"doe"``, ``"Mr. SMITH of Ohio"`` -> ``"smith"``: the name under the title."""
    words = normalise_name(label).split()
    if "of" in words[1:]:
        words = words[: words.index("of", 1)]
    while len(words) > 1 and words[0] in TITLES:
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class Subject:
    """Recognises the subject's labels: full name, aliases, first or last name, titles, ``A:``."""

    name: str
    aliases: tuple[str, ...] = ()
    _keys: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [self.name, *self.aliases]
        keys = {normalise_name(n) for n in names} | {bare_name(n) for n in names} | ANSWER_LABELS
        parts = bare_name(self.name).split()
        if len(parts) >= 2:
            keys |= {parts[0], parts[-1]}
        object.__setattr__(self, "_keys", frozenset(k for k in keys if k))

    def keys(self) -> set[str]:
        return set(self._keys)

    def is_subject(self, label: str) -> bool:
        if is_machine_label(label):  # SPEAKER_00 is nobody until --speaker says who
            return False
        if normalise_name(label) in self._keys or bare_name(label) in self._keys:
            return True
        # a publisher's slip before the surname: "S. PSAKI:", "QMS. PSAKI:" (a stray Q glued on)
        slip = SLIP.fullmatch(label.strip())
        return bool(slip) and normalise_name(slip["surname"]) in self._keys and len(slip["surname"]) > 3


class Cast:
    """Who a label is: the subject, a person named by ``--speaker``, or just its own name."""

    def __init__(self, subject: Subject, mapping: Mapping[str, str] | None):
        self.subject = subject
        self.mapping = {normalise_name(k): v for k, v in (mapping or {}).items()}
        for key, value in list(self.mapping.items()):  # "B" as the tool wrote it means "Speaker B"
            if re.fullmatch(r"[a-z]|\d+", key):
                self.mapping.setdefault(f"speaker {key}", value)
        self._who: dict[str, tuple[str, str]] = {}

    def who(self, label: str) -> tuple[str, str]:
        """``(speaker as cited, role)``."""
        if label not in self._who:
            self._who[label] = self._resolve(label)
        return self._who[label]

    def _resolve(self, label: str) -> tuple[str, str]:
        named = self.mapping.get(normalise_name(label))
        if named is not None:
            return named, "subject" if self.subject.is_subject(named) else "other"
        if self.subject.is_subject(label):
            if normalise_name(label) in ANSWER_LABELS:  # "A:" is the subject; cite them by name
                return self.subject.name, "subject"
            return label, "subject"
        return label, "other"

    def known(self, label: str) -> bool:
        return normalise_name(label) in self.mapping or self.subject.is_subject(label)
