"""The actor's script as a PDF, laid out by screenplain (Courier Prime, standard screenplay
margins) from the same elements as the Fountain text (:mod:`sosie.export.script`), not by
parsing that text back: screenplain implements only the ``\\*`` escape, so an underscore in a
path would otherwise come out underlined.
"""

from __future__ import annotations

from pathlib import Path

from sosie.export.script import SCENE, Action, PageBreak, Script


def _screenplay(script: Script):
    """screenplain's model of the script, its strings plain text (no emphasis parsing)."""
    from screenplain import types
    from screenplain.richstring import plain

    class PlainTitlePage(types.Screenplay):
        # screenplain parses title-page values for emphasis; ours are plain text.
        def get_rich_attribute(self, name, default=()):
            return [plain(value) for value in self.title_page.get(name, [])] or list(default)

    title_page = dict(script.title_page)
    # screenplain prints no Notes; the lower-left block where Contact goes carries them instead.
    title_page["Contact"] = title_page.pop("Notes")
    title_page["Subject"] = title_page["Source"]  # the disclosure, in the PDF's own metadata too
    paragraphs: list = [types.Slug(plain(SCENE))]
    for element in script.body:
        if isinstance(element, PageBreak):
            paragraphs.append(types.PageBreak())
        elif isinstance(element, Action):
            paragraphs.append(types.Action([plain(element.text)], centered=element.centered))
        else:
            dialog = types.Dialog(plain(element.cue.lstrip("@")))
            dialog.blocks.append((False, plain(element.text)))  # never a parenthetical
            paragraphs.append(dialog)
    return PlainTitlePage(title_page, paragraphs)


def render_pdf(script: Script, path: Path) -> None:
    from screenplain.export.pdf import to_pdf

    to_pdf(_screenplay(script), str(path))
