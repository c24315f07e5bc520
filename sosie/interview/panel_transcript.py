"""A stored panel as a record (JSON) and as Markdown: every speaker named for what they are.

The record is what every export reads (:mod:`sosie.export.conversation`): the cast as it was
when the panel started, each double with its own disclosure and consent, then the turns, a
double's carrying its answer (text, citations, support) flattened in like an interview's.

>>> print(panel_transcript(3, home))                                      # doctest: +SKIP
# Panel with simulations of Rowan Adler and Wren Halloway
"""

from __future__ import annotations

import json
from pathlib import Path

from sosie.engines.base import Answer
from sosie.errors import SosieError
from sosie.interview import answer_notes
from sosie.interview.panel import MODERATOR, double_label, turn_of
from sosie.interview.panel_records import PanelRecords


def panel_disclosure(names: list[str]) -> str:
    """The panel's own label, over the doubles' disclosures: who here is simulated."""
    return (f"A panel of simulations of {join_names(names)}: every line marked 'Simulated' is "
            "produced by software from that person's recorded words; none of them said it here.")


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def latest_panel(records: PanelRecords) -> int:
    panels = records.all()
    if not panels:
        raise SosieError("no panels yet; run: sosie panel NAME1 NAME2 --question \"...\"")
    return int(panels[-1]["id"])


def panel_record(panel_id: int | None = None, home: str | Path | None = None) -> dict:
    """The panel (default: the latest) as one JSON-ready dict."""
    records = PanelRecords.open(home)
    try:
        panel_id = latest_panel(records) if panel_id is None else panel_id
        row = records.get(panel_id)
        if row is None:
            ids = ", ".join(str(r["id"]) for r in records.all()) or "none yet"
            raise SosieError(f"no panel {panel_id} (panels: {ids})")
        cast = records.members(panel_id)
        names = {m["slug"]: m["name"] for m in cast if m["kind"] == "double"}
        turns = [turn_of(r, names) for r in records.turns(panel_id)]
    finally:
        records.close()
    doubles = [m for m in cast if m["kind"] == "double"]
    participants = [{"kind": "double", "persona": m["slug"], "name": m["name"],
                     "label": double_label(m["name"]), "disclosure": m["disclosure"],
                     "consent": m["consent"]} for m in doubles]
    participants += [{"kind": "human", "name": m["name"], "label": m["name"],
                      "note": "a real person taking part; these lines are their own, not a simulation"}
                     for m in cast if m["kind"] == "human"]
    participants.append({"kind": "moderator", "name": MODERATOR, "label": MODERATOR,
                         "note": "the person putting the questions"})
    out_turns = []
    for t in turns:
        base = {"id": t.id, "exchange": t.exchange, "round": t.round, "kind": t.kind, "speaker": t.speaker,
                "name": t.name, "label": t.label, "asked_at": t.asked_at, "answered_at": t.answered_at}
        if t.answer is not None:
            out_turns.append({**base, **t.answer.to_dict(), "responds_to": t.responds_to})
        else:
            out_turns.append({**base, "text": t.text, "to": t.addressed})
    return {
        "panel": panel_id,
        "title": row["title"],
        "started_at": row["started_at"],
        "engine": row["engine"],
        "as_of": row["as_of"],
        "disclosure": panel_disclosure([m["name"] for m in doubles]),
        "participants": participants,
        "turns": out_turns,
    }


def panel_transcript(panel_id: int | None = None, home: str | Path | None = None, fmt: str = "md") -> str:
    """The panel as Markdown or JSON; each double's lines keep their own disclosure and sources."""
    if fmt not in ("md", "json"):
        raise SosieError(f"unknown transcript format {fmt!r}; use md or json")
    record = panel_record(panel_id, home)
    if fmt == "json":
        return json.dumps(record, indent=2, ensure_ascii=False)
    doubles = [p for p in record["participants"] if p["kind"] == "double"]
    out = [f"# Panel with simulations of {join_names([p['name'] for p in doubles])}", "",
           f"> {record['disclosure']}", "", "Taking part:"]
    for p in record["participants"]:
        if p["kind"] == "double":
            consent = p["consent"] or {}
            note = f" ({consent['note']})" if consent.get("note") else ""
            out.append(f"- **{p['label']}**, the double of persona `{p['persona']}`: {p['disclosure']} "
                       f"Consent: {consent.get('status')}{note}.")
        else:
            out.append(f"- **{p['label']}**: {p['note']}.")
    out += ["", f"Panel {record['panel']}, started {record['started_at']}, engine `{record['engine']}`"
            + (f", as of {record['as_of']} (only sources dated up to then)." if record["as_of"] else ".")]
    labels = {t["id"]: t["label"] for t in record["turns"]}
    shown_round = None
    for turn in record["turns"]:
        if turn["kind"] != "double":
            to = turn.get("to") or []
            names = [next(p["label"] for p in doubles if p["persona"] == s) for s in to]
            whom = f" (to {join_names(names)})" if to and len(to) < len(doubles) else ""
            out += ["", f"## {turn['exchange']}. {turn['label']}{whom}: {turn['text']}"]
            shown_round = 1
            continue
        if turn["round"] != shown_round:
            out += ["", f"### Round {turn['round']}: responding to each other"]
            shown_round = turn["round"]
        heard = [labels[i] for i in turn.get("responds_to") or [] if i in labels]
        after = f" (responding to {join_names(heard)})" if heard else ""
        out += ["", f"**{turn['label']}**{after}: {turn['text']}", "", f"_{turn['disclosure']}_"]
        out += answer_notes(Answer.from_dict({k: turn[k] for k in ANSWER_FIELDS if k in turn}))
    return "\n".join(out) + "\n"


ANSWER_FIELDS = tuple(Answer.__dataclass_fields__)
