"""Render one labelled dialogue in every transcript convention Sosie must read, with its truth.

Why: ingestion must give the subject only the subject's words, and pair each answer with the
question it answers, whatever convention a transcript uses. A dialogue whose true speakers we
know, written out as a Rev export, a congressional record, a deposition, WhisperX JSON or a
WebVTT file, lets a test or a benchmark check exactly that. ``tests/test_speaker_properties.py``
(hypothesis, exact turns) and ``bench/speakers.py`` (precision, recall, throughput) share it.

- :func:`make_dialogue` writes a dialogue with a sentence generator (templates over a few
  hundred words about work, cities, science, policy, family and craft). The sentences never
  contain a colon, a digit, an all-capitals word or a sentence-initial ``A``/``Q``, so nothing
  in the speech itself looks like a speaker label or a timestamp.
- :func:`render` writes a dialogue in convention 1-13, variant ``a``/``b``/``c``, and returns
  ``Rendered(filename, data, truth)``.
- :func:`ingest_rendered` and :func:`score` ingest one rendered file into a real Store and
  compare what was stored with the truth.

The truth of each subject turn's question is the last other-speaker turn containing ``?``
since the subject last spoke, else the last other turn; a first subject turn with no other
turn before it has none. In a talk written as Markdown sections (convention 10) sections
make no pairs; only labelled ``NAME: text`` lines under a section do.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

# -- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    title: str  # "Ms.", "Mr.", "Dr."
    job: str = ""  # what a talk's header calls them: "CEO", "Director of Research"

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    @classmethod
    def from_name(cls, name: str, title: str = "Dr.") -> Person:
        first, _, last = name.partition(" ")
        return cls(first, last or first, title)


SUBJECTS = [
    Person("Ada", "Okafor", "Ms.", "CEO"),
    Person("Maren", "Lindqvist", "Ms.", "Director of Research"),
    Person("Tomas", "Varga", "Mr.", "Chief Engineer"),
    Person("Priya", "Raman", "Dr.", "Founder"),
    Person("Joaquin", "Salas", "Mr.", "City Architect"),
    Person("Hana", "Sato", "Ms.", "Head of Policy"),
    Person("Idris", "Bello", "Dr.", "Lead Scientist"),
    Person("Colette", "Marchand", "Ms.", "Master Potter"),
    Person("Nadia", "Haddad", "Dr.", "Principal Investigator"),
    Person("Owen", "Pryce", "Mr.", "Union Organiser"),
]
OTHERS = [
    Person("Ben", "Ito", "Mr.", "Product Lead"),
    Person("Clara", "Jones", "Ms.", "Moderator"),
    Person("Marcus", "Smith", "Mr.", "Editor"),
    Person("Lena", "Fischer", "Ms.", "Programme Chair"),
    Person("Rafael", "Costa", "Mr.", "Economist"),
    Person("Grace", "Mbeki", "Ms.", "Reporter"),
    Person("Yusuf", "Demir", "Mr.", "Historian"),
    Person("Ines", "Moreau", "Ms.", "Curator"),
    Person("Petra", "Novak", "Ms.", "Host"),
    Person("Dev", "Kapoor", "Mr.", "Analyst"),
    Person("Sofia", "Lund", "Ms.", "Producer"),
    Person("Kwame", "Asante", "Mr.", "Planner"),
]

# -- the sentence generator ------------------------------------------------------------------

NOUNS = {
    "work": ["deadline", "budget", "meeting", "contract", "team", "night shift", "client", "project",
             "promotion", "workshop", "payroll", "spreadsheet", "warehouse", "startup", "office",
             "manager", "job interview", "schedule", "union", "pension"],
    "cities": ["tram line", "harbour", "market", "neighbourhood", "bridge", "library", "bus depot",
               "rooftop", "ferry", "avenue", "square", "bakery", "tower block", "river path",
               "station", "park", "corner shop", "bike lane", "courtyard", "old quarter"],
    "science": ["experiment", "telescope", "sample", "microscope", "hypothesis", "dataset",
                "laboratory", "vaccine", "fossil", "glacier", "reactor", "satellite", "algorithm",
                "enzyme", "coral reef", "seed bank", "weather model", "particle", "genome",
                "clinical trial"],
    "policy": ["housing plan", "tax credit", "zoning rule", "ballot", "council", "ministry",
               "subsidy", "border policy", "school board", "budget vote", "referendum",
               "pension reform", "transit levy", "public inquiry", "water charge", "tariff",
               "census", "planning permit", "grant scheme", "regulator"],
    "family": ["grandmother", "brother", "kitchen table", "wedding", "garden", "childhood home",
               "cousin", "holiday", "photo album", "summer house", "daughter", "uncle",
               "family recipe", "first bicycle", "bedtime story", "old car", "birthday",
               "neighbour", "village", "letter"],
    "craft": ["loom", "chisel", "pottery wheel", "kiln", "sourdough", "workbench", "quilt", "lathe",
              "glaze", "dovetail joint", "sketchbook", "sewing machine", "forge", "woodcut",
              "leather strap", "embroidery", "violin", "print press", "basket", "mosaic"],
}
ADJECTIVES = [
    "quiet", "stubborn", "decent", "fragile", "generous", "strange", "careful", "noisy", "patient",
    "clumsy", "brilliant", "awkward", "humble", "restless", "tiny", "enormous", "familiar", "lonely",
    "practical", "reckless", "gentle", "bitter", "hopeful", "modest", "crowded", "ancient", "fresh",
    "slow", "sudden", "subtle", "rough", "steady", "bright", "hidden", "local", "public", "private",
    "ordinary", "difficult", "simple", "elegant", "messy", "cheap", "expensive", "fair", "brave",
    "tired", "curious", "serious", "playful",
]
VERBS = [  # (base, third person, gerund)
    ("build", "builds", "building"), ("fix", "fixes", "fixing"), ("measure", "measures", "measuring"),
    ("teach", "teaches", "teaching"), ("share", "shares", "sharing"), ("protect", "protects", "protecting"),
    ("change", "changes", "changing"), ("question", "questions", "questioning"),
    ("plan", "plans", "planning"), ("repair", "repairs", "repairing"), ("fund", "funds", "funding"),
    ("explain", "explains", "explaining"), ("test", "tests", "testing"), ("sell", "sells", "selling"),
    ("cook", "cooks", "cooking"), ("paint", "paints", "painting"), ("carve", "carves", "carving"),
    ("grow", "grows", "growing"), ("map", "maps", "mapping"), ("design", "designs", "designing"),
    ("rebuild", "rebuilds", "rebuilding"), ("notice", "notices", "noticing"),
    ("trust", "trusts", "trusting"), ("organise", "organises", "organising"),
    ("visit", "visits", "visiting"), ("study", "studies", "studying"), ("record", "records", "recording"),
    ("weave", "weaves", "weaving"), ("bake", "bakes", "baking"), ("sketch", "sketches", "sketching"),
    ("defend", "defends", "defending"), ("simplify", "simplifies", "simplifying"),
    ("restore", "restores", "restoring"), ("publish", "publishes", "publishing"),
    ("improve", "improves", "improving"), ("describe", "describes", "describing"),
]
CITIES = ["Lisbon", "Nairobi", "Osaka", "Toronto", "Glasgow", "Valparaiso", "Tbilisi", "Hanoi", "Porto",
          "Accra", "Montreal", "Krakow", "Medellin", "Dakar", "Busan", "Tampere", "Bologna"]
PEOPLE = ["young engineers", "my students", "the neighbours", "new parents", "city planners",
          "first-time founders", "our apprentices", "retired teachers", "the volunteers",
          "local farmers", "nurses on night shifts", "shop owners", "the politicians",
          "the younger crew", "our readers", "bus drivers"]
TIMES = ["Back then", "Every winter", "For years", "In those days", "Last spring", "On weekends",
         "During the long strike", "When the money ran out", "Before dawn", "After the flood",
         "That first summer"]
DURATIONS = ["three years", "a whole summer", "most of a decade", "six long months", "two winters",
             "a few weeks", "the better part of a year", "nearly forty days"]
PERIODS = ["morning", "week", "season", "month", "Sunday", "autumn", "payday"]
RELATIVES = ["grandmother", "father", "aunt", "older sister", "mentor", "first boss", "grandfather"]
OPENERS = ["Honestly,", "Look,", "To be fair,", "In a way,", "Mostly,", "Funny enough,", "For me,",
           "Sure,", "Well,", "You know,", "Truthfully,"]
ADVERBS = ["slowly", "quietly", "steadily", "faster than we hoped", "almost by accident", "every year"]

SUBJECT_TEMPLATES = [
    "I think {np} {verb_s} more than people admit.",
    "When I was younger, {np} felt {adj} to me.",
    "We spent {duration} {verb_ing} {np}, and it taught us patience.",
    "{opener} the {adj} part of {np} is {verb_ing} {np2}.",
    "My {relative} used to say that {np} is {adj} work.",
    "You cannot {verb} {np} without {verb_ing2} {np2} first.",
    "There is {a_adj} {noun} in {city} that still {verb_s} {np2}.",
    "The trouble with {np} is that nobody {verb_s} {np2} anymore.",
    "So we started {verb_ing} {np} every {period}.",
    "That changed how I think about {np}.",
    "If you ask me, {np} will {verb} {np2} within {duration}.",
    "People forget that {np} needs {np2}.",
    "I learned more from {np} than from any {noun}.",
    "It was {adj}, and a little {adj2}, to be honest.",
    "We kept {verb_ing} {np} until it finally made sense.",
    "{time}, {np} was the only thing anyone in {city} talked about.",
    "I would not call {np} {adj}, but it is certainly {adj2}.",
    "{opener} I still {verb} {np} the way my {relative} showed me.",
    "Plenty of {people} never get to {verb} {np}.",
    "The first time I saw {np}, I wanted to {verb} it.",
    "Nobody planned it, we just kept {verb_ing} {np} and {verb_ing2} {np2}.",
    "In {city} we had {np}, and it was {adj} in the best way.",
    "Why does that matter? Because {np} {verb_s} {np2}.",
    "What I tell {people} is simple, {verb} {np} before you {verb2} {np2}.",
    "{opener} {np} is {a_adj} thing to get right.",
    "Some days {np} felt {adj}, other days it felt {adj2}.",
    "It took {duration} before {people} began to {verb} {np}.",
    "I am not sure {np} was ever meant to {verb} {np2}.",
    "Every {period} we would {verb} {np} together.",
    "That is why {np} matters to me.",
    "And honestly, {np} is still {adj}.",
    "The money was small, but {np} grew {adverb}.",
    "{time}, my {relative} would {verb} {np} while we watched.",
    "There were {people} who thought {np} was {adj}, and they were not wrong.",
]
QUESTION_TEMPLATES = [
    "What drew you to {np}?",
    "How do you explain {np} to {people}?",
    "Why does {np} matter so much to you?",
    "Do you still {verb} {np}?",
    "Where did {np} go wrong, in your view?",
    "What would you tell {people} who want to {verb} {np}?",
    "Can you walk us through {np}?",
    "How did {np} change after you moved to {city}?",
    "Is {np} really as {adj} as it sounds?",
    "What was {time_lower} like for you?",
    "Who taught you to {verb} {np}?",
    "And what happened to {np} after that?",
    "Would you ever {verb} {np} again?",
    "How long did it take to {verb} {np}?",
    "What surprised you most about {np}?",
    "So was it {adj} or just {adj2}?",
]
REMARK_TEMPLATES = [
    "That is {a_adj} way to put it.",
    "I remember reading about {np} years ago.",
    "Thank you for being here.",
    "Let me add one thing about {np}.",
    "Our listeners wrote in about {np} last week.",
    "Fair enough.",
    "That makes sense.",
    "We only have a few minutes left.",
    "I grew up near {np} myself, in {city}.",
    "My {relative} would agree with you on that.",
    "That is {adj}, I had no idea.",
    "Thank you, {subject_first}.",
]
HEARING_QUESTIONS = [
    "Can you tell the committee how {np} affects {people}?",
    "Has your office reviewed {np}?",
    "What would it cost to {verb} {np}?",
    "Do you believe {np} is {adj}?",
    "Why has nobody tried to {verb} {np} before now?",
    "How many of {people} depend on {np}?",
]
HEARING_REMARKS = [
    "The committee will come to order.",
    "Thank you, {subject_title} {subject_last}.",
    "Without objection, your full statement will be made part of the record.",
    "My time has expired.",
    "I yield back.",
    "The chair recognises the senator from the west.",
]
DEPOSITION_QUESTIONS = [
    "Did you review {np} before the meeting?",
    "When did you first learn about {np}?",
    "Who else was responsible for {np}?",
    "Were you aware of {np} at the time?",
    "Is it fair to say that {np} was {adj}?",
    "And what did you do next?",
    "Did anyone ask you to {verb} {np}?",
]
DEPOSITION_REMARKS = ["Let me show you the next document.", "Take your time.", "Let us move on."]
DEPOSITION_OPENERS = ["Yes.", "No.", "I do not recall.", "That is correct.", "Not that I remember.",
                      "I believe so."]
OBJECTIONS = ["Objection to form.", "Objection, calls for speculation.", "Objection, asked and answered.",
              "I will note my objection for the record.", "Objection, vague."]
TALK_TOPICS = ["Opening remarks", "The new tools", "What the data says", "Funding and the road ahead",
               "Lessons from the workshop", "Where we go next", "Closing thoughts", "The pilot year",
               "Building with neighbours", "A short history"]
NAMELESS_HEADERS = ["Questions", "Discussion", "Part two", "Notes", "Break"]
TITLES = ["The Long Table", "Harbour Forum", "Notes on Making Things", "Field Recordings",
          "Conversations at the Old Mill", "Night Shift Radio", "The Workshop Hour", "City Desk Weekly"]

UNSAFE = re.compile(r"[:\d]|\b[A-Z]{2,}\b|(?:^|[.?!]\s+)[AQ]\b")


class Speech:
    """Utterances that read like speech: answers of several sentences, questions, remarks."""

    def __init__(self, rng: random.Random, subject: Person):
        self.rng = rng
        self.subject = subject

    def _fill(self, template: str) -> str:
        r = self.rng
        topic = r.choice(list(NOUNS))

        def noun() -> str:
            return r.choice(NOUNS[topic] if r.random() < 0.7 else NOUNS[r.choice(list(NOUNS))])

        def np() -> str:
            det = r.choice(["the", "our", "that", "this", "every", "my", "their", "the"])
            return f"{det} {r.choice(ADJECTIVES)} {noun()}" if r.random() < 0.4 else f"{det} {noun()}"

        verb, verb2, verb3 = r.sample(VERBS, 3)
        adj, adj2 = r.sample(ADJECTIVES, 2)
        a_adj = r.choice(ADJECTIVES)
        time = r.choice(TIMES)
        values = {
            "np": np(), "np2": np(), "noun": noun(), "adj": adj, "adj2": adj2,
            "a_adj": ("an " if a_adj[0] in "aeiou" else "a ") + a_adj,
            "verb": verb[0], "verb2": verb2[0], "verb_s": verb[1], "verb_ing": verb[2],
            "verb_ing2": verb3[2], "city": r.choice(CITIES), "time": time,
            "time_lower": time[0].lower() + time[1:], "duration": r.choice(DURATIONS),
            "period": r.choice(PERIODS), "relative": r.choice(RELATIVES), "people": r.choice(PEOPLE),
            "opener": r.choice(OPENERS), "adverb": r.choice(ADVERBS),
            "subject_first": self.subject.first, "subject_last": self.subject.last,
            "subject_title": self.subject.title,
        }
        text = template.format(**values)
        text = text[0].upper() + text[1:]
        assert not UNSAFE.search(text.replace(self.subject.title, "")), text
        return text

    def sentences(self, n: int) -> list[str]:
        return [self._fill(self.rng.choice(SUBJECT_TEMPLATES)) for _ in range(n)]

    def paragraphs(self, low: int, high: int, max_paragraphs: int) -> tuple[str, ...]:
        """``low``-``high`` sentences in 1-``max_paragraphs`` paragraphs."""
        sentences = self.sentences(self.rng.randint(low, high))
        n = min(len(sentences), self.rng.randint(1, max_paragraphs))
        cuts = sorted(self.rng.sample(range(1, len(sentences)), n - 1)) if n > 1 else []
        bounds = [0, *cuts, len(sentences)]
        return tuple(" ".join(sentences[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))

    def question(self, templates: Sequence[str] = QUESTION_TEMPLATES) -> str:
        return self._fill(self.rng.choice(templates))

    def remark(self, templates: Sequence[str] = REMARK_TEMPLATES) -> str:
        return self._fill(self.rng.choice(templates))

    def other_turn(self, kind: str, role_index: int) -> str:
        """What someone other than the subject says; ``role_index`` 0 is the interviewer/chair."""
        r = self.rng.random()
        if kind == "deposition":
            if role_index >= 1:
                return self.rng.choice(OBJECTIONS)
            if r < 0.12:
                return self.rng.choice(DEPOSITION_REMARKS)
            return self.question(DEPOSITION_QUESTIONS)
        if kind == "hearing":
            if r < 0.2:
                return self.remark(HEARING_REMARKS)
            if r < 0.45:
                return f"{self.remark(HEARING_REMARKS)} {self.question(HEARING_QUESTIONS)}"
            return self.question(HEARING_QUESTIONS + QUESTION_TEMPLATES)
        if r < 0.22:
            return self.remark()
        if r < 0.45:
            return f"{self.remark()} {self.question()}"
        if r < 0.55:
            return f"{self.question()} {self.sentences(1)[0]}"  # a question, then a statement
        return self.question()

    def subject_turn(self, kind: str) -> tuple[str, ...]:
        if kind == "deposition":
            opener = self.rng.choice(DEPOSITION_OPENERS)
            more = self.sentences(self.rng.randint(0, 2))
            return (" ".join([opener, *more]),)
        if kind == "talk":
            return self.paragraphs(3, 8, 3)
        return self.paragraphs(2, 7, 2)


# -- dialogues -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Utterance:
    speaker: Person
    role: str  # "subject" or "other"
    paragraphs: tuple[str, ...]
    start: float  # seconds from the start of the recording
    end: float
    section: bool = True  # in a talk (convention 10): a presented section, not a Q&A line

    @property
    def text(self) -> str:
        return " ".join(self.paragraphs)


@dataclass(frozen=True)
class Dialogue:
    subject: Person
    others: tuple[Person, ...]
    utterances: tuple[Utterance, ...]
    kind: str = "interview"  # interview, hearing, deposition, talk
    title: str = "The Long Table"
    date: dt.date = dt.date(2025, 5, 8)
    seed: int = 0

    def index(self, person: Person) -> int:
        """0 for the subject, 1.. for the others in order."""
        return 0 if person == self.subject else 1 + self.others.index(person)

    @property
    def words(self) -> int:
        return sum(len(u.text.split()) for u in self.utterances)


KIND_OF = {8: "hearing", 9: "deposition", 10: "talk"}


def pick_people(rng: random.Random, n_others: int) -> tuple[Person, tuple[Person, ...]]:
    subject = rng.choice(SUBJECTS)
    others = tuple(rng.sample(OTHERS, n_others))
    return subject, others


def assemble(
    subject: Person, others: Sequence[Person], order: Sequence[int], seeds: Sequence[int],
    kind: str = "interview", gaps: Sequence[float] | None = None, title: str = "The Long Table",
    date: dt.date = dt.date(2025, 5, 8), seed: int = 0, qa_tail: int = 0,
) -> Dialogue:
    """A dialogue from its shape: ``order[i]`` is 0 for the subject, k for ``others[k-1]``;
    ``seeds[i]`` makes utterance i's words, ``gaps[i]`` the silence before it (seconds). In a talk
    the last ``qa_tail`` utterances are a Q&A (interview lines), not presented sections."""
    utterances: list[Utterance] = []
    clock = 0.0
    for i, (who, text_seed) in enumerate(zip(order, seeds, strict=True)):
        speech = Speech(random.Random(text_seed), subject)
        in_tail = kind == "talk" and i >= len(order) - qa_tail
        line_kind = "interview" if in_tail else kind
        if who == 0:
            paragraphs = speech.subject_turn(line_kind)
        elif kind == "talk" and not in_tail:
            paragraphs = speech.subject_turn("talk")  # co-presenters present too
        else:
            paragraphs = (speech.other_turn(line_kind, who - 1),)
        clock += gaps[i] if gaps is not None else 0.5
        words = sum(len(p.split()) for p in paragraphs)
        start, end = clock, clock + words / 2.6 + 0.4
        clock = end
        person = subject if who == 0 else others[who - 1]
        utterances.append(Utterance(person, "subject" if who == 0 else "other", paragraphs,
                                    round(start, 2), round(end, 2), section=not in_tail))
    return Dialogue(subject, tuple(others), tuple(utterances), kind, title, date, seed)


def speaker_order(rng: random.Random, n_others: int, n_turns: int, kind: str) -> list[int]:
    """Who speaks when (0 the subject, k ``others[k-1]``): never the same person twice running;
    mostly other, subject, other... In a deposition 1 examines, 2 (if any) now and then objects."""
    order: list[int] = []
    for i in range(n_turns):
        last = order[-1] if order else None
        if kind == "deposition":
            if last in (None, 0):
                order.append(1)
            elif last == 1 and n_others >= 2 and rng.random() < 0.2:
                order.append(2)
            else:
                order.append(0)
        elif i == 0:
            order.append(0 if rng.random() < 0.2 else 1)
        elif last != 0 and (n_others == 1 or rng.random() < 0.72):
            order.append(0)
        else:
            order.append(rng.choice([k for k in range(1, n_others + 1) if k != last]))
    return order


def make_dialogue(rng: random.Random, kind: str = "interview", words: int = 500,
                  n_others: int | None = None) -> Dialogue:
    """A dialogue of about ``words`` words (it stops at the first turn past the target). A talk
    ends with a short Q&A: an audience question and the subject's answer, twice."""
    if n_others is None:
        n_others = rng.choice([1, 1, 2, 2, 3]) if kind != "deposition" else rng.choice([1, 2])
    subject, others = pick_people(rng, n_others)
    order = speaker_order(rng, n_others, 400, kind)
    seeds = [rng.randrange(2**31) for _ in order]
    gaps = [round(rng.uniform(0.2, 2.0), 2) for _ in order]
    title, date = rng.choice(TITLES), dt.date(2025, rng.randint(1, 12), rng.randint(1, 28))
    seed = rng.randrange(2**31)
    qa_tail = 4 if kind == "talk" else 0
    draft = assemble(subject, others, order, seeds, kind, gaps, title, date, seed)
    total, n = 0, 0
    for u in draft.utterances:
        total += len(u.text.split())
        n += 1
        if total >= words * (0.85 if qa_tail else 1) and 0 in order[:n]:
            break
    if qa_tail:
        asker = rng.randint(1, n_others)
        order = [*order[:n], asker, 0, asker, 0]
    return assemble(subject, others, order[: n + qa_tail], seeds[: n + qa_tail], kind,
                    gaps[: n + qa_tail], title, date, seed, qa_tail=qa_tail)


