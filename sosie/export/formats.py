"""Every export by name, and the check that it kept the disclosure.

>>> export_as(persona, "ccv2", Path("ada.png"))          # doctest: +SKIP
PosixPath('ada.png')

A written file that lacks the persona's disclosure is removed and the export fails: no format may
deliver the double without its label.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.errors import SosieError
from sosie.files import atomic_write
from sosie.interview.records import interview_records

if TYPE_CHECKING:
    from sosie.workspace import Workspace

FORMATS = ("ccv2", "ccv3", "modelfile", "transcript", "script")


def latest_interview(workspace: Workspace) -> int:
    interviews = interview_records(workspace).all()
    if not interviews:
        raise SosieError(
            f"persona {workspace.slug!r} has no interviews yet; run: sosie interview {workspace.slug}")
    return int(interviews[-1]["id"])


def export_as(workspace: Workspace, fmt: str, out_path: Path | None = None,
              interview_id: int | None = None) -> Path:
    """Write ``fmt`` (one of :data:`FORMATS`) to ``out_path`` (default: named after the persona,
    in the current folder); its suffix picks the variant. Returns the path written."""
    if fmt not in FORMATS:
        raise SosieError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    slug = workspace.slug
    if fmt in ("ccv2", "ccv3"):
        from sosie.export.cards import card_v2, card_v3, write_card

        path = out_path or Path(f"{slug}.{fmt}.png")
        written = write_card(card_v2(workspace) if fmt == "ccv2" else card_v3(workspace), path)
    elif fmt == "modelfile":
        from sosie.export.modelfile import export_modelfile

        written = export_modelfile(workspace, out_path or Path(f"{slug}-ollama"))
    elif fmt == "transcript":
        interview_id = interview_id or latest_interview(workspace)
        path = out_path or Path(f"{slug}-interview-{interview_id}.md")
        if path.suffix in (".srt", ".vtt"):
            from sosie.export.subtitles import write_subtitles

            written = write_subtitles(workspace, path, interview_id)
        elif path.suffix in (".md", ".json"):
            path.parent.mkdir(parents=True, exist_ok=True)
            written = atomic_write(path, workspace.transcript(interview_id, path.suffix[1:]))
        else:
            raise SosieError(f"{path}: a transcript is .md, .json, .srt or .vtt")
    else:
        from sosie.export.script import write_script

        interview_id = interview_id or latest_interview(workspace)
        written = write_script(workspace, out_path or Path(f"{slug}-interview-{interview_id}.fountain"),
                               interview_id)
    check_disclosure(written, workspace.config.disclosure)
    return written


def check_disclosure(path: Path, disclosure: str) -> None:
    """Exports refuse to drop the disclosure: a file that lacks it is removed, not delivered."""
    if path.suffix == ".png":
        from sosie.export.cards import read_card

        text = json.dumps(read_card(path), ensure_ascii=False)
    elif path.suffix in (".pdf", ".gguf", ".wav"):
        return  # checked by their writers and tests (binary formats)
    else:
        text = path.read_text(encoding="utf-8")
    if " ".join(disclosure.split()) not in " ".join(text.split()):
        path.unlink(missing_ok=True)
        raise SosieError(f"{path}: the export lost the disclosure, so it was not written; "
                         "report this as a bug")
