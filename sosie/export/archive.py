"""The portable persona archive, ``SLUG.sosie.tar.gz``: what is in it and the names both sides
agree on. :func:`sosie.export.pack.pack` writes one; :func:`sosie.export.unpack.unpack` checks
one and restores it.

Layout of the archive (every member a regular file under one top folder named after the slug)::

    SLUG/manifest.json      what this is, who it simulates, and the size and sha256 of every file
    SLUG/persona.toml       the persona card (disclosure, consent, settings)
    SLUG/sosie.db           the SQLite store, copied with the backup API (a consistent snapshot)
    SLUG/profile.json       the style profile, if built
    SLUG/index/CURRENT      the live index build only, never partial or old builds
    SLUG/index/build-*/...
    SLUG/adapter/..., SLUG/eval/..., SLUG/dataset/..., SLUG/train/run.json   when present

Left out by default, and named in the manifest's ``left_out``: training checkpoints
(``train/checkpoints``: large, and only useful to resume a run) and exports (``export/``:
rebuilt from the rest by ``sosie export``).

Why ``.tar.gz`` rather than ``.zip``: ``tarfile`` reports each member's type, so links,
devices and other non-files are refused by name before anything is written; one gzip stream
compresses the many small index files together; and ``tar tzf`` lists it anywhere.

``unpack`` checks everything before the persona appears: a manifest that parses, no member it
does not list, no listed file missing, sizes and sha256 equal, no absolute path, ``..``, link or
device. Files are written into a hidden folder inside the home and renamed into place at once;
any failure removes that folder and raises one :class:`SosieError` line naming the file.

The manifest guards against damage and accidental change; it is not a signature: someone who
rewrites a file and its manifest entry together makes a consistent archive.
"""

from __future__ import annotations

import gzip
import tarfile
import zlib

FORMAT = "sosie-persona"
FORMAT_VERSION = 1
SUFFIX = ".sosie.tar.gz"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a manifest this big is not one pack wrote
CHUNK = 1024 * 1024
# The workspace entries an archive may restore; anything else is refused, so an archive can
# never plant, say, a stray ``sosie.db-wal`` beside the database.
FOLDERS = ("index", "adapter", "eval", "dataset", "train", "export")
FILES = ("persona.toml", "sosie.db", "profile.json")
REQUIRED = ("persona.toml", "sosie.db")
# what a truncated or corrupted gzip stream raises somewhere inside tarfile
DAMAGE = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)
