"""Gold speakers for oral_history: the Marine Corps Oral History Program transcript of General
Leonard F. Chapman, Jr., USMC (Ret.), 24th Commandant of the Marine Corps, as the Marine Corps
History Division (History and Museums Division, Headquarters, U.S. Marine Corps) publishes it: one
600-page PDF (Acrobat PDFMaker from Word, 2009) of twelve sessions recorded 1979-1990, copied
unchanged from Midway91/War_stories ("Vietnam War/Chapman Jr, General Leonard F.pdf").

Layout, written for this file only (text as pypdf's `extract_text()` gives it, page by page):
- Every page opens with a running header `Chapman - N ` (trailing space) and ends with the footer
  line `Marine Corps History Division`, except page 0 (title page: `ORAL HISTORY TRANSCRIPT`, the
  narrator, a blank `Interviewer`, `HISTORY AND MUSEUMS DIVISION ...`, `1979`, `1981`) and page 1
  (first session cover). Header and footer are always whole lines: dropped.
- Sessions I-V each have a cover page (`MARINE CORPS ORAL HISTORY PROGRAM`, `Interviewee: General
  Leonard F. Chapman, Jr., USMC`, `(Ret.)`, `Interviewers:` left blank - in sessions IV and V a
  blank `Interviewer:`, which looks like a label with no text -, `Date: ...`, `Place: ...` with
  a wrapped `Washington, D.C.`, `TAPE TRANSCRIPTION`), then `P R O C E E D I N G S` (once
  `PROCEEDINGS`), then `Session I; 17 January 1979` / `Session IX, 13 May 1983` /
  `Begin Session VI, 12 May 1982`. From session VI on there are no cover pages. A session closes
  with `End Session I` (five times followed by the transcriber's initials `PDS`), the last one
  with `End of Interview`. Everything from an `End Session` line or the start of the file up to
  the next label is front matter: dropped.
- Tape changes are whole lines inside a running turn: `Begin Tape 1, Side A`, `End Tape 1, Side A`,
  `Begin Tape 1, Side 1`, `End Tape 1/XII, Side B`, `Begin Tape 2/VIII, Side A`, once with a
  leading space; in sessions VI and VII a bare `Session VI` / `Session VII` line follows each tape
  line. Dropped; the turn goes on.
- A turn opens at a line start with `Name:` and two spaces: the narrator `Chapman:`, the unnamed
  interviewer of sessions I-V `Interviewer:` (the covers leave "Interviewers:" blank), Benis M.
  Frank of the Marine Corps Historical Center `Frank:` (sessions VI-XII; Chapman ends with
  "Thanks Ben."), and in session X LtCol Wayne Babb `Babb:` ("LtCol Babb is going to sit in ...
  So, Wayne"). No other line-start `Word:` is a label (`Marine units:  barracks, ...` is Chapman's
  speech). Once a label sits mid-line after two spaces (`Chapman:  Above all, unquestionably.
  Frank:  All-consuming.`): that starts a new turn.
- Paragraphs are hard-wrapped lines; a new paragraph of the same speaker is a plain line. pypdf
  leaves spacing slips (`That 's`, `bes t`, `hard- working`, `[Laug hs]`): kept as extracted.
- Not speech, removed: `(Laughter)`, `(Laughter.)`, `(laughter)`, `(Laughing)`, `(Pause)`,
  `(Pause for siren)`, `(Interruption in tape)`, `(cross talk)` (once a line of its own),
  `(phonetic)` (a transcriber's spelling flag); `[Laughter]`, `[laughter]`, `[ Laughter]`,
  `[Laughs]`, `[laughs]`, `[Laug hs]`, `[cross talk]`, `[Interruption in recording]`,
  `[Interruption in interview]` (lines of their own), the editor's notes `[Ed note:  BGen. Ray A.
  " Torchy" Robinson]`, `[Ed. note:  Dover.]` and `[words lost due to sound activation of tape
  recorder]` (wrapped over two lines). Kept as the speaker's words: `(inaudible)`,
  `(Inaudible.)` (an interviewer turn may be just that), the editorial insertion
  `[Congressman Clare]`, and the speaker's own parentheses (`(Carter)`, `(history)`,
  `(in unison)`).
Each label starts one turn; text is whitespace-joined.

Uses pypdf (in the project's .venv) only to get each page's text; the parsing is this file's own.
"""
import re
from pathlib import Path

