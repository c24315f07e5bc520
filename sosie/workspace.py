"""``Workspace``: one person's folder (``persona.toml``, ``sosie.db``, ``index/``,
``profile.json``) and what the stages below the engines make of it.

Engines, interviews, evaluation, training and exports all receive a Workspace; nothing here
knows about them. :class:`sosie.persona.Persona` adds the engines on top.

>>> ws = Workspace.create("ada", name="Ada Example", aliases=["Ada"])   # doctest: +SKIP
>>> ws.add("interviews/"); ws.build()                                   # doctest: +SKIP
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sosie.config import PersonaConfig, home_dir, load_config, save_config, workspace_path
from sosie.corpus import IngestReport, Store, ingest
from sosie.corpus.audio import Listening
from sosie.corpus.speakers import Subject
from sosie.errors import NotBuilt, SosieError
from sosie.files import atomic_write

if TYPE_CHECKING:  # the index (bm25s, numpy) loads when first used: `sosie --help` stays quick
    from sosie.index.hybrid import HybridIndex, Progress


def file_stamp(path: Path) -> tuple[int, int, int]:
    """(inode, mtime, size): changes when the file is replaced (as atomic writes do) or edited."""
    found = path.stat()
    return found.st_ino, found.st_mtime_ns, found.st_size


class Kept:
    """What a workspace keeps for the stages above it, made once per key; past ``limit`` keys
    the oldest is forgotten.

    >>> kept = Kept(limit=2)
    >>> kept.get("a", lambda: 1), kept.get("a", lambda: 2)
    (1, 1)
    """

    def __init__(self, limit: int | None = None):
        self.limit = limit
        self._made: dict[Hashable, Any] = {}
        # a server's threads ask at once: one of them makes it (a model loads once), the rest wait
        self._lock = threading.RLock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._made:
                made = make()
                while self.limit is not None and len(self._made) >= self.limit:
                    del self._made[next(iter(self._made))]
                self._made[key] = made
            return self._made[key]

    def values(self) -> list[Any]:
        """What is kept now, oldest first."""
        with self._lock:
            return list(self._made.values())


class Workspace:
    """A workspace folder: ``persona.toml``, ``sosie.db``, ``index/`` and ``profile.json``."""

    def __init__(self, workspace: Path, config: PersonaConfig):
        self.workspace = workspace
        self.config = config
        self._store: Store | None = None
        self._index: HybridIndex | None = None
        self._pointer: tuple | None = None  # see _live_build
        self._profile_seen: tuple | None = None  # (file stamp, profile): see profile()
        # engines made for it, by name and options: a model loads once (sosie.engines.engine_for)
        self.engines = Kept()
        # as-of windows by date, corpus version and index (sosie.engines.retrieval.window); a
        # server sees a few dates at once, each window two boolean masks over the index
        self.windows = Kept(limit=16)
        # where its interviews are kept when not in sosie.db (a server's PostgreSQL, see
        # sosie.interview.records.interview_records); None: sosie.db
        self.interviews: object | None = None

    # -- life cycle ---------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        slug: str,
        name: str,
        aliases: Iterable[str] = (),
        *,
        home: str | Path | None = None,
        exist_ok: bool = False,
        **settings,
    ) -> Workspace:
        """Make a new workspace; ``settings`` are :class:`PersonaConfig` fields."""
        config = PersonaConfig(slug=slug, name=name, aliases=list(aliases), **settings)
        workspace = workspace_path(slug, home)
        if (workspace / "persona.toml").exists():
            if exist_ok:
                return cls.open(slug, home)
            raise SosieError(f"persona {slug!r} already exists at {workspace}")
        if not workspace.parent.exists():
            workspace.parent.mkdir(mode=0o700, parents=True)  # a new home: only its owner reads it
        workspace.mkdir(mode=0o700, exist_ok=True)
        workspace.chmod(0o700)  # a person's words and interviews are private, whatever the umask
        save_config(workspace, config)
        made = cls(workspace, config)
        _ = made.store  # creates sosie.db with its schema
        return made

    @classmethod
    def open(cls, slug: str, home: str | Path | None = None) -> Workspace:
        workspace = workspace_path(slug, home)
        return cls(workspace, load_config(workspace))

    @staticmethod
    def names(home: str | Path | None = None) -> list[str]:
        root = home_dir(home)
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if (p / "persona.toml").is_file())

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def slug(self) -> str:
        return self.config.slug

    def save(self) -> None:
        save_config(self.workspace, self.config)

    # -- corpus -> index ------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.workspace / "sosie.db")
        return self._store

    @property
    def subject(self) -> Subject:
        return Subject(self.config.name, tuple(self.config.aliases))

    def add(
        self, *paths: str | Path, on_file: Callable[[str], None] | None = None, globs: Sequence[str] = (),
        licence: str | None = None, speakers: Mapping[str, str] | None = None, single_speaker: bool = False,
        dry_run: bool = False, listening: Listening | None = None, labels: str | None = None,
    ) -> IngestReport:
        """Ingest files, folders and .zip archives; ``globs`` filter what folders and archives give;
        ``licence`` (e.g. "CC-BY-4.0") is recorded for sources whose front matter names none;
        ``speakers`` maps transcript labels to people (``{"SPEAKER_01": "Ada Example"}``),
        ``single_speaker`` reads the files as one voice, ``dry_run`` stores nothing; ``listening``
        says how recordings are transcribed and their speakers told apart (model, number of
        speakers, a voice sample of the subject); ``labels`` is a regular expression whose group
        ``name`` is a speaker label at the start of a line, for a convention Sosie does not know."""
        return ingest(self.store, paths, self.subject, on_file=on_file, globs=globs, licence=licence,
                      speakers=speakers, single_speaker=single_speaker, dry_run=dry_run,
                      listening=listening, labels=labels)

    def build(self, progress: Progress | None = None) -> dict:
        """Index the passages, then measure the style profile (``profile.json``).

        One build at a time per workspace: a second one raises :class:`BuildRunning` (with the
        running build's pid) instead of racing it for ``index/``."""
        from sosie.index.hybrid import build_index
        from sosie.locks import build_lock

        with build_lock(self.workspace):
            manifest = build_index(
                self.store, self.workspace / "index", progress, self.config.near_duplicate_jaccard
            )
            self._index = self._pointer = None
            self.write_profile(manifest["corpus_version"])
        return manifest

    def write_profile(self, corpus_version: int | None = None) -> dict:
        """Measure and write ``profile.json``; ``corpus_version`` is the index build's, so a
        profile left from an older corpus (a build killed after the index switch) is noticed."""
        from sosie.profile import compute_profile

        mine, others = self.store.turn_texts("subject"), self.store.turn_texts("other")
        profile = {
            "persona": self.slug,
            "corpus_version": self.store.corpus_version if corpus_version is None else corpus_version,
            **compute_profile(mine, others),
        }
        atomic_write(self.workspace / "profile.json", json.dumps(profile, indent=2, ensure_ascii=False))
        return profile

    def profile(self) -> dict:
        """``profile.json``, read again only when the file changed (a build replaces it); every
        caller shares the dict, so none may change it. ``NotBuilt`` before the first build."""
        path = self.workspace / "profile.json"
        if not path.is_file():
            raise NotBuilt(f"persona {self.slug!r} has no style profile yet; run: sosie build {self.slug}")
        stamp = file_stamp(path)
        seen = self._profile_seen  # (stamp, profile), replaced whole: threads read it unlocked
        if seen is not None and seen[0] == stamp:
            return seen[1]
        profile = json.loads(path.read_text(encoding="utf-8"))
        self._profile_seen = (stamp, profile)
        return profile

    def _live_build(self) -> Path | None:
        """The live build folder. A server asks before every answer, so while ``index/CURRENT``
        is the same file as last time (a build replaces it, with a new inode) the answer is the
        one already checked: one ``stat`` instead of reading, resolving and checking folders."""
        from sosie.index.hybrid import current_build

        try:
            stamp = file_stamp(self.workspace / "index" / "CURRENT")
        except FileNotFoundError:
            stamp = None
        seen = self._pointer  # (stamp, live build), replaced whole: threads read it unlocked
        if stamp is not None and seen is not None and seen[0] == stamp:
            return seen[1]
        live = current_build(self.workspace / "index")
        self._pointer = (stamp, live) if live is not None else None
        return live

    @property
    def index(self) -> HybridIndex:
        from sosie.index.hybrid import HybridIndex

        live = self._live_build()
        loaded = self._index
        if loaded is None or live is None or loaded.build != live:
            loaded = self._index = HybridIndex.load(self.workspace / "index", self.slug)
        return loaded

    def index_status(self) -> dict:
        """``{"built": bool, "stale": bool, ...}``; stale means files changed since the build."""
        live = self._live_build()
        if live is None:
            return {"built": False, "stale": False}
        manifest = self.index.manifest
        return {
            "built": True,
            "stale": manifest["corpus_version"] != self.store.corpus_version,
            # the profile is measured after the index switch: a build killed in between leaves
            # the old corpus's profile (or none) beside the new index
            "profile_stale": self._profile_version() != manifest["corpus_version"],
            **manifest,
        }

    def _profile_version(self) -> int | None:
        """The corpus version the profile was measured on (``None``: no readable profile)."""
        try:
            return self.profile()["corpus_version"]
        except (NotBuilt, OSError, ValueError, KeyError, TypeError):
            return None

    @contextmanager
    def holding_out(self, source_paths: Iterable[str], turn_ids: Iterable[int] = ()) -> Iterator[None]:
        """Within this block no engine can retrieve, quote or imitate these sources' words,
        nor these turns' (a split within one source)."""
        passages, turns = self.store.ids_in_sources(list(source_paths))
        extra = list(turn_ids)
        turns |= set(extra)
        passages |= {p for ids in self.store.passage_ids_of_turns(extra).values() for p in ids}
        index = self.index
        index.hide(passages, turns)
        try:
            yield
        finally:
            index.unhide()
