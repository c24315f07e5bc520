"""Gold speakers for fomc: five Federal Reserve FOMC press-conference transcripts of Chair Jerome H.
Powell, as the Board publishes them (federalreserve.gov "FOMCpresconfYYYYMMDD.pdf", edited FINAL
transcripts), copied unchanged from ptshen/fed-statement-predictor (transcripts-pdf/):
2019-07-31, 2020-03-15 (Sunday-evening press conference *call*, COVID emergency cut),
2022-06-15, 2024-06-12, 2025-03-19.

Layout, written for these files only (text as pypdf's `extract_text()` gives it, page by page):
- Every page opens with a running header `June 12, 2024   Chair Powell’s Press Conference  FINAL`
  (`... Press Conference Call  FINAL` for 2020-03-15; runs of spaces inside, a trailing space)
  and a folio `Page 1 of 27`, separated by lines holding one space. Furniture: dropped.
- Page 1 then has the title `Transcript of Chair Powell’s Press Conference` and the date line;
  everything before the first label is title matter. No time lines, no `END`.
- A turn opens at a line start with the speaker's name in capitals and a period, then one or two
  spaces: `CHAIR POWELL.`, the moderator `MICHELLE SMITH.` (absent in 2019, where Powell calls on
  reporters himself), reporters `STEVE LIESMAN.`, `NICK TIMIRAOS.`, `NANCY MARSHALL-GENZER.`,
  `JO LING KENT.`, `KELLY O’GRADY.` (U+2019). The reporter usually restates name and outlet inside
  the turn ("Steve Liesman, CNBC."): that is speech, kept.
- Paragraphs are hard-wrapped (justified) lines; a new paragraph of the same speaker is just a new
  line with no label. Lines often end in a space; em dashes may end a line (`index—`).
- Text lines can start with capitals (`U.S. banks are strong`, `QT will make that worse?`,
  `FOMC participants`): not labels. A label here is 2-3 all-capital words ending in `.`, and only
  the labels in SET["speaker_map"] count (__main__ lists any other candidate).
- Stage notes `[Laughter]`, and in the 2020 call `[Silence]`, `[Extended silence]` (inline, in
  the moderator's turns), are not speech: removed. Other square brackets are the
  publisher's editorial insertions inside the speaker's words (`[percent]`, `[inflation]`,
  `[have]`): kept as written.
Each label starts one turn; text is whitespace-joined.

Uses pypdf (in the project's .venv) only to get each page's text; the parsing is this file's own.
"""
import re
import sys
from pathlib import Path

SUBJECT = "Jerome H. Powell"
MODERATOR = "Michelle Smith"

_REPORTERS = [
    "ANN SAPHIR", "BRENDAN GREELEY", "BRIAN CHEUNG", "CHRISTOPHER RUGABER", "CLAIRE JONES",
    "COLBY SMITH", "COURTENAY BROWN", "CRAIG TORRES", "DANIEL AVIS", "DAVID GURA", "DON LEE",
    "DONNA BORAK", "EDWARD LAWRENCE", "EVAN RYSER", "GREG ROBB", "HEATHER LONG",
    "HOWARD SCHNEIDER", "JAMES POLITI", "JEAN YUNG", "JEANNA SMIALEK", "JENNIFER SCHONBERGER",
    "JO LING KENT", "JOHN HELTMAN", "JONNELLE MARTE", "KELLY O’GRADY", "KOSUKE TAKAMI",
    "MARK HAMRICK", "MARTIN CRUTSINGER", "MATT EGAN", "MATTHEW BOESLER", "MICHAEL MCKEE",
    "NANCY MARSHALL-GENZER", "NEIL IRWIN", "NICK TIMIRAOS", "PAUL KIERNAN", "RACHEL SIEGEL",
    "SCOTT HORSLEY", "SIMON RABINOVITCH", "STEVE LIESMAN", "VICTORIA GUIDA",
]
_FIX = {"MICHAEL MCKEE": "Michael McKee", "KELLY O’GRADY": "Kelly O’Grady"}


def _person(label):
    if label in _FIX:
        return _FIX[label]
    return " ".join("-".join(p.capitalize() for p in w.split("-")) for w in label.split())


SET = {
    "name": "fomc",
    "kind": "Federal Reserve FOMC press-conference transcript (federalreserve.gov PDF)",
    "subject": SUBJECT,
    "aliases": ["Powell", "Jerome Powell", "Jay Powell", "Chair Powell", "Chairman Powell",
                "Mr. Chairman", "CHAIR POWELL"],
    "speaker_map": {"CHAIR POWELL": SUBJECT, "MICHELLE SMITH": MODERATOR,
                    **{r: _person(r) for r in _REPORTERS}},
    "files": [
        "FOMCpresconf20190731.pdf",
        "FOMCpresconf20200315.pdf",
        "FOMCpresconf20220615.pdf",
        "FOMCpresconf20240612.pdf",
        "FOMCpresconf20250319.pdf",
    ],
}

_LABEL = re.compile(r"^([A-Z][A-Z’'-]+(?: [A-Z][A-Z’'-]+){1,2})\.(?:\s+(.*))?$")
_HEADER = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December)"
    r" \d{1,2}, \d{4}\s+Chair Powell’s Press Conference(?: Call)?\s+FINAL\s*$")
_FOLIO = re.compile(r"^Page \d+ of \d+\s*$")
_STAGE = re.compile(r"\[(?:Laughter|Silence|Extended silence)\]")


def _lines(path):
    from pypdf import PdfReader  # page text only; see docstring
    for page in PdfReader(str(path)).pages:
        yield from page.extract_text().splitlines()


def gold(path, _unknown=None):
    turns = []
    speaker, buf = None, []

    def flush():
        if speaker is not None:
            text = " ".join(_STAGE.sub(" ", " ".join(buf)).split())
            if text:
                turns.append((speaker, text))

    for line in _lines(path):
        s = line.strip()
        if not s or _HEADER.match(s) or _FOLIO.match(s):
            continue
        m = _LABEL.match(s)
        if m and m.group(1) in SET["speaker_map"]:
            flush()
            speaker, buf = SET["speaker_map"][m.group(1)], [m.group(2) or ""]
            continue
        if m and _unknown is not None:
            _unknown.append(s)
        if speaker is not None:  # before the first label: title and date
            buf.append(s)
    flush()
    return turns


if __name__ == "__main__":
    from collections import Counter
    root = Path("/work/main/.real-records/fomc")
    for name in SET["files"]:
        unknown = []
        turns = gold(root / name, unknown)
        t, w = Counter(), Counter()
        for sp, text in turns:
            t[sp] += 1
            w[sp] += len(text.split())
        print(f"== {name}: {len(turns)} turns, {sum(w.values())} words")
        for sp in sorted(t, key=lambda k: (-w[k], k)):
            print(f"   {sp:24s} {t[sp]:3d} turns {w[sp]:6d} words")
        if unknown:
            print("   UNKNOWN label-like lines:", unknown)
        if "-v" in sys.argv:
            for sp, text in turns[:4] + turns[-2:]:
                print(f"   [{sp}] {text[:160]}")
