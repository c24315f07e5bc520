"""Gold speakers for briefings: six White House press briefings by Press Secretary Jen Psaki
(2021-02-08, 2021-02-23, 2021-12-02, 2021-12-09 with NEC Director Brian Deese, the 2022-01-11
gaggle aboard Air Force One, 2022-04-07), as scraped from whitehouse.gov by brian14708/wh-briefings
(pandoc `markdown_strict` of the page's <main>, behind a YAML front matter).

Layout, written for these files only:
- YAML front matter between the first two `---` lines, then a line holding one space, then the
  header: place ("James S. Brady Press Briefing Room", or "Aboard Air Force One" / "En Route
  Atlanta, Georgia"), the start time ("2:12 P.M. EST"), and at the end the close time. No `END`.
- Paragraphs are hard-wrapped near 72 columns; many lines end in two spaces (markdown hard break);
  "blank" lines may hold spaces and/or U+00A0.
- Turn labels at a line start: `MS. PSAKI:` + NBSP + space; the reporter is a bare `Q` followed by
  a run of NBSP/spaces (`Q\xa0\xa0\xa0 `, `Q\xa0 `, `Q ` ...), `Q:` in the gaggle, and once `Q–`
  (en dash, interrupted question resumed). Publisher typos that are still her turns: `S. PSAKI:`,
  `QMS. PSAKI:` (stray Q glued on), and `MS. DEESE:` for Mr. Deese.
- A label usually follows a blank line but not always (2021-02-23: a `Q` directly under her line).
- Wrapped text lines can start with `Q` (`QFRs of any SCOTUS nominee`, `Q4.  Do you think`): they
  are not labels (a label Q is followed by whitespace, `:` or `–`).
- Stage notes `(Laughter.)`, `(Cross-talk.)`, `(Cross-talk by reporters.)`, `(Laughs.)`,
  `(Phone alarm rings.)`, inline or on their own line, are not speech: removed. `(Inaudible.)` /
  `(inaudible)` stand for the speaker's own words and are kept: `Q    (Inaudible.)` is a turn.
- pandoc escapes (`\\[sic\\]`, `\\[million\\]`) and one `<s>fix</s>` are kept as written.
Each label starts one turn (two reporters in a row are two turns); text is whitespace-joined."""
import re
from pathlib import Path

SUBJECT = "Jen Psaki"
DEESE = "Brian Deese"
REPORTER = "Reporter"

SET = {
    "name": "briefings",
    "kind": "White House press briefing transcript (whitehouse.gov, pandoc markdown scrape)",
    "subject": SUBJECT,
    "aliases": ["Psaki", "Jen", "Jennifer Psaki", "Press Secretary", "MS. PSAKI"],
    "speaker_map": {
        "MS. PSAKI": SUBJECT,
        "S. PSAKI": SUBJECT,
        "QMS. PSAKI": SUBJECT,
        "MR. DEESE": DEESE,
        "MS. DEESE": DEESE,
        "Q": REPORTER,
    },
    "files": [
        "psaki-2021-02-08-briefing.md",
        "psaki-2021-02-23-briefing.md",
        "psaki-2021-12-02-briefing.md",
        "psaki-2021-12-09-briefing-deese.md",
        "psaki-2022-01-11-gaggle.md",
        "psaki-2022-04-07-briefing.md",
    ],
}

_WS = "[ \t\xa0]"
_NAMED = re.compile(r"^([A-Z][A-Z.]*(?: [A-Z][A-Z.]*)*):" + _WS + "*")
_Q = re.compile(r"^Q(?:" + _WS + "+|:" + _WS + "*|(?=–))")
_TIME = re.compile(r"^\d{1,2}:\d{2} [AP]\.M\. E[SD]T$")
_STAGE = re.compile(r"\((?:Laughter|Laughs|Applause|Cross-talk[^()]*|Phone alarm rings)\.\)")


def _label(line: str):
    """(speaker, rest of line) when the line opens a turn, else None."""
    m = _NAMED.match(line)
    if m and m.group(1) in SET["speaker_map"]:
        return SET["speaker_map"][m.group(1)], line[m.end():]
    if m:
        raise ValueError(f"unmapped label {m.group(1)!r}")
    m = _Q.match(line)
    if m:
        return REPORTER, line[m.end():]
    return None


def gold(path) -> list[tuple[str, str]]:
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    assert lines[0] == "---"
    body = lines[lines.index("---", 1) + 1:]  # drop YAML front matter
    turns: list[list] = []
    for line in body:
        bare = " ".join(line.split())  # str.split() also splits on U+00A0
        if not bare or _TIME.match(bare) or bare == "END":
            continue
        hit = _label(line.lstrip(" \t\xa0"))  # a label may be indented with NBSPs
        if hit:
            turns.append([hit[0], hit[1]])
        elif turns:
            turns[-1][1] += " " + line
        # before the first label: header (place lines), dropped
    out = []
    for who, text in turns:
        text = " ".join(_STAGE.sub(" ", text).split())
        if text:
            out.append((who, text))
    return out


if __name__ == "__main__":
    import collections

    root = Path(__file__).resolve().parents[2] / ".real-records" / SET["name"]
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
