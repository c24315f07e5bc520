"""Gold speakers for court: the U.S. Supreme Court's own oral-argument transcripts (Alderson Reporting
Company, "Official - Subject to Final Review") of Department of Health and Human Services v. Florida,
No. 11-398 (the Affordable Care Act arguments), day 1 (Mon 26 Mar 2012, Anti-Injunction Act) and
day 2 (Tue 27 Mar 2012, the minimum-coverage provision), each as the Court's PDF and as the
`pdftotext -layout` text of that PDF, both kept in one public repository.

Layout: 25 numbered lines a page; a turn opens with an upper-case label and a colon at the start of a
line (`CHIEF JUSTICE ROBERTS:`, `JUSTICE SCALIA:`, `GENERAL VERRILLI:`, `MR. LONG:`), its text runs
on, wrapped, until the next label. Furniture: the page header `Official - Subject to Final Review`,
the footer `Alderson Reporting Company`, page numbers, the line numbers 1-25 (text: in the left
margin of every line; PDF: one tagged /Artifact column), form feeds between text pages. Before
`P R O C E E D I N G S` come the caption, appearances and contents; then a time line `(10:12 a.m.)`;
section headers `ORAL ARGUMENT OF ROBERT A. LONG` / `FOR COURT-APPOINTED AMICUS CURIAE` (one may
break across a page); stage notes on their own line, `(Laughter.)`; the end
`(Whereupon, at 11:41 a.m., the case in the above-entitled matter was submitted.)`, then a word
index of many pages. A dash `--` at the end of a cut-off line is set as `-` plus a soft hyphen
(U+00AD; PDF octal \\255), which this gold reads as `--`.

Stdlib only; reads the PDF itself (Flate streams, Tj/TJ text, marked-content artifacts dropped,
pages put in order by their printed page number)."""
import re
import sys
import zlib
from pathlib import Path

SUBJECT = "John G. Roberts, Jr."

JUSTICES = {
    "CHIEF JUSTICE ROBERTS": SUBJECT,
    "JUSTICE SCALIA": "Antonin Scalia",
    "JUSTICE KENNEDY": "Anthony M. Kennedy",
    "JUSTICE GINSBURG": "Ruth Bader Ginsburg",
    "JUSTICE BREYER": "Stephen G. Breyer",
    "JUSTICE ALITO": "Samuel A. Alito, Jr.",
    "JUSTICE SOTOMAYOR": "Sonia Sotomayor",
    "JUSTICE KAGAN": "Elena Kagan",
    "JUSTICE THOMAS": "Clarence Thomas",
}
COUNSEL = {
    "MR. LONG": "Robert A. Long",
    "GENERAL VERRILLI": "Donald B. Verrilli, Jr.",
    "MR. KATSAS": "Gregory G. Katsas",
    "MR. CLEMENT": "Paul D. Clement",
    "MR. CARVIN": "Michael A. Carvin",
}

SET = {
    "name": "court",
    "kind": "U.S. Supreme Court oral-argument transcript (Alderson Reporting), PDF and pdftotext text",
    "subject": SUBJECT,
    "aliases": ["Chief Justice Roberts", "John Roberts", "Roberts", "Mr. Chief Justice",
                "CHIEF JUSTICE ROBERTS"],
    "speaker_map": {**JUSTICES, **COUNSEL},
    "files": ["hhs-v-florida-2012-03-26.txt", "hhs-v-florida-2012-03-27.txt",
              "hhs-v-florida-2012-03-26.pdf", "hhs-v-florida-2012-03-27.pdf"],
}

LABEL = re.compile(r"^((?:CHIEF )?JUSTICE [A-Z]+|GENERAL [A-Z]+|MR\. [A-Z]+|MS\. [A-Z]+):\s*(.*)$")
FURNITURE = re.compile(r"^(Official - Subject to Final Review|Alderson Reporting Company|\d+)$")
TIME = re.compile(r"^\(\d{1,2}:\d{2} ?[ap]\.m\.\)$")
STAGE = re.compile(r"^\([A-Z][^()]*\)$")  # (Laughter.) on its own line


def _turns(lines):
    """lines: the page text, furniture still in, line numbers already gone -> [(speaker, text)]."""
    turns = []
    who, buf = None, []
    started = in_header = False

    def flush():
        if who is not None:
            text = " ".join(" ".join(buf).split())
            if text:
                turns.append((who, text))

    for raw in lines:
        line = " ".join(raw.replace("\f", " ").split())
        if not started:
            started = line == "P R O C E E D I N G S"
            continue
        if not line or FURNITURE.match(line) or TIME.match(line):
            continue
        if line.startswith("(Whereupon"):
            break
        if re.match(r"^(ORAL|REBUTTAL) ARGUMENT OF\b", line):
            in_header = True
            continue
        m = LABEL.match(line)
        if m:
            in_header = False
            flush()
            label = m.group(1)
            who = SET["speaker_map"].get(label, label)
            buf = [m.group(2)]
            continue
        if in_header and not re.search(r"[a-z]", line):
            continue  # ON BEHALF OF THE PETITIONERS / FOR COURT-APPOINTED AMICUS CURIAE
        in_header = False
        if STAGE.match(line):
            continue
        buf.append(line)
    flush()
    return turns