# -- truth -----------------------------------------------------------------------------------


def normalise(text: str) -> str:
    return " ".join(text.split())


TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


@dataclass(frozen=True)
class TrueTurn:
    speaker: str  # the label as written, or the person's name
    role: str
    text: str  # whitespace-normalised
    pairs: bool = True  # False: a talk's section, which answers no question


def true_qa(turns: Sequence[TrueTurn]) -> list[tuple[str | None, str]]:
    """(question or None, answer) for every subject turn, in order."""
    out: list[tuple[str | None, str]] = []
    since: list[TrueTurn] = []
    for turn in turns:
        if turn.role == "other":
            if turn.pairs:
                since.append(turn)
            continue
        if not turn.pairs:
            out.append((None, turn.text))
        else:
            asking = [t for t in since if "?" in t.text]
            candidates = asking or since
            out.append((candidates[-1].text if candidates else None, turn.text))
        since = []
    return out


@dataclass
class Truth:
    convention: int
    variant: str
    subject: str  # the name to build ``Subject(name=...)`` from
    speakers: dict[str, str]  # the label -> person mapping to pass to ingest (diarised formats)
    turns: list[TrueTurn]
    aliases: tuple[str, ...] = ()

    @property
    def case(self) -> str:
        return f"{self.convention}{self.variant}"

    @property
    def subject_turns(self) -> list[str]:
        return [t.text for t in self.turns if t.role == "subject"]

    @property
    def qa(self) -> list[tuple[str | None, str]]:
        return true_qa(self.turns)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [(q, a) for q, a in self.qa if q is not None]

    @property
    def words(self) -> int:
        return sum(len(t.text.split()) for t in self.turns)


