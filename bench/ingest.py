"""Ingestion throughput per format on >= 100 MB of mixed files, with peak memory.

``python bench/ingest.py [--mb 100]`` writes copies of the demo corpus (8% of words perturbed,
so no two files are the same) as plain-text transcripts, WebVTT subtitles, HTML pages, JSON chat
exports, DOCX and PDF, then times ``sosie add`` format by format. Baseline in the same run:
reading the same bytes from disk (``Path.read_bytes``), the floor any reader pays.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path

from sosie import Persona
from sosie.demo import DEMO_DIR

SHARES = {"txt": 0.40, "vtt": 0.25, "html": 0.15, "json": 0.15, "docx": 0.03, "pdf": 0.02}
LABEL = re.compile(r"^([A-Z][A-Z .]+|Q|A):\s+(.*)$")


def perturb(text: str, rng: random.Random, vocabulary: list[str]) -> str:
    return " ".join(rng.choice(vocabulary) if rng.random() < 0.08 else w for w in text.split(" "))


def turns_of(path: Path) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").split("\n---\n", 1)[-1].splitlines():
        found = LABEL.match(line)
        if found:
            out.append((found.group(1), found.group(2)))
        elif line.strip() and out:
            out[-1] = (out[-1][0], out[-1][1] + " " + line.strip())
    return out


def write_corpus(folder: Path, megabytes: float, seed: int = 3) -> dict[str, int]:
    rng = random.Random(seed)
    transcripts = [turns_of(p) for p in sorted((DEMO_DIR / "rowan" / "transcripts").glob("*.txt"))]
    essays = [p.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
              for p in sorted((DEMO_DIR / "rowan" / "essays").glob("*.md"))]
    vocabulary = sorted({w for t in essays for w in re.findall(r"[a-z]{4,}", t)})
    sizes: dict[str, int] = {}
    for fmt, share in SHARES.items():
        target, written, n = megabytes * share * 2**20, 0, 0
        (folder / fmt).mkdir(parents=True)
        while written < target:
            turns = [(s, perturb(t, rng, vocabulary)) for s, t in rng.choice(transcripts)]
            essay = perturb(rng.choice(essays), rng, vocabulary)
            path = folder / fmt / f"part{n:05d}.{fmt}"
            if fmt == "txt":
                path.write_text("\n\n".join(f"{s}: {t}" for s, t in turns * 8), encoding="utf-8")
            elif fmt == "vtt":
                cues = [f"{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000 --> "
                        f"{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}.900\n<v {s}>{t}"
                        for i, (s, t) in enumerate(turns * 8)]
                path.write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n", encoding="utf-8")
            elif fmt == "html":
                paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in essay.split("\n\n") * 4)
                path.write_text(f"<html><head><title>Essay {n}</title></head><body><nav>Home</nav>"
                                f"<article>{paragraphs}</article></body></html>", encoding="utf-8")
            elif fmt == "json":
                path.write_text(json.dumps([{"author": s, "text": t} for s, t in turns * 8]))
            elif fmt == "docx":
                import docx

                document = docx.Document()
                for p in essay.split("\n\n") * 4:
                    document.add_paragraph(p)
                document.save(path)
            elif fmt == "pdf":
                import matplotlib

                matplotlib.use("Agg")
                import matplotlib.pyplot as plt
                from matplotlib.backends.backend_pdf import PdfPages

                matplotlib.rcParams["pdf.fonttype"] = 42
                with PdfPages(path) as pdf:
                    for p in essay.split("\n\n")[:12]:
                        fig = plt.figure(figsize=(8.5, 11))
                        fig.text(0.05, 0.95, p[:1500], wrap=True, va="top", fontsize=8)
                        pdf.savefig(fig)
                        plt.close(fig)
            written += path.stat().st_size
            n += 1
        sizes[fmt] = written
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=100.0, help="total size of the mixed corpus")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sosie-bench-ingest-"))
    try:
        sizes = write_corpus(root / "corpus", args.mb)
        print(f"corpus: {sum(sizes.values()) / 2**20:.1f} MB in {len(SHARES)} formats")
        with Persona.create("bench", "Rowan Adler", ["Rowan", "Adler"], home=root / "home") as persona:
            total_time = 0.0
            for fmt, size in sizes.items():
                files = sorted((root / "corpus" / fmt).iterdir())
                started = time.perf_counter()
                for f in files:
                    f.read_bytes()
                floor = time.perf_counter() - started
                words_before = persona.store.stats()["subject_words"]
                started = time.perf_counter()
                report = persona.add(root / "corpus" / fmt)
                took = time.perf_counter() - started
                total_time += took
                words = persona.store.stats()["subject_words"] - words_before
                print(f"{fmt:>5}: {size / 2**20:6.1f} MB, {len(files):4d} files, "
                      f"{len(report.failed)} failed: "
                      f"{size / 2**20 / took:5.2f} MB/s, {words / took:9,.0f} subject words/s "
                      f"(reading the bytes alone: {size / 2**20 / max(floor, 1e-6):,.0f} MB/s)")
            print(f"all: {sum(sizes.values()) / 2**20 / total_time:.2f} MB/s; peak memory "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
            hard_cases(root / "hard", persona)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def hard_cases(folder: Path, persona: Persona) -> None:
    """Text that once took quadratic time: speech-to-text output whose sentences start in lower
    case, and subtitles of 100,000 cues by one speaker (one long turn)."""
    folder.mkdir(parents=True)
    line = "yeah so we went down to the harbour and it was cold. and then we waited for the boat. "
    asr = folder / "asr.txt"
    asr.write_text(line * (2 * 2**20 // len(line)))
    srt = folder / "captions.srt"
    with open(srt, "w") as out:
        for i in range(100_000):
            s = i * 2
            out.write(f"{i + 1}\n{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d},000 --> "
                      f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d},900\nand we kept on going\n\n")
    for name, path in (("lower-case speech-to-text, 2 MB", asr), ("subtitles, 100,000 cues", srt)):
        size = path.stat().st_size
        started = time.perf_counter()
        report = persona.add(path)
        took = time.perf_counter() - started
        print(f"{name}: {size / 2**20:.1f} MB in {took:.1f} s, {size / 2**20 / took:.2f} MB/s"
              f"{'' if report.added else ' (failed: ' + str(report.failed) + ')'}")


if __name__ == "__main__":
    main()
