"""ffprobe and ffmpeg, kept to the one file they were given.

A recording's name reaches ffmpeg, which reads URLs (``http:127.0.0.1:8000.mp3`` is a URL to
it), playlists that name other files (an HLS playlist renamed ``.mp3``), and options (a name
that starts with ``-``). So every call here names its input ``file:/absolute/path`` after
``-i``, allows only the ``file`` protocol, refuses the playlist and concatenation demuxers, reads
the file in the format that probing found, and has a time limit. Decoded audio goes to a file
beside the cache and is mapped, not held, so memory does not grow with the hours; recordings
longer than ``max_hours`` are refused before they are decoded.

>>> ffmpeg_input(Path("/tmp/-talk.mp3"))
['-protocol_whitelist', 'file', '-i', 'file:/tmp/-talk.mp3']
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.errors import BadSource

if TYPE_CHECKING:  # numpy loads with the first recording: `sosie --help` stays quick
    import numpy as np

SAMPLE_RATE = 16_000
PROBE_SECONDS = 30
MAX_HOURS = 4.0  # the default limit on one recording (Listening.max_hours, --max-hours)
# demuxers that open other files or URLs named inside the file
PLAYLISTS = {"hls", "applehttp", "concat", "ffconcat", "dash", "webm_dash_manifest", "tee", "image2",
             "imagepipe", "subfile", "data", "lavfi"}


def ffmpeg_input(path: Path) -> list[str]:
    """The arguments that name ``path`` to ffprobe or ffmpeg as a local file and nothing else."""
    return ["-protocol_whitelist", "file", "-i", f"file:{Path(path).resolve()}"]


def run(command: list[str], path: Path, seconds: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, check=False, timeout=seconds,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise BadSource(f"{path}: reading recordings needs ffmpeg, which is not installed "
                        "(apt-get install ffmpeg)") from exc
    except subprocess.TimeoutExpired as exc:
        raise BadSource(f"{path}: {command[0]} did not finish in {seconds:.0f} s; "
                        "is it a recording?") from exc


def last_line(stderr: bytes, path: Path) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].removeprefix(f"file:{Path(path).resolve()}: ").removeprefix(f"{path}: ") if lines \
        else "no message"


def probe(path: Path, max_hours: float = MAX_HOURS) -> dict:
    """Duration, container and first audio stream of a recording, or :class:`BadSource` why not."""
    done = run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                *ffmpeg_input(path)], path, PROBE_SECONDS)
    if done.returncode != 0:
        raise BadSource(f"{path}: not a readable recording ({last_line(done.stderr, path)})")
    found = json.loads(done.stdout or b"{}")
    container = found.get("format") or {}
    formats = str(container.get("format_name") or "").split(",")
    if PLAYLISTS & set(formats):
        raise BadSource(f"{path}: a playlist ({container.get('format_name')}), not a recording; "
                        "give the recording itself")
    streams = found.get("streams") or []
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not audio:
        kinds = ", ".join(f"{s.get('codec_type')} {s.get('codec_name')}" for s in streams) or "none"
        raise BadSource(f"{path}: no audio stream in it (streams: {kinds}); nothing to transcribe")
    duration = float(container.get("duration") or audio[0].get("duration") or 0)
    if duration > max_hours * 3600:
        raise BadSource(f"{path}: {duration / 3600:.1f} hours of audio (limit {max_hours:g} h); split it, "
                        "or raise the limit with --max-hours")
    return {"duration": duration, "codec": audio[0].get("codec_name") or "unknown", "format": formats[0],
            "video": any(s.get("codec_type") == "video" for s in streams),
            "tags": provenance(container.get("tags") or {})}


def provenance(tags: dict) -> dict:
    """Title, date and web page from the file's own tags: yt-dlp's --embed-metadata writes the
    page into ``purl`` (and ``comment``), so a downloaded talk cites its moment on that page."""
    tags = {str(k).lower(): str(v) for k, v in tags.items()}
    found = {"title": tags.get("title"), "date": tags.get("date") or tags.get("creation_time")}
    found["source"] = next((tags[k] for k in ("purl", "comment", "url")
                            if tags.get(k, "").startswith(("http://", "https://"))), None)
    return {k: v for k, v in found.items() if v}


def decode(path: Path, found: dict, into: Path | None = None) -> np.ndarray:
    """The first audio stream as 16 kHz mono float32 samples, written to a file (``into``'s
    folder, else a temporary one) and mapped read-only."""
    import numpy as np

    codec = found.get("codec", "unknown")
    if codec in ("none", "unknown"):
        raise BadSource(f"{path}: its audio codec ({codec}) is not one this ffmpeg decodes; "
                        "convert it to WAV, FLAC or MP3 first")
    folder = Path(into).parent if into else Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".decoded-", suffix=".f32") as raw:
        seconds = 60 + found.get("duration", 0) / 10  # ffmpeg decodes far faster than real time
        command = ["ffmpeg", "-nostdin", "-v", "error", "-f", found.get("format") or "auto",
                   *ffmpeg_input(path), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
                   "-f", "f32le", "-y", raw.name]
        if command[5] == "auto":
            del command[4:6]
        done = run(command, path, seconds)
        message = last_line(done.stderr, path)
        if "decoder" in message.lower() and "not found" in message.lower():
            raise BadSource(f"{path}: its audio codec ({codec}) is not one this ffmpeg decodes; "
                            "convert it to WAV, FLAC or MP3 first")
        size = Path(raw.name).stat().st_size
        if done.returncode != 0 or not size:
            raise BadSource(f"{path}: not a readable recording ({message})")
        # mapped, so the samples are paged in as they are read, not held (an hour is 230 MB);
        # the mapping outlives the deleted file's name
        return np.memmap(raw.name, dtype=np.float32, mode="r", shape=(size // 4,))


def loudness(audio: np.ndarray, chunk: int = 60 * SAMPLE_RATE) -> float:
    """The root mean square of the samples, a minute at a time: a mapped file's pages are let go
    as they are read, so two silent hours cost a minute's memory, not two hours'."""
    import mmap

    import numpy as np

    total, squares = len(audio), 0.0
    handle = getattr(audio, "_mmap", None)
    for start in range(0, total, chunk):
        piece = np.asarray(audio[start:start + chunk], dtype=np.float64)
        squares += float(np.dot(piece, piece))
        if handle is not None and hasattr(mmap, "MADV_DONTNEED"):
            page = mmap.PAGESIZE
            begin = (start * 4) // page * page
            handle.madvise(mmap.MADV_DONTNEED, begin, max(0, min(len(handle), (start + chunk) * 4) - begin))
    return (squares / total) ** 0.5 if total else 0.0
