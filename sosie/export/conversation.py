"""One shape for what the exports read: an interview (one double, an interviewer) or a panel
(several doubles, a moderator, perhaps a real participant), as voices and lines in order.

>>> conv = from_interview(interview_record(persona, 3))                 # doctest: +SKIP
>>> [line.voice.label for line in conv.lines][:2]                       # doctest: +SKIP
['Interviewer', 'Simulated Rowan Adler']

Every export (script, subtitles, speech) draws the same distinctions from it: a double's line
is labelled simulated and carries its own disclosure and citations; a person's line (the
interviewer, the moderator, a real participant) is labelled with their name and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.engines.base import model_label
from sosie.errors import SosieError
from sosie.interview import transcript

if TYPE_CHECKING:
    from sosie.workspace import Workspace


@dataclass(frozen=True)
class Voice:
    key: str  # a double's persona slug, else the person's role or name
    kind: str  # "double" | "interviewer" | "moderator" | "human"
    name: str
    disclosure: str | None = None  # a double's own disclosure
    consent: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def simulated(self) -> bool:
        return self.kind == "double"

    @property
    def label(self) -> str:
        return f"Simulated {self.name}" if self.simulated else self.name


@dataclass
class Line:
    voice: Voice
    text: str
    turn: dict  # the stored exchange or turn: a double's has citations, support, engine...
    round: int = 1
    responds_to: list[str] = field(default_factory=list)  # labels of the voices answered


@dataclass
class Conversation:
    kind: str  # "interview" | "panel"
    number: int
    title: str  # "Interview with a simulation of X", "Panel with simulations of X and Y"
    disclosure: str  # the label of the whole
    voices: list[Voice]
    lines: list[Line]
    started_at: str
    engine: str
    record: dict  # the stored JSON record it came from

    @property
    def doubles(self) -> list[Voice]:
        return [v for v in self.voices if v.simulated]

    @property
    def disclosures(self) -> list[str]:
        """Every label an export of it must carry: the whole's and each double's own."""
        return list(dict.fromkeys([self.disclosure, *(v.disclosure for v in self.doubles if v.disclosure)]))

    @property
    def models(self) -> list[str]:
        """What produced the doubles' lines, one line per distinct model (see ``model_label``),
        in the order they first spoke; answers stored before models were recorded say so."""
        return list(dict.fromkeys(model_label(line.turn.get("model"))
                                  for line in self.lines if line.voice.simulated))

    def model_notes(self) -> list[str]:
        """``"Answers: written by ..."``, one per distinct model: the header line of an export."""
        return [f"Answers: {label}." for label in self.models]

    @property
    def what(self) -> str:
        names = join_names([v.name for v in self.doubles])
        many = "s" if len(self.doubles) > 1 else ""
        return f"{self.kind} {self.number} with simulation{many} of {names}"


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def interview_record(workspace: Workspace, interview_id: int | None = None) -> dict:
    """The interview as its stored JSON transcript; refuses one with nothing said yet."""
    record = json.loads(transcript(workspace, interview_id, "json"))
    if not record["exchanges"]:
        raise SosieError(
            f"interview {record['interview']} of persona {workspace.slug!r} has no exchanges yet; "
            f"ask a question first: sosie interview {workspace.slug}"
        )
    return record


def from_interview(record: dict) -> Conversation:
    interviewer = Voice("interviewer", "interviewer", "Interviewer")
    double = Voice(record["persona"], "double", record["name"], record["disclosure"],
                   record.get("consent") or {})
    lines = []
    for exchange in record["exchanges"]:
        lines += [Line(interviewer, exchange["question"], {}), Line(double, exchange["text"], exchange)]
    return Conversation("interview", record["interview"], f"Interview with a simulation of {record['name']}",
                        record["disclosure"], [interviewer, double], lines, record["started_at"],
                        record["engine"], record)


def from_panel(record: dict) -> Conversation:
    voices = {}
    for p in record["participants"]:
        key = p.get("persona") or p["name"]
        voices[key] = Voice(key, p["kind"], p["name"], p.get("disclosure"), p.get("consent") or {})
    labels = {t["id"]: t["label"] for t in record["turns"]}
    lines = [Line(voices[t["speaker"]], t["text"], t if t["kind"] == "double" else {}, t["round"],
                  [labels[i] for i in t.get("responds_to") or [] if i in labels])
             for t in record["turns"]]
    if not lines:
        raise SosieError(f"panel {record['panel']} has nothing said yet; ask it a question first: "
                         f"sosie panel --resume {record['panel']} --question \"...\"")
    doubles = [v for v in voices.values() if v.simulated]
    title = f"Panel with simulations of {join_names([v.name for v in doubles])}"
    return Conversation("panel", record["panel"], title, record["disclosure"], list(voices.values()),
                        lines, record["started_at"], record["engine"], record)


def conversation(workspace: Workspace | None = None, interview_id: int | None = None,
                 panel_id: int | None = None, home: str | Path | None = None) -> Conversation:
    """A persona's interview (default: its latest), or the stored panel ``panel_id``."""
    if panel_id is not None:
        from sosie.interview.panel_transcript import panel_record

        return from_panel(panel_record(panel_id, home))
    if workspace is None:
        raise SosieError("name a persona or a panel to export")
    return from_interview(interview_record(workspace, interview_id))
