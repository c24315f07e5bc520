"""A panel: several doubles (and perhaps a real person) in one conversation, stored as it goes.

>>> panel = Panel.start(["rowan", "wren"], home)                           # doctest: +SKIP
>>> turns = panel.ask("What is a city for?", rounds=2)                     # doctest: +SKIP
>>> [t.label for t in turns]                                               # doctest: +SKIP
['Moderator', 'Simulated Rowan Adler', 'Simulated Wren Halloway',
 'Simulated Rowan Adler', 'Simulated Wren Halloway']

Round 1 is every addressed double answering the prompt on its own; in each later round a double
responds to what the *other* doubles said in the round before. What the others said reaches a
double as quoted context (:class:`sosie.engines.base.Remark`), never as instructions and never as
evidence: each double answers with its own persona's engine, so its citations can only point at
its own persona's passages. A real participant (``human=``) speaks in their own name; their
lines are stored as theirs, never as a double's, and the doubles answer them like a question.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from sosie import registry
from sosie.corpus.store import now
from sosie.engines.base import Answer, Engine, Remark, engine_for
from sosie.errors import SosieError
from sosie.interview.panel_records import PanelRecords
from sosie.workspace import Workspace

Guard = Callable[[str], AbstractContextManager]  # a persona's name -> what to hold while it works
MODERATOR = "Moderator"
MIN_DOUBLES = 2
MAX_ROUNDS = 5  # each round asks every double again: more is a monologue, and slow


@dataclass
class PanelTurn:
    """One line of a panel: a prompt (moderator or human) or a double's answer."""

    id: int
    exchange: int
    round: int
    kind: str  # "moderator" | "human" | "double"
    speaker: str  # a double's persona slug, else the person's name
    name: str  # the person's full name (the double's person, for a double)
    text: str
    answer: Answer | None = None
    addressed: list[str] = field(default_factory=list)  # the doubles a prompt was put to
    responds_to: list[int] = field(default_factory=list)  # the turns a response answers
    asked_at: str = ""
    answered_at: str = ""

    @property
    def label(self) -> str:
        """How every interface names the speaker: a double is never just the person's name."""
        return f"Simulated {self.name}" if self.kind == "double" else self.name


def double_label(name: str) -> str:
    return f"Simulated {name}"


def open_members(personas: Sequence[str | Workspace], home: str | Path | None = None) -> list[Workspace]:
    """The panel's personas (names, or workspaces already open), each checked: known, built,
    and named once."""
    slugs = [p if isinstance(p, str) else p.slug for p in personas]
    seen: set[str] = set()
    for slug in slugs:
        if slug in seen:
            raise SosieError(f"persona {slug!r} is named twice; a panel needs different doubles")
        seen.add(slug)
    if len(seen) < MIN_DOUBLES:
        raise SosieError(f"a panel needs at least {MIN_DOUBLES} personas (got {len(seen)}); "
                         "e.g. sosie panel rowan wren --question \"...\"")
    members = [p if isinstance(p, Workspace) else Workspace.open(p, home) for p in personas]
    for member in members:
        if not member.index_status()["built"]:
            raise SosieError(f"persona {member.slug!r} has no index yet; run: sosie build {member.slug}")
    return members


def engine_options(engine: str, options: dict) -> dict:
    """The options this engine declares (the quote engine takes no model), the rest left out."""
    accepted = registry.option_names(registry.load("engine", engine))
    return {k: v for k, v in options.items() if v is not None and k in accepted}


def make_engines(members: list[Workspace], name: str, options: dict,
                 guard: Guard | None) -> dict[str, Engine]:
    """Each double's engine ``name``, made while its persona is held."""
    engines = {}
    for member in members:
        with (guard or (lambda slug: nullcontext()))(member.slug):
            engines[member.slug] = engine_for(member, name, **engine_options(name, options))
    return engines


def ask_engine(engine: Engine, question: str, history: list[tuple[str, str]], others: Sequence[Remark],
               on_token: Callable[[str], None] | None = None) -> Answer:
    """``engine.answer`` with the others' words; an engine that predates panels gets them
    folded into its question, quoted, and its answer keeps the real question."""
    if not others:
        return engine.answer(question, history=history, on_token=on_token)
    if "others" in inspect.signature(engine.answer).parameters:
        return engine.answer(question, history=history, on_token=on_token, others=others)
    heard = " ".join(f'{r.speaker} said: "{r.text}"' for r in others)
    return replace(engine.answer(f"{question} {heard}", history=history, on_token=on_token),
                   question=question)