class Rendered(NamedTuple):
    filename: str
    data: bytes
    truth: Truth


# -- rendering helpers -----------------------------------------------------------------------


def hms(t: float) -> str:
    s = int(t)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def mmss(t: float) -> str:
    s = int(t)
    return f"{s // 60:02d}:{s % 60:02d}"


def hmmss(t: float) -> str:
    s = int(t)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def otter(t: float) -> str:
    s = int(t)
    return hmmss(t) if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def cue_time(t: float, comma: bool = False) -> str:
    ms = int(round(t * 1000))
    text = f"{ms // 3600000:02d}:{ms % 3600000 // 60000:02d}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"
    return text.replace(".", ",") if comma else text


def header(d: Dialogue, style: str) -> str:
    """A realistic header block (title and date), nobody's words; ``""`` for none."""
    long = f"{d.date:%B} {d.date.day}, {d.date.year}"
    if style == "plain":
        return f"{d.title}\nDate: {d.date.isoformat()}\n\n"
    if style == "md":
        return f"# {d.title}\n\n**Date:** {long}\n\n"
    if style == "recorded":
        return f"{d.title}\nRecorded: {d.date.day} {d.date:%B} {d.date.year}\n\n"
    return ""


def _turns(d: Dialogue, label: Callable[[Utterance], str]) -> list[TrueTurn]:
    return [TrueTurn(label(u).strip(), u.role, normalise(u.text)) for u in d.utterances]