SUBJECT = "Leonard F. Chapman, Jr."
INTERVIEWER = "Interviewer"
FRANK = "Benis M. Frank"
BABB = "Wayne Babb"

SET = {
    "name": "oral_history",
    "kind": "oral-history interview transcript (Marine Corps Oral History Program PDF, `Name:` labels)",
    "subject": SUBJECT,
    "aliases": ["Chapman", "Leonard F. Chapman", "Leonard Chapman", "General Chapman", "Gen Chapman",
                "Gen. Chapman", "Leonard F. Chapman Jr."],
    "speaker_map": {
        "Chapman": SUBJECT,
        "Interviewer": INTERVIEWER,
        "Frank": FRANK,
        "Babb": BABB,
    },
    "files": [
        "chapman-usmc-oral-history.pdf",
    ],
}

_NAMES = "|".join(SET["speaker_map"])
_LABEL = re.compile(r"^(" + _NAMES + r"):(?:\s+|$)")
_INLINE = re.compile(r"\s{2,}(" + _NAMES + r"):\s{2}")
_HEADER = re.compile(r"^Chapman - \d+$")
_FOOTER = "Marine Corps History Division"
_TAPE = re.compile(r"^(?:Begin|End) Tape \d+(?:/[IVXL]+)?, Side [AB12]$")
_SESSION = re.compile(r"^(?:Begin )?Session [IVXL]+(?:[;,] \d{1,2} [A-Z][a-z]+ \d{4})?$")
_CLOSE = re.compile(r"^(?:End Session [IVXL]+|End of Interview)$")
_NOTE_LINE = re.compile(r"^(?:\[Interruption in (?:recording|interview)\]|\(cross talk\))$")
_STAGE = re.compile(
    r"\((?:[Ll]aughter\.?|Laughing|Pause(?: for siren)?|[Ii]nterruption in tape|cross talk|phonetic)\)"
    r"|\[(?: ?[Ll]aughter|[Ll]aughs|Laug hs|cross talk)\]"
    r"|\[Ed\.? note:[^\]]*\]"
    r"|\[words lost due to sound activation of tape recorder\]"
)


def _lines(path):
    from pypdf import PdfReader

    for page in PdfReader(str(path)).pages:
        yield from (page.extract_text() or "").split("\n")


def gold(path) -> list[tuple[str, str]]:
    turns: list[list] = []
    open_ = False  # inside the spoken part of a session
    for raw in _lines(path):
        line = " ".join(raw.split())
        if not line or _HEADER.match(line) or line == _FOOTER:
            continue
        if _CLOSE.match(line):
            open_ = False
            continue
        if _TAPE.match(line) or _SESSION.match(line) or _NOTE_LINE.match(line):
            continue
        # a label mid-line (two spaces before it in the raw text) starts a turn of its own
        pieces = [raw]
        m = _INLINE.search(raw)
        if m and _LABEL.match(raw.lstrip()):
            pieces = [raw[:m.start()], raw[m.start():].lstrip()]
        for piece in pieces:
            piece = " ".join(piece.split())
            hit = _LABEL.match(piece)
            if hit and not open_ and not piece[hit.end():]:
                continue  # the cover field `Interviewer:` (blank) of sessions IV and V
            if hit:
                turns.append([SET["speaker_map"][hit.group(1)], piece[hit.end():]])
                open_ = True
            elif open_ and turns:
                turns[-1][1] += " " + piece
            # else: title page, session cover, `PDS`, `P R O C E E D I N G S`: dropped
    out = []
    for who, text in turns:
        text = " ".join(_STAGE.sub(" ", text).split())
        if text:
            out.append((who, text))
    return out


if __name__ == "__main__":
    import collections

    root = Path(__file__).resolve().parents[1] / "data" / "real" / SET["name"]
    for name in SET["files"]:
        turns = gold(root / name)
        c = collections.Counter()
        w = collections.Counter()
        for who, text in turns:
            c[who] += 1
            w[who] += len(text.split())
        print(name, len(turns), {k: (c[k], w[k]) for k in c})
        for who, text in turns[:4] + turns[-3:]:
            print("   ", who, "|", text[:160])
