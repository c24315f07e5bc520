"""Exports of a stored panel: transcript, script and subtitles with one voice per double, and
character cards for group chats.

>>> export_panel(3, "script", Path("panel-3.fountain"))                    # doctest: +SKIP
PosixPath('panel-3.fountain')

Every file must carry every double's disclosure (and the panel's own); one that lacks any is
removed and the export fails, as for a single persona's exports.
"""

from __future__ import annotations

import json
from pathlib import Path

from sosie.errors import SosieError
from sosie.export.conversation import Conversation, conversation, join_names
from sosie.files import atomic_write
from sosie.workspace import Workspace

PANEL_FORMATS = ("transcript", "script", "ccv3")


def export_panel(panel_id: int | None, fmt: str, out_path: Path | None = None,
                 home: str | Path | None = None) -> Path:
    """Write the panel (default: the latest) as ``fmt``; the suffix of ``out_path`` picks the
    variant (.md .json .srt .vtt; .fountain .pdf). ``ccv3`` writes a folder of cards."""
    from sosie.interview.panel_records import PanelRecords
    from sosie.interview.panel_transcript import latest_panel, panel_transcript

    if fmt not in PANEL_FORMATS:
        raise SosieError(f"a panel exports as {', '.join(PANEL_FORMATS)}, not {fmt!r}")
    if panel_id is None:
        records = PanelRecords.open(home)
        try:
            panel_id = latest_panel(records)
        finally:
            records.close()
    conv = conversation(panel_id=panel_id, home=home)
    if fmt == "ccv3":
        return group_cards(conv, out_path or Path(f"panel-{panel_id}-cards"), home)
    if fmt == "transcript":
        path = out_path or Path(f"panel-{panel_id}.md")
        if path.suffix in (".srt", ".vtt"):
            from sosie.export.subtitles import write_subtitles_of

            written = write_subtitles_of(conv, path)
        elif path.suffix in (".md", ".json"):
            path.parent.mkdir(parents=True, exist_ok=True)
            written = atomic_write(path, panel_transcript(panel_id, home, path.suffix[1:]))
        else:
            raise SosieError(f"{path}: a transcript is .md, .json, .srt or .vtt")
    else:
        from sosie.export.script import write_script_of

        written = write_script_of(conv, out_path or Path(f"panel-{panel_id}.fountain"))
    check_disclosures(written, conv)
    return written


def check_disclosures(path: Path, conv: Conversation) -> None:
    """A panel's file keeps every double's disclosure, or it is removed, not delivered."""
    from sosie.export.formats import check_disclosure

    for disclosure in conv.disclosures:
        check_disclosure(path, disclosure)


def group_cards(conv: Conversation, folder: Path, home: str | Path | None = None) -> Path:
    """One Character Card V3 per double, for a group chat that stages the panel again.

    Each card is its persona's own card (its disclosure, real words, provenance) with a
    group-only greeting that names the other simulations, and ``extensions.sosie.panel`` with the
    panel's cast; ``panel.json`` lists the cards, the cast and the panel's disclosure.
    """
    from sosie.export.cards import card_v3, write_card
    from sosie.export.formats import check_disclosure

    folder = Path(folder)
    if folder.suffix:
        raise SosieError(f"{folder}: the panel's cards go into a folder; give a name without a suffix")
    folder.mkdir(parents=True, exist_ok=True)
    doubles = conv.doubles
    written = []
    for voice in doubles:
        others = [v.name for v in doubles if v is not voice]
        with Workspace.open(voice.key, home) as workspace:
            card = card_v3(workspace)
        data = card["data"]
        data["group_only_greetings"] = [
            f"{voice.disclosure} (On this panel with the simulation{'s' if len(others) > 1 else ''} "
            f"of {join_names(others)}, I am the simulation of {voice.name}; I answer only from "
            f"{voice.name}'s recorded words, never from theirs.)"]
        data["extensions"]["sosie"]["panel"] = {
            "panel": conv.number, "disclosure": conv.disclosure,
            "with": [{"persona": v.key, "name": v.name} for v in doubles if v is not voice]}
        path = write_card(card, folder / f"{voice.key}.ccv3.png")
        check_disclosure(path, voice.disclosure or "")
        written.append(path.name)
    manifest = {"panel": conv.number, "title": conv.title, "disclosure": conv.disclosure,
                "cards": written, "cast": [{"kind": v.kind, "name": v.name, "label": v.label}
                                           for v in conv.voices]}
    atomic_write(folder / "panel.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return folder