def _inline(d: Dialogue, head: str, label: Callable[[Utterance], str], sep: str = "\n\n",
            multi: bool = True) -> tuple[str, list[TrueTurn]]:
    """One turn per utterance, the label and the first paragraph on one line."""
    blocks = []
    for u in d.utterances:
        paragraphs = u.paragraphs if multi else (u.text,)
        blocks.append(sep.join([label(u) + paragraphs[0], *paragraphs[1:]]))
    return head + sep.join(blocks) + "\n", _turns(d, label)


def _alone(d: Dialogue, head: str, label: Callable[[Utterance], str], multi: bool = True,
           body: Callable[[str], str] = lambda p: p) -> tuple[str, list[TrueTurn]]:
    """The label alone on its line, the text on the next lines, a blank line between turns."""
    blocks = []
    for u in d.utterances:
        paragraphs = u.paragraphs if multi else (u.text,)
        blocks.append(label(u) + "\n" + "\n\n".join(body(p) for p in paragraphs))
    return head + "\n\n".join(blocks) + "\n", _turns(d, label)


def _wrap(text: str, width: int, first: str, rest: str) -> str:
    """Wrap so that no continuation line starts with a lone letter (it could pass for ``A.``)."""
    for w in range(width, width - 12, -1):
        # never at a hyphen: "first-\ntime" reads back as "first- time", which nobody wrote
        lines = textwrap.wrap(text, w, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)
        if not any(re.match(r"\s*[AaQqIi]\b", line) for line in lines[1:]):
            return "\n".join(lines)
    return "\n".join(textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                                   break_on_hyphens=False))


