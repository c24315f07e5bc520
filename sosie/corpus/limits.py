"""What one input may cost, in one place: every reader that inflates (a .zip, the parts of a
.docx, a PNG's picture) checks against these before it reads, and says which limit in one line.

>>> import io, zipfile
>>> packed = io.BytesIO()
>>> with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
...     zf.writestr("word/document.xml", "<w/>" * 200_000)
>>> try:
...     check_members("talk.docx", zipfile.ZipFile(packed))
... except BadSource as exc:
...     print(exc)
talk.docx: its part word/document.xml is compressed 1003:1 (limit 200:1), a suspected zip bomb; not read
"""

from __future__ import annotations

import zipfile

from sosie.errors import BadSource

MAX_FILE_BYTES = 64 * 2**20  # one file, or one member of a container, read whole
MAX_ARCHIVE_BYTES = 1024 * 2**20  # all members of one .zip, uncompressed
MAX_RATIO = 200  # uncompressed / compressed size above which a member is a suspected bomb
MAX_PICTURE_PIXELS = 40_000_000  # a character card's picture (Pillow warns from 89 million)


def check_members(name: str, archive: zipfile.ZipFile, what: str = "part") -> None:
    """Refuse a container whose members would inflate past the limits. The sizes checked are
    the declared ones, and zipfile never reads a member past its declared size."""
    members = [m for m in archive.infolist() if not m.is_dir()]
    if sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
        raise BadSource(f"{name}: expands past {MAX_ARCHIVE_BYTES // 2**20} MB; not read")
    for member in members:
        if member.file_size > MAX_FILE_BYTES:
            raise BadSource(f"{name}: its {what} {member.filename} expands to {member.file_size / 2**20:.0f} "
                            f"MB (limit {MAX_FILE_BYTES // 2**20} MB); not read")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.compress_size and ratio > MAX_RATIO:
            raise BadSource(f"{name}: its {what} {member.filename} is compressed {ratio:.0f}:1 "
                            f"(limit {MAX_RATIO}:1), a suspected zip bomb; not read")
