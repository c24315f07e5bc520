"""Gold speakers for congress: three GPO hearing records (the text edition GPO publishes on govinfo,
`CHRG-*.htm`) of Federal Reserve Chairman Ben S. Bernanke's semiannual monetary-policy testimony:
House Financial Services, 27 Feb 2008 (CHRG-110hhrg41184) and 21 Jul 2009 (CHRG-111hhrg53244), both
chaired by Barney Frank; Senate Banking, 15 Jul 2008 (CHRG-110shrg50409), chaired by Christopher Dodd.
Copied unchanged from ihmc/congressional_hearings (data/CongressionalHearings/MonetaryPolicy/...).

Layout, written for these files only:
- An HTML shell: `<html>`, `<title> - TITLE</title>`, `<body><pre>`, then plain text to
  `</pre></body></html>`. No HTML entities (a bare `&` is written as is); ASCII only (plus one
  U+001A after the appendix). Quotes are ``...''; dashes `--`.
- Front matter (cover, committee roster, contents, the "The committee met, pursuant to notice..." and
  "Members present:" paragraphs) precedes the first turn: dropped.
- Text hard-wrapped near 64 columns, each paragraph's first line indented 4 spaces; no blank lines
  inside a turn. A turn opens with an indented label ending in `. `: `    The Chairman. `,
  `    Mr. Bernanke. `, `    Chairman Dodd. `, `    Senator Tester. `, `    Dr. Paul. `,
  `    Mr. Miller of North Carolina. `, `    Ms. Moore of Wisconsin. `. A later paragraph of the
  same turn is also indented 4 spaces but opens with ordinary text ("    Chairman Bernanke, you ...").
- `[presiding]` sits after the label's period (`Mr. Kanjorski. [presiding] The committee...`) or
  before it (`Senator Carper [presiding]. The Senator's time...`): the label is the member.
- GPO typos kept as labels: `Mr. Chairman.` (3x, 2008-02-27) is the presiding chair, Frank ("Thank
  you, Chairman Frank" answers it); `Mr. Price.` (1x) is Mr. Price of Georgia.
- Section headers, blank-line-delimited blocks with no lower-case letter (`STATEMENT OF THE
  HONORABLE BEN S. BERNANKE, CHAIRMAN, BOARD OF` / `GOVERNORS OF THE FEDERAL RESERVE SYSTEM`,
  `STATEMENT OF SENATOR RICHARD C. SHELBY`), are dropped.
- Bracketed notes are not speech and are removed: `[Laughter.]`, `[Recess]`, `[presiding]`,
  `[The prepared statement of Chairman Bernanke can be found \\non page 53 of the appendix.]`.
- `    [Whereupon, at 1:00 p.m., the hearing was adjourned.]` ends the spoken record. What follows
  (APPENDIX: prepared statements of Bernanke and members, the Monetary Policy Report, letters,
  responses to written questions, footnotes `\\1\\` between dashed rules) is written, not spoken: this
  gold EXCLUDES all of it (Bernanke's prepared statement too; his oral summary is a spoken turn).
Each label starts one turn; text is whitespace-joined."""
import re
from pathlib import Path

SUBJECT = "Ben S. Bernanke"
FRANK = "Barney Frank"