def _name(d: Dialogue, style: str) -> Callable[[Utterance], str]:
    """Labels from names: full, upper, first, last_upper; others[0] may go by a role."""

    def label(u: Utterance) -> str:
        p = u.speaker
        if style == "full":
            return p.full
        if style == "upper":
            return p.full.upper()
        if style == "upper_role":
            return "INTERVIEWER" if u.role == "other" and d.others.index(p) == 0 else p.full.upper()
        if style == "first":
            return p.first
        if style == "last_upper_host":
            return "HOST" if u.role == "other" and d.others.index(p) == 0 else p.last.upper()
        raise ValueError(style)

    return label


def _shifted(d: Dialogue, offset: float) -> Dialogue:
    """The same dialogue ``offset`` seconds later (a recording that starts past an hour)."""
    moved = tuple(Utterance(u.speaker, u.role, u.paragraphs, u.start + offset, u.end + offset, u.section)
                  for u in d.utterances)
    return Dialogue(d.subject, d.others, moved, d.kind, d.title, d.date, d.seed)


# -- conventions 1-10: text files ------------------------------------------------------------
Out = tuple[str, str | bytes, list[TrueTurn], dict[str, str]]  # suffix, content, turns, speakers


def c01(d: Dialogue, v: str) -> Out:
    if v == "a":
        text, turns = _inline(d, header(d, "plain"), lambda u: f"{u.speaker.full}: ")
        return ".txt", text, turns, {}
    if v == "b":
        name = _name(d, "upper_role")
        text, turns = _inline(d, "", lambda u: f"{name(u)}: ", sep="\n")
        return ".txt", text, turns, {}
    text, turns = _inline(d, header(d, "md"), lambda u: "A: " if u.role == "subject" else "Q: ", multi=False)
    return ".md", text, turns, {}


def c02(d: Dialogue, v: str) -> Out:
    if v == "a":
        text, turns = _inline(d, header(d, "md"), lambda u: f"**{u.speaker.full}:** ")
    elif v == "b":
        text, turns = _inline(d, header(d, "recorded"), lambda u: f"**{u.speaker.full}**: ")
    else:
        text, turns = _inline(d, "", lambda u: f"**{u.speaker.first}:** ")
    return ".md", text, turns, {}


def c03(d: Dialogue, v: str) -> Out:
    if v == "a":
        return (".txt", *_inline(d, header(d, "plain"), lambda u: f"{u.speaker.full} ({hms(u.start)}): "), {})
    if v == "b":
        return (".txt", *_inline(d, "", lambda u: f"{u.speaker.full} ({mmss(u.start)}): ", sep="\n"), {})
    d = _shifted(d, 3600 + 17)
    return (".md", *_inline(d, header(d, "md"), lambda u: f"**{u.speaker.full}** ({hmmss(u.start)}): "), {})


def c04(d: Dialogue, v: str) -> Out:
    if v == "a":
        return (".txt", *_inline(d, header(d, "plain"), lambda u: f"[{hms(u.start)}] {u.speaker.full}: "), {})
    if v == "b":
        return (".md", *_inline(d, header(d, "md"),
                                lambda u: f"[{mmss(u.start)}] **{u.speaker.full}:** "), {})
    return (".txt", *_inline(d, header(d, "recorded"),
                             lambda u: f"({hms(u.start)}) {u.speaker.full.upper()}: ", sep="\n"), {})


def c05(d: Dialogue, v: str) -> Out:
    if v == "a":
        return (".txt", *_inline(d, "", lambda u: f"{u.speaker.full} [{hms(u.start)}]: "), {})
    if v == "b":
        return (".txt", *_inline(d, header(d, "plain"),
                                 lambda u: f"{u.speaker.full} [{mmss(u.start)}]: "), {})
    d = _shifted(d, 3600 + 4)
    return (".md", *_inline(d, header(d, "md"), lambda u: f"{u.speaker.full} [{hmmss(u.start)}]: "), {})


def c06(d: Dialogue, v: str) -> Out:
    if v == "a":  # Rev
        return (".txt", *_alone(d, "", lambda u: f"{u.speaker.full} ({hms(u.start)}):", multi=False), {})
    if v == "b":  # Otter: m:ss, then h:mm:ss past the hour
        d = _shifted(d, 3600 - 60)
        return (".txt", *_alone(d, "", lambda u: f"{u.speaker.full}  {otter(u.start)}", multi=False), {})
    return (".md", *_alone(d, header(d, "md"), lambda u: f"{u.speaker.full}:", multi=False), {})


def c07(d: Dialogue, v: str) -> Out:
    if v == "a":  # a news transcript
        return (".txt", *_alone(d, header(d, "plain"), _name(d, "upper")), {})
    if v == "b":  # a screenplay
        name = _name(d, "upper")
        return (".txt", *_alone(d, "", lambda u: " " * 20 + name(u), multi=False,
                                body=lambda p: _wrap(p, 45, " " * 10, " " * 10)), {})
    return (".txt", *_alone(d, header(d, "recorded"), _name(d, "last_upper_host")), {})


