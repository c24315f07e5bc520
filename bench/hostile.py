"""Hostile inputs, each in a fresh process: how long, how much memory, and what Sosie said.

``python bench/hostile.py`` (``bench/faults.py`` runs it too). The cases are the rows of the
third hardening probe (tests/test_hostile_inputs.py pins them): a .docx whose text inflates to
400 MB, lower-case speech-to-text text and subtitles of many cues (time against size: linear or
not), a file named like a URL beside a real HTTP server on loopback, an HLS playlist renamed
.mp3, hours of silence in a small FLAC, and a character card with a 169-megapixel picture.
Memory is the child's own peak resident size (``VmHWM``). A benchmark reports: it exits 0.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

CHILD = """
import sys, time
from pathlib import Path
started = time.perf_counter()
{body}
seconds = time.perf_counter() - started
status = open("/proc/self/status").read()
peak = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
print(f"RESULT {{seconds:.2f}} {{peak // 1024}} {{said}}")
"""
ADD = """
from sosie.corpus.ingest import ingest
from sosie.corpus.names import Subject
from sosie.corpus.store import Store
report = ingest(Store(Path(sys.argv[1]) / "sosie.db"), [Path(sys.argv[2])], Subject("Glass Maker"))
said = report.failed[0][1].split(": ", 1)[-1] if report.failed else f"added, {report.passages} passages"
"""
PROBE = """
from sosie.corpus.media import probe
from sosie.errors import BadSource
try:
    said = f"read as {probe(Path(sys.argv[2]))['format']}"
except BadSource as exc:
    said = str(exc).split(": ", 1)[-1]
"""
SILENCE = """
from sosie.corpus.media import decode, loudness, probe
from sosie.errors import BadSource
try:
    found = probe(Path(sys.argv[2]))
    audio = decode(Path(sys.argv[2]), found, Path(sys.argv[1]) / "decoded")
    said = f"{len(audio) / 16000:.0f} s decoded, loudness {loudness(audio):.6f}"
except BadSource as exc:
    said = str(exc).split(": ", 1)[-1]
"""


def measure(body: str, folder: Path, path: Path) -> tuple[float, int, str]:
    done = subprocess.run([sys.executable, "-c", CHILD.format(body=body), str(folder), str(path)],
                          capture_output=True, text=True, timeout=900)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        return float("nan"), 0, f"crashed: {done.stderr.strip().splitlines()[-1:]}"
    _, seconds, peak, said = line.split(" ", 3)
    return float(seconds), int(peak), said


def docx_bomb(path: Path, megabytes: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as part:
            for _ in range(megabytes):
                part.write(b"a" * 2**20)
    return path


def lower_case(path: Path, kb: int) -> Path:
    line = "yeah so we went down to the harbour and it was cold. and then we waited for the boat. "
    path.write_text(line * (kb * 1024 // len(line)))
    return path


def cues(path: Path, count: int) -> Path:
    with open(path, "w") as out:
        for i in range(count):
            s = i * 2
            out.write(f"{i + 1}\n{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d},000 --> "
                      f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d},900\nand we kept on going\n\n")
    return path


def silence(path: Path, hours: float) -> Path:
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                    "-t", str(int(hours * 3600)), "-c:a", "flac", str(path)], check=True)
    return path


def big_card(path: Path) -> Path:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("chara", "e30=")
    Image.new("1", (13_000, 13_000)).save(path, pnginfo=info)
    return path


def run(folder: Path) -> list[tuple[str, float, int, str]]:
    rows = []
    rows.append(("a 1.2 MB .docx whose text inflates to 400 MB",
                 *measure(ADD, folder, docx_bomb(folder / "bomb.docx", 400))))
    for kb in (46, 93, 187):
        rows.append((f"lower-case speech-to-text text, {kb} KB",
                     *measure(ADD, folder, lower_case(folder / f"asr-{kb}.txt", kb))))
    for count in (5_000, 10_000, 100_000):
        rows.append((f"subtitles of {count:,} cues by one speaker",
                     *measure(ADD, folder, cues(folder / f"cues-{count}.srt", count))))
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            requests.append(self.path)
            time.sleep(60)  # a server that never answers

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    named = folder / f"http:127.0.0.1:{server.server_address[1]}.mp3"
    named.write_bytes(b"not really a recording")
    seconds, peak, said = measure(PROBE, folder, named)
    rows.append(("a file named http:127.0.0.1:PORT.mp3 (server never answers)", seconds, peak,
                 f"{said}; requests to the server: {len(requests)}"))
    server.shutdown()
    playlist = folder / "episode.mp3"
    named = silence(folder / "s.flac", 0.01)
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{named}\n#EXT-X-ENDLIST\n")
    rows.append(("an HLS playlist renamed .mp3 naming a local recording", *measure(PROBE, folder, playlist)))
    for hours in (1, 2, 5):
        flac = silence(folder / f"silence-{hours}.flac", hours)
        rows.append((f"{hours} h of silence in a FLAC", *measure(SILENCE, folder, flac)))
    card = big_card(folder / "c.png")
    rows.append(("a character card with a 169-megapixel picture", *measure(ADD, folder, card)))
    return rows


def report() -> None:
    with tempfile.TemporaryDirectory(prefix="sosie-hostile-") as tmp:
        rows = run(Path(tmp))
    print("\n| hostile input | seconds | peak memory | what Sosie said |")
    print("|---|---|---|---|")
    for name, seconds, peak, said in rows:
        print(f"| {name} | {seconds:.2f} | {peak} MB | {said} |")


if __name__ == "__main__":
    report()
