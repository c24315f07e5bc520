"""Gold speakers for podcast: five episode transcripts of BookBytes, "a book club podcast for
developers" hosted by Adam Garrett-Harris (Orbit FM), as the show publishes them in the source of its
own website (orbitfm/orbit.fm, `transcripts/*.txt`, MIT): episodes 10, 18, 26, 34 and 35.

Layout, written for these files only:
- One paragraph per line, paragraphs separated by one blank line (035: two blank lines, CRLF line
  ends, trailing spaces). 010, 026 and 035 begin with a UTF-8 BOM; 018 and 034 do not.
- A turn opens with `H:MM:SS.s **First Last** text`: a timestamp, a space, the name in markdown bold
  with NO colon, a space, the text. Slips kept as published: no space after the time
  (`0:45:28.5**Safia Abdalla** Yeah.`), two spaces before or after the name
  (`0:55:29.2  **Megan Duclos**`, `**Jason Staten**  But`), no space after the name
  (`**Adam Garrett-Harris**Mm-hmm`), the opening `**` missing (035: `0:08:19.6 Adam Garrett-Harris**
  Yeah.`), a truncated time (010: `:00:40.6 **Jason Staten**`), a short name with a leading space
  (010: `** Jen**` = Jen Luker), a stray `**` after the text (018: `(laughing)**`).
- Group labels: `All`, `ALL`, `Jen Luker & Safia Abdalla & Adam Garrett-Harris`,
  `Safia Abdalla, Jen Luker, & Jason Staten`, ...: a turn of that group (its own stable name, `All`
  for All/ALL), never the host's alone.
- A line `H:MM:SS.s text` with no name is a further paragraph of the same speaker (sponsor reads,
  long answers); 035 also wraps one paragraph onto an untimed line (`Clo-jure? I don't even ...`).
  These join the open turn; the timestamps are dropped. Each label opens one turn, even when the
  same speaker had the turn before.
- Not speech, dropped: stage lines `(Intro music: Electro Swing)`, `(Typewriter Dings)`,
  `(Exit music: Electro swing)`, rules `________________`; inline notes `(laughs)`, `(laughing)`,
  `(Scoffs)`, `(affirmative)` (after `Mm-hmm`), `[Overlapping voices]`, `[inaudible overlapping]`,
  `[overlapping conversation]`, pronunciation glosses `( '/primər/ )`, `[pronounced ten thou-]`.
  A turn left empty (`**Jason Staten** (laughs)`) is dropped. Markdown links `[text](url)` are read
  as their text. Kept as words: `[inaudible]`, `(Inaudible: 0:01:39.5  Ethereum?)`, editorial
  brackets inside quotations (`[about]`, `(and also some)`), typographic quotes and ellipses.
- 026 goes on after `(Exit music)` with a spoken follow-up between Adam and Safia: kept.
Text is whitespace-joined."""
import re
from pathlib import Path

SUBJECT = "Adam Garrett-Harris"
JEN = "Jen Luker"
SAFIA = "Safia Abdalla"
JASON = "Jason Staten"
MEGAN = "Megan Duclos"
ALL = "All"

_GROUPS = [
    "Safia Abdalla, Jen Luker, & Jason Staten",
    "Jen Luker & Safia Abdalla & Adam Garrett-Harris",
    "Adam Garrett-Harris & Jen Luker & Jason Staten",
    "Adam Garrett-Harris & Jason Staten",
    "Megan Duclos & Jason Staten",
]

SET = {
    "name": "podcast",
    "kind": "podcast transcript published by the show (timestamp + markdown-bold name, no colon)",
    "subject": SUBJECT,
    "aliases": ["Adam", "Garrett-Harris", "Adam Garrett Harris"],
    "speaker_map": {
        "Adam Garrett-Harris": SUBJECT,
        "Jen Luker": JEN,
        "Jen": JEN,
        "Safia Abdalla": SAFIA,
        "Jason Staten": JASON,
        "Megan Duclos": MEGAN,
        "All": ALL,
        "ALL": ALL,
        **{g: g for g in _GROUPS},
    },
    "files": [
        "bookbytes-010.txt",
        "bookbytes-018.txt",
        "bookbytes-026.txt",
        "bookbytes-034.txt",
        "bookbytes-035.txt",
    ],
}

_TIME = re.compile(r"^\d*:\d{2}:\d{2}[.:]\d+\s*")
_BOLD = re.compile(r"^(\*\*)?([^*]{1,80}?)\*\*")
_STAGE_LINE = re.compile(r"^(\([^()]*\)|_+)$")
_NOTES = re.compile(
    r"[ \t]*\((?:laughs|laughing|Laughing|Scoffs|affirmative|Affirmative)\)"
    r"|[ \t]*\[(?:Overlapping voices|inaudible overlapping|overlapping conversation|pronounced ten thou-)\]"
    r"|[ \t]*\(\s*[‘ˈ]/?[^()/]*/\s*\)"
)
_PUNCT = ".,;:!?…”’)"


def _drop(m) -> str:
    """A note goes with the space before it when punctuation follows: `Mm-hmm (affirmative).`"""
    after = m.string[m.end():m.end() + 1]
    return "" if after in _PUNCT and after else " "


_LINK = re.compile(r"\[([^\]]*)\]\((?:https?://|www\.)[^)\s]*\)")


def _label(rest: str):
    """rest: a line with its timestamp cut off -> (speaker, text) when it opens a turn, else None."""
    m = _BOLD.match(rest)
    if not m:
        return None
    name = " ".join(m.group(2).split())
    if name in SET["speaker_map"]:
        return SET["speaker_map"][name], rest[m.end():]
    if m.group(1):
        raise ValueError(f"unmapped label {name!r}")
    return None  # a paragraph that merely holds a later `**`


def gold(path) -> list[tuple[str, str]]:
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    turns: list[list] = []
    for line in lines:
        bare = " ".join(line.split())
        if not bare or _STAGE_LINE.match(bare):
            continue
        t = _TIME.match(bare)
        rest = bare[t.end():] if t else bare
        hit = _label(rest)
        if hit:
            turns.append([hit[0], hit[1]])
        elif turns:
            turns[-1][1] += " " + rest
        else:
            raise ValueError(f"text before the first label: {bare[:60]!r}")
    out = []
    for who, text in turns:
        text = _LINK.sub(r"\1", text.replace("**", " "))
        text = " ".join(_NOTES.sub(_drop, text).split())
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