def c08(d: Dialogue, v: str) -> Out:
    """Congressional records: ``The CHAIRMAN.``, ``Senator JONES.``, ``Ms. OKAFOR.``."""

    def label(u: Utterance) -> str:
        p = u.speaker
        if u.role == "subject":
            return f"{p.title if v == 'a' else 'Dr.'} {p.last.upper()}."
        if d.others.index(p) == 0 and v != "b":
            return "The CHAIRMAN." if v == "a" else "The CHAIRWOMAN."
        return f"Senator {p.last.upper()}." if v == "a" else f"{p.title} {p.last.upper()}."

    indent = {"a": "    ", "b": "", "c": "  "}[v]
    head = {"a": header(d, "plain"), "b": "", "c": header(d, "plain")}[v]
    blocks, stated = [], False
    for u in d.utterances:
        if v == "c" and u.role == "subject" and not stated:
            s = d.subject
            blocks.append(f"STATEMENT OF {s.full.upper()}, {s.job.upper()}, HARBOUR INSTITUTE")
            stated = True
        first, *rest = u.paragraphs
        blocks.append("\n\n".join([f"{indent}{label(u)} {first}", *(indent + p for p in rest)]))
    return ".txt", head + "\n\n".join(blocks) + "\n", _turns(d, label), {}


def c09(d: Dialogue, v: str) -> Out:
    """Depositions: ``Q.`` the examiner, ``A.`` the witness (the subject)."""
    examiner = d.others[0]
    objector = d.others[1] if len(d.others) > 1 else None

    def label(u: Utterance) -> str:
        if u.role == "subject":
            return "A."
        if v == "c" and u.speaker == objector:
            return f"{u.speaker.title.upper()} {u.speaker.last.upper()}:"
        return "Q."

    lines = []
    if v == "b":
        lines.append(f"DEPOSITION OF {d.subject.full.upper()}\n")
    if v == "c":
        lines.append(f"EXAMINATION\n\nBY {examiner.title.upper()} {examiner.last.upper()}:\n")
    for u in d.utterances:
        if v == "b":
            lines.append(_wrap(u.text, 64, f"     {label(u)}   ", "     "))
        else:
            lines.append(f"{label(u)}  {u.text}")
    return ".txt", "\n".join(lines) + "\n", _turns(d, label), {}


def c10(d: Dialogue, v: str) -> Out:
    """A talk as Markdown sections; a header naming nobody keeps the current speaker."""
    rng = random.Random(d.seed)
    topics = rng.sample(TALK_TOPICS, len(TALK_TOPICS))
    blocks = [f"# {d.title}\n\n" + ("**Date:** " + f"{d.date:%B} {d.date.day}, {d.date.year}"
                                     if v != "b" else f"Date: {d.date.isoformat()}")]
    turns: list[TrueTurn] = []
    sections = [u for u in d.utterances if u.section or v != "c"]
    tail = [u for u in d.utterances if not u.section and v == "c"]
    for i, u in enumerate(sections):
        p = u.speaker
        topic = topics[i % len(topics)]
        if v == "a":
            head = f"## {topic} - {p.full}"
        elif v == "b":
            head = f"## {p.full}: {topic[0].lower() + topic[1:]}"
        else:
            head = f"### {p.full}, {p.job}"
        parts = [u.paragraphs]
        if len(u.paragraphs) >= 2 and rng.random() < 0.5:  # split by a header that names nobody
            cut = rng.randint(1, len(u.paragraphs) - 1)
            parts = [u.paragraphs[:cut], u.paragraphs[cut:]]
        blocks.append(head + "\n\n" + "\n\n".join(parts[0]))
        turns.append(TrueTurn(p.full, u.role, normalise(" ".join(parts[0])), pairs=False))
        if len(parts) == 2:
            hashes = "###" if v == "c" else "##"
            blocks.append(f"{hashes} {rng.choice(NAMELESS_HEADERS)}\n\n" + "\n\n".join(parts[1]))
            turns.append(TrueTurn(p.full, u.role, normalise(" ".join(parts[1])), pairs=False))
    if tail:
        blocks.append("## Questions\n\n" + "\n\n".join(f"{u.speaker.full}: {u.text}" for u in tail))
        turns += [TrueTurn(u.speaker.full, u.role, normalise(u.text)) for u in tail]
    return ".md", "\n\n".join(blocks) + "\n", turns, {}


# -- conventions 11-13: diarised JSON and subtitles ------------------------------------------


def machine_labels(d: Dialogue, subject_index: int, style: str = "SPEAKER_{:02d}") -> dict[Person, str]:
    """Labels for everybody, the subject at ``subject_index`` (clamped), the others in order."""
    people = list(d.others)
    people.insert(min(subject_index, len(people)), d.subject)
    if style == "letters":
        return {p: "ABCDEFGH"[i] for i, p in enumerate(people)}
    return {p: style.format(i) for i, p in enumerate(people)}