class Panel:
    """A stored panel, ready to go on: ``ask`` puts a prompt, ``respond`` adds a round."""

    def __init__(self, records: PanelRecords, panel_id: int, members: list[Workspace],
                 engines: dict[str, Engine], human: str | None = None, guard: Guard | None = None):
        self.records = records
        self.guard = guard or (lambda slug: nullcontext())
        self.id = panel_id
        self.members = {m.slug: m for m in members}
        self.engines = engines
        self.human = human
        self.turns: list[PanelTurn] = [turn_of(row, self.names) for row in records.turns(panel_id)]

    @property
    def names(self) -> dict[str, str]:
        return {slug: m.config.name for slug, m in self.members.items()}

    # -- starting and resuming ------------------------------------------------------------------
    @classmethod
    def start(cls, personas: Sequence[str | Workspace], home: str | Path | None = None,
              engine: str | None = None, title: str | None = None, human: str | None = None,
              guard: Guard | None = None, **options) -> Panel:
        """A new panel of ``personas`` (names or open workspaces); ``options`` (backend, model,
        as_of...) go to every double's engine that declares them. ``guard(slug)``, if given, is
        held while that persona works (a server's lock per persona)."""
        members = open_members(personas, home)
        human = check_human(human, members)
        name = engine or members[0].config.default_engine
        engines = make_engines(members, name, options, guard)
        cast = [{"kind": "double", "slug": m.slug, "name": m.config.name, "disclosure": m.config.disclosure,
                 "consent": {"status": m.config.consent, "note": m.config.consent_note,
                             "fictional": m.config.fictional}} for m in members]
        if human:
            cast.append({"kind": "human", "name": human})
        records = PanelRecords.open(home)
        panel_id = records.start(name, cast, title, options.get("as_of"))
        return cls(records, panel_id, members, engines, human, guard)

    @classmethod
    def resume(cls, panel_id: int, home: str | Path | None = None,
               personas: dict[str, Workspace] | None = None, guard: Guard | None = None,
               **options) -> Panel:
        """The stored panel ``panel_id``, with its engine, cast and turns (``personas``: the
        workspaces already open, by name)."""
        records = PanelRecords.open(home)
        row = records.get(panel_id)
        if row is None:
            ids = ", ".join(str(r["id"]) for r in records.all()) or "none yet"
            raise SosieError(f"no panel {panel_id} (panels: {ids})")
        cast = records.members(panel_id)
        opened = personas or {}
        members = open_members([opened.get(m["slug"], m["slug"]) for m in cast if m["kind"] == "double"],
                               home)
        if row["as_of"]:
            options = {**options, "as_of": row["as_of"]}
        engines = make_engines(members, row["engine"], options, guard)
        human = next((m["name"] for m in cast if m["kind"] == "human"), None)
        return cls(records, panel_id, members, engines, human, guard)

    # -- speaking -------------------------------------------------------------------------------
    def ask(self, text: str, to: Sequence[str] | None = None, rounds: int = 1, speaker: str | None = None,
            on_turn: Callable[[PanelTurn], None] | None = None) -> list[PanelTurn]:
        """Put ``text`` to the doubles ``to`` (default: all), from the moderator or, with
        ``speaker`` = the panel's human, from them; then ``rounds - 1`` rounds of responses.
        Every turn is stored before the next is asked; ``on_turn`` sees each as it lands."""
        text = " ".join(text.split())
        if not text:
            raise SosieError("empty question; type something for the panel")
        addressed = self.addressed(to)
        check_rounds(rounds)
        kind, who = self.prompter(speaker)
        exchange = 1 + max((t.exchange for t in self.turns), default=0)
        prompt = self._store(exchange, 1, kind, who, who, text, now(), addressed=addressed)
        done = [prompt]
        if on_turn:
            on_turn(prompt)
        for slug in addressed:
            done.append(self._answer(slug, exchange, 1, text, [], on_turn))
        for _ in range(rounds - 1):
            added = self.respond(to=addressed, on_turn=on_turn)
            if not added:
                break
            done += added
        return done

    def respond(self, to: Sequence[str] | None = None,
                on_turn: Callable[[PanelTurn], None] | None = None) -> list[PanelTurn]:
        """One more round: each double of ``to`` (default: all) responds to what the other
        doubles said in the last round. A double no other double answered before is skipped."""
        last = [t for t in self.turns if t.kind == "double"]
        if not last:
            raise SosieError("nothing to respond to yet: ask the panel a question first")
        exchange, round_no = last[-1].exchange, last[-1].round
        previous = [t for t in last if t.exchange == exchange and t.round == round_no
                    and t.answer is not None and not t.answer.abstained]
        prompt = next(t for t in reversed(self.turns) if t.exchange == exchange and t.kind != "double")
        added = []
        for slug in self.addressed(to):
            heard = [t for t in previous if t.speaker != slug]
            if heard:
                added.append(self._answer(slug, exchange, round_no + 1, prompt.text, heard, on_turn))
        return added

    def _answer(self, slug: str, exchange: int, round_no: int, question: str, heard: list[PanelTurn],
                on_turn: Callable[[PanelTurn], None] | None) -> PanelTurn:
        asked_at = now()
        others = [Remark(t.label, spoken(t)) for t in heard]
        with self.guard(slug):
            answer = ask_engine(self.engines[slug], question, self.history(slug), others)
        turn = self._store(exchange, round_no, "double", slug, self.names[slug], answer.text, asked_at,
                           answer=answer, responds_to=[t.id for t in heard])
        if on_turn:
            on_turn(turn)
        return turn

    def _store(self, exchange: int, round_no: int, kind: str, speaker: str, name: str, text: str,
               asked_at: str, answer: Answer | None = None, addressed: Sequence[str] = (),
               responds_to: Sequence[int] = ()) -> PanelTurn:
        answered_at = now()
        turn_id = self.records.record(self.id, exchange, round_no, kind, speaker, text, asked_at,
                                      answered_at, answer.to_dict() if answer else None,
                                      list(addressed), list(responds_to))
        turn = PanelTurn(turn_id, exchange, round_no, kind, speaker, name, text, answer,
                         list(addressed), list(responds_to), asked_at, answered_at)
        self.turns.append(turn)
        return turn

    def history(self, slug: str) -> list[tuple[str, str]]:
        """This double's own earlier answers in the panel, as its engine's history."""
        prompts = {t.exchange: t.text for t in self.turns if t.kind != "double"}
        return [(prompts[t.exchange], t.text) for t in self.turns
                if t.kind == "double" and t.speaker == slug and t.answer and not t.answer.abstained]

    def addressed(self, to: Sequence[str] | None) -> list[str]:
        if not to:
            return list(self.members)
        unknown = [slug for slug in to if slug not in self.members]
        if unknown:
            raise SosieError(f"no double {unknown[0]!r} on this panel (on it: {', '.join(self.members)})")
        return list(dict.fromkeys(to))

    def prompter(self, speaker: str | None) -> tuple[str, str]:
        if speaker is None or speaker == MODERATOR:
            return "moderator", MODERATOR
        if speaker != self.human:
            raise SosieError(f"{speaker!r} is not on this panel; start it with --with-human {speaker!r}")
        return "human", speaker