SET = {
    "name": "congress",
    "kind": "GPO congressional hearing record (govinfo CHRG text edition, <pre> HTML)",
    "subject": SUBJECT,
    "aliases": ["Bernanke", "Ben Bernanke", "Chairman Bernanke", "Mr. Bernanke", "Ben"],
    "speaker_map": {
        "Mr. Bernanke": SUBJECT,
        # House Financial Services (110th, 111th Congress)
        "The Chairman": FRANK,
        "Mr. Chairman": FRANK,
        "Mr. Kanjorski": "Paul E. Kanjorski",
        "Mr. Bachus": "Spencer Bachus",
        "Ms. Waters": "Maxine Waters",
        "Mrs. Maloney": "Carolyn B. Maloney",
        "Mr. Gutierrez": "Luis V. Gutierrez",
        "Ms. Velazquez": "Nydia M. Velazquez",
        "Mr. Watt": "Melvin L. Watt",
        "Mr. Sherman": "Brad Sherman",
        "Mr. Meeks": "Gregory W. Meeks",
        "Mr. Moore of Kansas": "Dennis Moore",
        "Ms. Moore of Wisconsin": "Gwen Moore",
        "Mr. Capuano": "Michael E. Capuano",
        "Mr. Hinojosa": "Ruben Hinojosa",
        "Mr. Clay": "Wm. Lacy Clay",
        "Mrs. McCarthy of New York": "Carolyn McCarthy",
        "Mr. Baca": "Joe Baca",
        "Mr. Lynch": "Stephen F. Lynch",
        "Mr. Miller of North Carolina": "Brad Miller",
        "Mr. Miller of California": "Gary G. Miller",
        "Mr. Scott": "David Scott",
        "Mr. Green": "Al Green",
        "Mr. Cleaver": "Emanuel Cleaver",
        "Ms. Bean": "Melissa L. Bean",
        "Mr. Ellison": "Keith Ellison",
        "Mr. Klein": "Ron Klein",
        "Mr. Perlmutter": "Ed Perlmutter",
        "Mr. Donnelly": "Joe Donnelly",
        "Mr. Foster": "Bill Foster",
        "Ms. Speier": "Jackie Speier",
        "Mr. Minnick": "Walt Minnick",
        "Mr. Adler": "John Adler",
        "Ms. Kilroy": "Mary Jo Kilroy",
        "Ms. Kosmas": "Suzanne Kosmas",
        "Mr. Grayson": "Alan Grayson",
        "Mr. Maffei": "Dan Maffei",
        "Mr. Castle": "Michael N. Castle",
        "Mr. Royce": "Edward R. Royce",
        "Dr. Paul": "Ron Paul",
        "Mr. Manzullo": "Donald A. Manzullo",
        "Mrs. Biggert": "Judy Biggert",
        "Mr. Shays": "Christopher Shays",
        "Mr. Hensarling": "Jeb Hensarling",
        "Mr. Garrett": "Scott Garrett",
        "Mr. Neugebauer": "Randy Neugebauer",
        "Mr. Price of Georgia": "Tom Price",
        "Mr. Price": "Tom Price",
        "Mr. Putnam": "Adam Putnam",
        "Mr. Marchant": "Kenny Marchant",
        "Mr. Posey": "Bill Posey",
        "Mr. Lance": "Leonard Lance",
        # Senate Banking, Housing, and Urban Affairs (110th Congress)
        "Chairman Dodd": "Christopher J. Dodd",
        "Senator Shelby": "Richard C. Shelby",
        "Senator Tester": "Jon Tester",
        "Senator Bayh": "Evan Bayh",
        "Senator Bennett": "Robert F. Bennett",
        "Senator Reed": "Jack Reed",
        "Senator Crapo": "Mike Crapo",
        "Senator Carper": "Thomas R. Carper",
        "Senator Allard": "Wayne Allard",
        "Senator Menendez": "Robert Menendez",
        "Senator Martinez": "Mel Martinez",
        "Senator Dole": "Elizabeth Dole",
        "Senator Bunning": "Jim Bunning",
        "Senator Schumer": "Charles E. Schumer",
        "Senator Brown": "Sherrod Brown",
        "Senator Akaka": "Daniel K. Akaka",
        "Senator Casey": "Robert P. Casey, Jr.",
    },
    "files": [
        "bernanke-2008-02-27-house.htm",
        "bernanke-2008-07-15-senate.htm",
        "bernanke-2009-07-21-house.htm",
    ],
}

_NAME = (r"The Chairman|Mr\. Chairman|Chairman [A-Z][a-z]+|Senator [A-Z][A-Za-z']+"
         r"|(?:Mr|Mrs|Ms|Dr)\. [A-Z][A-Za-z']+(?: of [A-Z][a-z]+(?: [A-Z][a-z]+)?)?")
_LABEL = re.compile(r"^    (" + _NAME + r")(?: \[presiding\])?\. ")
_NOTE = re.compile(r"\[[^\[\]]*\]")  # [Laughter.] [Recess] [presiding] [The prepared ...]


def gold(path) -> list[tuple[str, str]]:
    text = Path(path).read_text(encoding="utf-8")
    text = text[:text.index("\n    [Whereupon")]  # the appendix (written record) follows
    lines = text.split("\n")
    # header blocks: blank-line-delimited runs with no lower-case letter
    drop = set()
    block: list[int] = []
    for i, line in enumerate(lines + [""]):
        if line.strip():
            block.append(i)
            continue
        if block and not any(re.search("[a-z]", lines[j]) for j in block):
            drop.update(block)
        block = []
    turns: list[list] = []
    for i, line in enumerate(lines):
        if i in drop or not line.strip():
            continue
        m = _LABEL.match(line)
        if m:
            label = m.group(1)
            if label not in SET["speaker_map"]:
                raise ValueError(f"unmapped label {label!r} in {path}")
            turns.append([SET["speaker_map"][label], line[m.end():]])
        elif turns:
            turns[-1][1] += "\n" + line
        # before the first label: front matter, dropped
    out = []
    for who, body in turns:
        body = " ".join(_NOTE.sub(" ", body).split())
        if body:
            out.append((who, body))
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
        print(f"{name}: {len(turns)} turns, {sum(w.values())} words")
        for who in sorted(c, key=lambda k: -w[k])[:8]:
            print(f"  {who:28} {c[who]:4} turns {w[who]:6} words")
        print(f"  ... {len(c)} speakers")
        for who, text in turns[:3] + turns[-2:]:
            print("   ", who, "|", text[:150])