def _pieces(u: Utterance, max_words: int, rng: random.Random) -> list[tuple[str, float, float]]:
    """An utterance cut into segments/cues: (text, start, end), times spread by word count."""
    words = u.text.split()
    pieces, i = [], 0
    while i < len(words):
        n = rng.randint(max(3, max_words // 2), max_words)
        pieces.append(words[i : i + n])
        i += n
    out, clock, per_word = [], u.start, (u.end - u.start) / max(len(words), 1)
    for piece in pieces:
        start, clock = clock, clock + per_word * len(piece)
        out.append((" ".join(piece), round(start, 3), round(clock, 3)))
    return out


def _words(text: str, start: float, end: float) -> list[tuple[str, float, float]]:
    words = text.split()
    step = (end - start) / max(len(words), 1)
    return [(w, round(start + i * step, 3), round(start + (i + 1) * step, 3)) for i, w in enumerate(words)]


def _mapping(d: Dialogue, labels: dict[Person, str], everyone: bool) -> dict[str, str]:
    return {labels[p]: p.full for p in labels if everyone or p == d.subject}


def c11(d: Dialogue, v: str) -> Out:
    """WhisperX / faster-whisper segments with diarised ``speaker`` labels."""
    rng = random.Random(d.seed + 11)
    labels = machine_labels(d, {"a": 1, "b": 0, "c": 2}[v])
    segments: list[dict] = []
    for u in d.utterances:
        for text, start, end in _pieces(u, 14, rng):
            seg: dict = {"start": start, "end": end, "text": " " + text, "speaker": labels[u.speaker]}
            if v == "b":
                seg = {"id": len(segments), "seek": int(start * 100), **seg,
                       "avg_logprob": round(-rng.uniform(0.1, 0.6), 3),
                       "words": [{"word": " " + w, "start": s, "end": e, "probability": 0.93,
                                  "speaker": labels[u.speaker]} for w, s, e in _words(text, start, end)]}
            segments.append(seg)
    if v == "a":
        doc: dict = {"segments": segments, "word_segments": [
            {"word": w, "start": s, "end": e, "score": 0.9, "speaker": seg["speaker"]}
            for seg in segments for w, s, e in _words(seg["text"], seg["start"], seg["end"])]}
    elif v == "b":
        doc = {"language": "en", "duration": d.utterances[-1].end, "segments": segments}
    else:
        doc = {"segments": segments}
    return ".json", json.dumps(doc, ensure_ascii=False, indent=1 if v == "c" else None), \
        _turns(d, lambda u: labels[u.speaker]), _mapping(d, labels, everyone=v != "a")


def c12(d: Dialogue, v: str) -> Out:
    """AssemblyAI utterances: machine labels A, B, C (``A`` is not the deposition answer)."""
    labels = machine_labels(d, {"a": 1, "b": 0, "c": 9}[v], style="letters")

    def ms(t: float) -> int:
        return int(round(t * 1000))

    utterances = []
    for u in d.utterances:
        item: dict = {"speaker": labels[u.speaker], "start": ms(u.start), "end": ms(u.end),
                      "text": normalise(u.text), "confidence": 0.91}
        if v != "a":
            item["words"] = [{"text": w, "start": ms(s), "end": ms(e), "confidence": 0.9,
                              "speaker": labels[u.speaker]} for w, s, e in _words(u.text, u.start, u.end)]
        utterances.append(item)
    if v == "b":  # the whole response: the full text and every word come before the utterances
        doc: dict = {"id": f"tr_{d.seed:x}", "status": "completed",
                     "text": " ".join(normalise(u.text) for u in d.utterances),
                     "words": [w for item in utterances for w in item["words"]],
                     "utterances": utterances, "audio_duration": int(d.utterances[-1].end)}
    else:
        doc = {"utterances": utterances}
    return ".json", json.dumps(doc, ensure_ascii=False), _turns(d, lambda u: labels[u.speaker]), \
        _mapping(d, labels, everyone=v == "c")


def c13(d: Dialogue, v: str) -> Out:
    """Subtitles from a diarising transcriber: ``SPEAKER_00:`` / ``[SPEAKER_00]:`` / ``<v ...>``."""
    rng = random.Random(d.seed + 13)
    labels = machine_labels(d, {"a": 1, "b": 0, "c": 1}[v])
    cues = []
    for u in d.utterances:
        for text, start, end in _pieces(u, 10, rng):
            cues.append((labels[u.speaker], text, start, end))
    if v == "b":
        body = "".join(f"{i}\n{cue_time(s, True)} --> {cue_time(e, True)}\n[{who}]: {text}\n\n"
                       for i, (who, text, s, e) in enumerate(cues, start=1))
        suffix = ".srt"
    else:
        line = (lambda who, text: f"{who}: {text}") if v == "a" else (lambda who, text: f"<v {who}>{text}")
        body = "WEBVTT\n\n" + "".join(f"{cue_time(s)} --> {cue_time(e)}\n{line(who, text)}\n\n"
                                      for who, text, s, e in cues)
        suffix = ".vtt"
    return suffix, body, _turns(d, lambda u: labels[u.speaker]), _mapping(d, labels, everyone=v == "c")


# -- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Convention:
    number: int
    name: str
    render: Callable[[Dialogue, str], Out]
    variants: dict[str, str] = field(default_factory=dict)


CONVENTIONS: dict[int, Convention] = {c.number: c for c in [
    Convention(1, "NAME: text", c01, {"a": "Ada Okafor: (.txt, Date: header)",
                                      "b": "ADA OKAFOR: / INTERVIEWER:", "c": "Q: / A: (.md)"}),
    Convention(2, "**NAME:** text", c02, {"a": "**Ada Okafor:**", "b": "**Ada Okafor**:",
                                          "c": "**Ada:** first names"}),
    Convention(3, "NAME (00:01:23): text", c03, {"a": "(hh:mm:ss)", "b": "(mm:ss)",
                                                 "c": "**NAME** (h:mm:ss) .md"}),
    Convention(4, "[00:01:23] NAME: text", c04, {"a": "[hh:mm:ss] NAME:", "b": "[mm:ss] **NAME:** .md",
                                                 "c": "(hh:mm:ss) UPPER NAME:"}),
    Convention(5, "NAME [00:01:23]: text", c05, {"a": "[hh:mm:ss]", "b": "[mm:ss]", "c": "[h:mm:ss] .md"}),
    Convention(6, "label line, text below", c06, {"a": "Rev NAME (hh:mm:ss):", "b": "Otter NAME  m:ss",
                                                  "c": "NAME: alone .md"}),
    Convention(7, "ALL-CAPS name line", c07, {"a": "news", "b": "screenplay", "c": "LASTNAME / HOST"}),
    Convention(8, "congressional record", c08, {"a": "Senate, The CHAIRMAN.", "b": "House, Mr. SMITH.",
                                                "c": "The CHAIRWOMAN., STATEMENT OF"}),
    Convention(9, "deposition Q./A.", c09, {"a": "Q. / A.", "b": "wrapped, indented",
                                            "c": "EXAMINATION, objections"}),
    Convention(10, "Markdown section headers", c10, {"a": "## Topic - NAME", "b": "## NAME: topic",
                                                     "c": "### NAME, Job + labelled Q&A"}),
    Convention(11, "diarised JSON segments", c11, {"a": "WhisperX", "b": "faster-whisper words",
                                                   "c": "3 speakers"}),
    Convention(12, "utterance list JSON", c12, {"a": "subject B", "b": "full response, subject A",
                                                "c": "subject last letter"}),
    Convention(13, "subtitles with speakers", c13, {"a": "VTT SPEAKER_00:", "b": "SRT [SPEAKER_00]:",
                                                    "c": "VTT <v SPEAKER_00>"}),
]}
VARIANTS = ("a", "b", "c")
CASES = [(c, v) for c in CONVENTIONS for v in VARIANTS]
# conventions rendered outside this module (tests/real/shapes.py: the layouts of the real public
# records) register here, so that :func:`mismatch` can name them; render(), CASES and the benchmark
# set stay the 13 above
MORE_CONVENTIONS: dict[int, Convention] = {}


def named_convention(number: int) -> Convention:
    """Convention ``number``, whether one of the 13 or one registered in MORE_CONVENTIONS."""
    return CONVENTIONS[number] if number in CONVENTIONS else MORE_CONVENTIONS[number]


def render(d: Dialogue, convention: int, variant: str) -> Rendered:
    """``d`` written in ``convention`` (1-13), ``variant`` (a, b, c), with its truth."""
    suffix, content, turns, speakers = CONVENTIONS[convention].render(d, variant)
    data = content.encode("utf-8") if isinstance(content, str) else content
    slug = f"c{convention:02d}{variant}-{d.subject.last.lower()}-{d.seed % 10000:04d}"
    name = f"{d.date.isoformat()}-{slug}{suffix}"
    return Rendered(name, data, Truth(convention, variant, d.subject.full, speakers, turns))


def others_for(convention: int, variant: str, rng: random.Random) -> int:
    if convention == 9:
        return 2 if variant == "c" else 1
    if (convention, variant) in {(11, "c"), (12, "c"), (13, "c")}:
        return 2
    return rng.choice([1, 1, 2, 2, 3])


def bench_set(seed: int = 12, words: int = 20000) -> list[Rendered]:
    """Every convention x variant, about ``words`` words in all, reproducible from ``seed``."""
    per_file = words // len(CASES) - 30
    out = []
    for c, v in CASES:
        rng = random.Random(seed * 100003 + c * 10 + VARIANTS.index(v))
        kind = KIND_OF.get(c, "interview")
        d = make_dialogue(rng, kind, per_file, others_for(c, v, rng))
        out.append(render(d, c, v))
    return out


# -- ingest and compare ----------------------------------------------------------------------


@dataclass
class Found:
    subject_turns: list[str]
    qa: list[tuple[str | None, str]]
    subject_text: str  # every passage of the file, joined
    failed: list[str]
    kind: str | None = None
    all_turns: list[tuple[str, str, str]] = field(default_factory=list)  # (speaker, role, text)


def ingest_kwargs(speakers: dict[str, str]) -> dict:
    """The ``ingest`` keywords that say who a file's machine labels are."""
    return {"speakers": speakers} if speakers else {}


def ingest_rendered(store, folder: Path, rendered: Rendered) -> Found:
    """Write ``rendered`` to ``folder``, ingest it into ``store``, read back what was stored."""
    from sosie.corpus.ingest import ingest
    from sosie.corpus.speakers import Subject

    path = folder / rendered.filename
    path.write_bytes(rendered.data)
    truth = rendered.truth
    report = ingest(store, [path], Subject(name=truth.subject, aliases=truth.aliases),
                    **ingest_kwargs(truth.speakers))
    found = stored(store, path)
    found.failed = [message for _, message in report.failed]
    return found


def stored(store, path: Path) -> Found:
    db = store.db
    row = db.execute("SELECT id, kind FROM sources WHERE path = ?", (str(path.resolve()),)).fetchone()
    if row is None:
        return Found([], [], "", [])
    turns = db.execute(
        "SELECT t.speaker, t.role, t.text, q.text FROM turns t LEFT JOIN turns q ON q.id = t.question_turn_id"
        " WHERE t.source_id = ? ORDER BY t.seq", (row[0],)).fetchall()
    passages = db.execute("SELECT text FROM passages WHERE source_id = ? ORDER BY turn_id, seq",
                          (row[0],)).fetchall()
    subject = [(normalise(q) if q is not None else None, normalise(t)) for _, role, t, q in turns
               if role == "subject"]
    return Found([a for _, a in subject], subject, "\n".join(p[0] for p in passages), [], row[1],
                 [(s, r, normalise(t)) for s, r, t, _ in turns])


@dataclass
class Score:
    true_words: int
    stored_words: int
    correct_words: int
    pairs_true: int
    pairs_found: int
    pairs_correct: int

    @property
    def precision(self) -> float:
        return self.correct_words / self.stored_words if self.stored_words else (
            1.0 if not self.true_words else 0.0)

    @property
    def recall(self) -> float:
        return self.correct_words / self.true_words if self.true_words else 1.0

    def __add__(self, other: Score) -> Score:
        return Score(*(a + b for a, b in zip(self.counts(), other.counts(), strict=True)))

    def counts(self) -> tuple[int, ...]:
        return (self.true_words, self.stored_words, self.correct_words, self.pairs_true,
                self.pairs_found, self.pairs_correct)


def score(found: Found, truth: Truth) -> Score:
    """Words: multiset intersection of word tokens, stored subject passages vs the true subject
    turns. Pairs: a found pair counts when its question and answer both match a true pair."""
    true_tokens = Counter(tokens(" ".join(truth.subject_turns)))
    got_tokens = Counter(tokens(found.subject_text))
    true_pairs = Counter(truth.pairs)
    found_pairs = Counter((q, a) for q, a in found.qa if q is not None)
    return Score(sum(true_tokens.values()), sum(got_tokens.values()),
                 sum((true_tokens & got_tokens).values()), sum(true_pairs.values()),
                 sum(found_pairs.values()), sum((true_pairs & found_pairs).values()))


def _clip(text: str | None, n: int = 160) -> str:
    if text is None:
        return "None"
    return repr(text if len(text) <= n else text[: n - 3] + "...")


def _around_difference(a: str | None, b: str | None, n: int = 160) -> tuple[str, str]:
    """Both texts clipped to ``n`` characters around where they first differ."""
    if a is None or b is None:
        return _clip(a, n), _clip(b, n)
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = max(0, i - n // 3)
    pre = "..." if start else ""
    return (_clip(pre + a[start:] if start else a, n), _clip(pre + b[start:] if start else b, n))


def mismatch(found: Found, rendered: Rendered) -> str | None:
    """``None`` when the stored subject turns and pairs are exactly the truth, else a message
    naming the convention and showing the first mismatching turn."""
    truth = rendered.truth
    conv = named_convention(truth.convention)
    where = (f"convention {truth.convention}{truth.variant} ({conv.name}; "
             f"{conv.variants.get(truth.variant, '')}) in {rendered.filename}")
    if found.failed:
        message = re.sub(r"\S*/(?=" + re.escape(rendered.filename) + ")", "", found.failed[0])
        return f"{where}: ingest failed: {message}"
    want, got = truth.qa, found.qa
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w is None or g is None or w[1] != g[1]:
            expected, stored_ = _around_difference(w[1] if w else None, g[1] if g else None)
            return (f"{where}: subject turn {i + 1} of {len(want)} (found {len(got)}) differs\n"
                    f"  expected: {expected}\n  stored:   {stored_}")
        if w[0] != g[0]:
            expected, stored_ = _around_difference(w[0], g[0])
            return (f"{where}: subject turn {i + 1} answers the wrong question\n"
                    f"  answer:   {_clip(w[1])}\n  expected question: {expected}\n"
                    f"  stored question:   {stored_}")
    return None