def check_human(human: str | None, members: list[Workspace]) -> str | None:
    """A real participant's name: given, and not the name of a simulated person or the moderator."""
    if human is None:
        return None
    human = " ".join(human.split())
    if not human:
        raise SosieError("--with-human needs the person's name, e.g. --with-human \"Ada Example\"")
    taken = {m.config.name.lower(): m.config.name for m in members} | {MODERATOR.lower(): MODERATOR}
    if human.lower() in taken:
        raise SosieError(f"{human!r} is the name of a panel voice already ({taken[human.lower()]}); "
                         "give the real participant their own name")
    return human


def check_rounds(rounds: int) -> None:
    if not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        raise SosieError(f"rounds must be 1 to {MAX_ROUNDS} (1: each double answers; 2: then each "
                         f"responds to the others), not {rounds!r}")


def spoken(turn: PanelTurn) -> str:
    """A turn's words without citation markers: what the others heard."""
    from sosie.engines.retrieval import CITATION_MARKER

    return " ".join(CITATION_MARKER.sub("", turn.text).split())


def turn_of(row, names: dict[str, str]) -> PanelTurn:
    answer = Answer.from_dict(json.loads(row["answer_json"])) if row["answer_json"] else None
    name = names.get(row["speaker"], row["speaker"]) if row["kind"] == "double" else row["speaker"]
    return PanelTurn(row["id"], row["exchange"], row["round"], row["kind"], row["speaker"], name,
                     row["text"], answer, json.loads(row["addressed_json"]),
                     json.loads(row["responds_to_json"]), row["asked_at"], row["answered_at"])