def _fix(text: str) -> str:
    return text.replace("\u00ad", "-")  # "-" + soft hyphen is the printed "--"


# ---------------------------------------------------------------- text (pdftotext -layout)
def _text_lines(path):
    for raw in Path(path).read_text(encoding="utf-8").split("\n"):
        raw = raw.replace("\f", "")
        m = re.match(r"^( \d|\d\d)(?:\s(.*))?$", raw)  # " 7   text", "12   text"; page numbers sit far right
        yield _fix(m.group(2) or "" if m else raw)


# ---------------------------------------------------------------- PDF
_TOKEN = re.compile(
    rb"\((?:\\.|[^\\)])*\)|\[|\]|<<|>>|/[^\s/\[\]()<>]+|-?\d*\.?\d+|[A-Za-z'\"*]+", re.S)
_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f",
        b"(": b"(", b")": b")", b"\\": b"\\"}


def _pdf_string(tok: bytes) -> str:
    body, out, i = tok[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i:i + 1]
        if c == b"\\":
            nxt = body[i + 1:i + 2]
            if nxt in _ESC:
                out += _ESC[nxt]
                i += 2
                continue
            m = re.match(rb"[0-7]{1,3}", body[i + 1:i + 4])
            if m:
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
                continue
            if nxt in (b"\n", b"\r"):
                i += 2
                continue
            i += 1
            continue
        out += c
        i += 1
    return out.decode("cp1252", errors="replace")


def _page_lines(content: bytes):
    """One page's content stream -> (printed page number, text lines outside /Artifact)."""
    lines, cur = [], []
    stack = []  # marked-content kinds
    operands = []
    y = None

    def art():
        return "Artifact" in stack

    def newline():
        nonlocal cur
        if cur:
            lines.append("".join(cur))
        cur = []

    for m in _TOKEN.finditer(content):
        tok = m.group(0)
        if tok[:1] in b"(/[]<>" or re.match(rb"-?\d*\.?\d+$", tok):
            operands.append(tok)
            continue
        op = tok
        if op == b"BDC" or op == b"BMC":
            tags = [t for t in operands if t.startswith(b"/")]
            stack.append(tags[0][1:].decode() if tags else "")
        elif op == b"EMC":
            if stack:
                stack.pop()
        elif op in (b"Tj", b"TJ", b"'", b'"'):
            if op in (b"'", b'"') and not art():
                newline()
            parts = []
            for t in operands:
                if t.startswith(b"("):
                    parts.append(_pdf_string(t))
                elif re.match(rb"-?\d*\.?\d+$", t) and op == b"TJ" and float(t) < -200:
                    parts.append(" ")
            s = "".join(parts)
            if s and not art():
                cur.append(s)
        elif op in (b"Td", b"TD"):
            nums = [float(t) for t in operands if re.match(rb"-?\d*\.?\d+$", t)]
            if len(nums) >= 2 and nums[-1] != 0 and not art():
                newline()
        elif op == b"T*":
            if not art():
                newline()
        elif op == b"Tm":
            nums = [float(t) for t in operands if re.match(rb"-?\d*\.?\d+$", t)]
            if len(nums) >= 6:
                if not art() and (y is None or nums[5] != y):
                    newline()
                y = nums[5]
        elif op == b"ET":
            if not art():
                newline()
        operands = []
    newline()
    return lines


def _page_number(content: bytes):
    """The printed page number: the first string in the bottom /Pagination artifact."""
    for m in re.finditer(rb"/Artifact\s*<<[^>]*?/Attached\s*\[\s*/Bottom\s*\][^>]*>>\s*BDC(.*?)EMC",
                         content, re.S):
        n = re.search(rb"\((\d+)\)\s*Tj", m.group(1))
        if n:
            return int(n.group(1))
    return None


def _pdf_lines(path):
    data = Path(path).read_bytes()
    pages = {}
    for m in re.finditer(rb"stream\r?\n", data):
        try:
            out = zlib.decompressobj().decompress(data[m.end():])
        except zlib.error:
            continue
        if b"BT" not in out or not (b"Tj" in out or b"TJ" in out):
            continue
        no = _page_number(out)
        if no is None:
            continue
        pages.setdefault(no, []).append(out)
    for no in sorted(pages):
        for content in pages[no]:
            for line in _page_lines(content):
                yield _fix(line)


def gold(path) -> list[tuple[str, str]]:
    path = Path(path)
    lines = _pdf_lines(path) if path.suffix.lower() == ".pdf" else _text_lines(path)
    return _turns(lines)


if __name__ == "__main__":
    from collections import Counter
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/main/.real-records/court")
    for name in SET["files"]:
        turns = gold(root / name)
        n, w = Counter(), Counter()
        for who, text in turns:
            n[who] += 1
            w[who] += len(text.split())
        print(f"{name}: {len(turns)} turns, {sum(w.values())} words")
        for who in sorted(n, key=lambda k: -w[k]):
            print(f"  {who:28} {n[who]:4} turns {w[who]:6} words")
