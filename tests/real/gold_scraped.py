"""Gold speakers for scraped: six FOMC press conferences of Chair Jerome H. Powell (16 Jun 2021,
3 Nov 2021, 3 May 2023, 26 Jul 2023, 1 Nov 2023, 20 Mar 2024) as re-laid-out by a third party's
scrape of the Federal Reserve's transcripts: VikashMaheshwari/FOMC-Powell-Press-Conference-NLP,
members of its `archive.zip` (40+ files FOMCpresconfYYYYMMDD.txt), extracted byte for byte.

Layout, written for these files only:
- The whole transcript is ONE line: UTF-8, no newline at all (not even at the end), no header,
  no title, no date, no page furniture. Curly quotes/apostrophes (U+2019, U+201C/D), em/en dashes
  (U+2014 for cut-offs "We're—we're", U+2013), vulgar fractions (U+00BC, U+00BD).
- Each turn opens with a tag `<NAME>SPEAKER IN CAPS</NAME>` and, as a rule, `. ` then the text:
  `<NAME>CHAIR POWELL</NAME>. Good afternoon.` The file starts with a tag. Exceptions:
  `</NAME>: ` (colon, once, 2024-03-20), `</NAME> ` (no period, once, 2021-11-03), and hyphenated
  surnames cut at the hyphen with the rest glued on after the tag: `<NAME>NANCY MARSHALL</NAME>-GENZER. `,
  `<NAME>SARAH EWALL</NAME>-WICE. `.
- Tag typos, same people: `MICHELLE SMTH`, `MICHELE SMITH` (the moderator Michelle Smith),
  `COLBY SMTH`, `GREGG ROBB` (= GREG ROBB), `CHRIS RUGABER` (= CHRISTOPHER RUGABER).
- The moderator's turns are often a bare first name ("Howard.", "Nancy."); reporters introduce
  themselves in-text ("Howard Schneider with Reuters.").
- The Fed's editorial brackets `[the]`, `[securities]`, `[-up]` stand for spoken words: kept.
  The one stage note `[Laughter]` (2024-03-20) is removed.
Each tag starts one turn (two tags in a row are two turns); text is whitespace-joined."""
import re
from pathlib import Path

SUBJECT = "Jerome H. Powell"
SMITH = "Michelle Smith"

SET = {
    "name": "scraped",
    "kind": "scraped FOMC press-conference transcript, one line, <NAME>..</NAME>-tagged turns",
    "subject": SUBJECT,
    "aliases": ["Powell", "Chair Powell", "Jerome Powell", "Jay Powell", "Chairman Powell",
                "CHAIR POWELL"],
    "speaker_map": {
        "CHAIR POWELL": SUBJECT,
        "MICHELLE SMITH": SMITH,
        "MICHELLE SMTH": SMITH,
        "MICHELE SMITH": SMITH,
        "NANCY MARSHALL": "Nancy Marshall-Genzer",  # written <NAME>NANCY MARSHALL</NAME>-GENZER
        "SARAH EWALL": "Sarah Ewall-Wice",  # written <NAME>SARAH EWALL</NAME>-WICE
        "COLBY SMITH": "Colby Smith",
        "COLBY SMTH": "Colby Smith",
        "GREG ROBB": "Greg Robb",
        "GREGG ROBB": "Greg Robb",
        "CHRIS RUGABER": "Christopher Rugaber",
        "CHRISTOPHER RUGABER": "Christopher Rugaber",
        "MICHAEL MCKEE": "Michael McKee",
        "PAUL LAMONICA": "Paul LaMonica",
        "ANN SAPHIR": "Ann Saphir",
        "ANNEKEN TAPPE": "Anneken Tappe",
        "BRENDAN PEDERSEN": "Brendan Pedersen",
        "BRIAN CHEUNG": "Brian Cheung",
        "BRYAN MENA": "Bryan Mena",
        "CLAIRE JONES": "Claire Jones",
        "COURTENAY BROWN": "Courtenay Brown",
        "CRAIG TORRES": "Craig Torres",
        "DANIEL AVIS": "Daniel Avis",
        "EDWARD LAWRENCE": "Edward Lawrence",
        "EVAN RYSER": "Evan Ryser",
        "HANNAH LANG": "Hannah Lang",
        "HOWARD SCHNEIDER": "Howard Schneider",
        "JAMES POLITI": "James Politi",
        "JEAN YUNG": "Jean Yung",
        "JEANNA SMIALEK": "Jeanna Smialek",
        "JEFF COX": "Jeff Cox",
        "JENNIFER SCHONBERGER": "Jennifer Schonberger",
        "JOE PAVEL": "Joe Pavel",
        "JONNELLE MARTE": "Jonnelle Marte",
        "KYLE CAMPBELL": "Kyle Campbell",
        "MARK HAMRICK": "Mark Hamrick",
        "MATTHEW BOESLER": "Matthew Boesler",
        "MEGAN CASSELLA": "Megan Cassella",
        "MICHAEL DERBY": "Michael Derby",
        "NEIL IRWIN": "Neil Irwin",
        "NICK TIMIRAOS": "Nick Timiraos",
        "PAUL KIERNAN": "Paul Kiernan",
        "RACHEL SIEGEL": "Rachel Siegel",
        "SCOTT HORSLEY": "Scott Horsley",
        "SIMON RABINOVITCH": "Simon Rabinovitch",
        "STEVE LIESMAN": "Steve Liesman",
        "STEVE MATTHEWS": "Steve Matthews",
        "VICTORIA GUIDA": "Victoria Guida",
        "YLAN MUI": "Ylan Mui",
    },
    "files": [
        "FOMCpresconf20210616.txt",
        "FOMCpresconf20211103.txt",
        "FOMCpresconf20230503.txt",
        "FOMCpresconf20230726.txt",
        "FOMCpresconf20231101.txt",
        "FOMCpresconf20240320.txt",
    ],
}

_TAG = re.compile(r"<NAME>([^<]*)</NAME>(?:-[A-Z]+)?[.:]?")
_STAGE = re.compile(r"\[Laughter\.?\]")


def gold(path) -> list[tuple[str, str]]:
    text = Path(path).read_text(encoding="utf-8")
    tags = list(_TAG.finditer(text))
    out = []
    for i, m in enumerate(tags):
        label = m.group(1)
        if label not in SET["speaker_map"]:
            raise ValueError(f"unmapped label {label!r} in {path}")
        end = tags[i + 1].start() if i + 1 < len(tags) else len(text)
        body = " ".join(_STAGE.sub(" ", text[m.end():end]).split())
        if body:
            out.append((SET["speaker_map"][label], body))
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
        print(f"{name}: {len(turns)} turns, {sum(w.values())} words, {len(c)} speakers")
        for who in sorted(c, key=lambda k: -w[k])[:4]:
            print(f"  {who:24} {c[who]:4} turns {w[who]:6} words")
        for who, text in turns[:3] + turns[-2:]:
            print("   ", who, "|", text[:120])
