"""The persona card: ``persona.toml``, a small readable file beside ``sosie.db``.

Every setting is a dataclass field whose metadata carries its help text, so the settings are
one table of (table, name, type, default, help) -- :func:`settings_table` -- that the ``sosie``
flags, the README check and the validation of ``persona.toml`` all read.

>>> PersonaConfig(slug="ada", name="Ada Example").disclosure
'Simulated Ada Example — built from their recorded words; not the real person.'
>>> [s.key for s in settings_table() if s.table == "quote"][:2]
['quote.min_similarity', 'quote.question_match']
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tomllib
import typing
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import tomli_w

from sosie.errors import SosieError, UnknownPersona
from sosie.files import atomic_write

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CONSENT_VALUES = ("self", "granted", "public-record", "none")
PRONOUNS = {"her": "her", "his": "his", "their": "their", "she": "her", "he": "his", "they": "their"}


def home_dir(home: str | Path | None = None) -> Path:
    """Where persona workspaces live: ``home`` > ``$SOSIE_HOME`` > the platform's user data dir."""
    if home:
        return Path(home).expanduser()
    if os.environ.get("SOSIE_HOME"):
        return Path(os.environ["SOSIE_HOME"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("sosie", appauthor=False))


def check_slug(slug: str) -> str:
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):  # "zed\n" matches ^...$ with .match
        raise SosieError(
            f"invalid persona name {slug!r}: use 1-64 lowercase letters, digits, '-' or '_' "
            "(e.g. 'ada')"
        )
    return slug


def setting(
    default: Any = MISSING, *, help: str, factory: Callable[[], Any] | None = None,
    flag: str = "", flag_help: str = "", key: str = "",
) -> Any:
    """A settings field: its default and help, and optionally the ``sosie`` flag that overrides it
    (``flag``, with its own short ``flag_help``) and its key in ``persona.toml`` when that is not
    the field's name (``key="consent.status"``)."""
    metadata = {"help": help, "flag": flag, "flag_help": flag_help, "key": key}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class RetrievalSettings:
    """How every engine finds the person's passages and the quote engine quotes them; ``[quote]``
    in ``persona.toml``, named when only the quote engine read it (kept: every card has it)."""

    min_similarity: float = setting(
        0.25, help="cosine below which a passage is not about the question (raise it to abstain more)")
    question_match: float = setting(
        0.62, help="cosine at which a past question counts as the same question")
    max_passages: int = setting(3, help="passages quoted in one answer")
    max_words: int = setting(90, help="soft cap on the answer's length")
    mmr_lambda: float = setting(0.7, help="relevance vs novelty when picking passages")
    recency: float = setting(
        0.1, help="how much a later statement is preferred over an earlier one about as good "
        "(0: by content alone)")


@dataclass
class GenerativeSettings:
    """The generative engine and its backend (``[generative]`` in ``persona.toml``)."""

    backend: str = setting(
        "auto", help="`auto`, `transformers`, `llamacpp` (prebuilt), `llama-cpp-python` or `openai`; "
        "`auto` = the best installed model's backend (see `sosie models`)",
        flag="--backend", flag_help="Generative backend: auto, transformers, llamacpp, llama-cpp-python "
        "or openai.")
    model: str = setting(
        "", help="model path, folder or catalogue name; empty = the best installed (qwen2.5-1.5b "
        "with llama.cpp, else the bundled SmolLM2)",
        flag="--model", flag_help="Model path, folder or name (default: the best installed).")
    grounding: str = setting(
        "strict", help="`strict` (only the person's sentences, which the model chooses and orders by "
        "number), `balanced` "
        "(new sentences only where a source supports them) or `free` (the model's words, tagged)",
        flag="--grounding", flag_help="How closely answers keep to the sources: strict, balanced or free.")
    base_url: str = setting(
        "", help="the `openai` backend's server",
        flag="--base-url", flag_help="OpenAI-compatible server for --backend openai.")
    max_new_tokens: int = setting(160, help="answer length cap, in tokens")
    temperature: float = setting(0.7, help="sampling temperature (0 = greedy)")
    top_p: float = setting(0.9, help="nucleus sampling")
    seed: int = setting(0, help="sampling seed: the same question gives the same answer (with "
                        "`llamacpp`, once its prompt is cached: the first reading may differ by a token)")
    context_tokens: int = setting(
        2048, help="prompt + answer budget; older interview turns are dropped to fit")
    threads: int = setting(
        0, help="`llamacpp`: CPU threads for the model; 0 = the measured default (2: see the README's "
        "serving benchmark)")
    sources: int = setting(4, help="passages numbered in the prompt")
    choices: int = setting(
        6, help="`strict`: the person's sentences the model chooses from (fewer: a shorter prompt, "
        "a faster answer)")
    few_shot: int = setting(2, help="real question/answer pairs shown as examples")
    supported_similarity: float = setting(
        0.55, help="cosine to a source at which a sentence counts as supported")
    replace_similarity: float = setting(
        0.35, help="`strict`, when the model answers in prose instead of numbers: cosine at which the "
        "closest real sentence replaces an unsupported one (below it the sentence is removed)")
    regenerate: int = setting(
        2, help="`balanced`: unsupported sentences regenerated once with their evidence "
        "(the rest are removed)")
    fit_length: bool = setting(
        True, help="cut answers longer than the person's usual (the profile's 90th percentile of words)")


@dataclass
class TrainSettings:
    """LoRA fine-tuning (``sosie train``, ``[train]`` in ``persona.toml``); the fields with a
    ``flag`` are also ``sosie train`` options."""

    base_model: str = setting(
        "", help="base model for `sosie train`; empty = the bundled SmolLM2-135M-Instruct; or a local "
        "HF folder / hub id", flag="--base-model", flag_help="Local HF folder or hub id (default: bundled).")
    rank: int = setting(8, help="LoRA rank", flag="--rank", flag_help="LoRA rank.")
    alpha: int = setting(16, help="LoRA alpha; the update is scaled by alpha / rank",
                         flag="--alpha", flag_help="LoRA alpha.")
    dropout: float = setting(0.05, help="LoRA dropout")
    target_modules: list[str] = setting(
        factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"], help="the layers that get LoRA weights")
    learning_rate: float = setting(2e-4, help="peak learning rate, linear decay",
                                   flag="--lr", flag_help="Learning rate.")
    epochs: float = setting(2.0, help="passes over the training examples",
                            flag="--epochs", flag_help="Passes over the data.")
    max_steps: int = setting(0, help="when > 0, stop after this many steps instead",
                             flag="--max-steps", flag_help="Stop after N steps.")
    batch_size: int = setting(4, help="examples per device per step",
                              flag="--batch-size", flag_help="Examples per step.")
    gradient_accumulation: int = setting(1, help="steps whose gradients are summed before an update")
    max_length: int = setting(512, help="tokens per example; longer ones are cut",
                              flag="--max-length", flag_help="Tokens per example.")
    include_text: bool = setting(True, help="train on monologue passages as plain text too")
    max_turns: int = setting(3, help="consecutive real exchanges kept together as one conversation")
    eval_every: int = setting(50, help="steps between held-out eval losses and checkpoints",
                              flag="--eval-every", flag_help="Steps between evals.")
    seed: int = setting(0, help="the seed of LoRA's initialisation, the data order and dropout",
                        flag="--seed", flag_help="Random seed.")


@dataclass
class PersonaConfig:
    slug: str  # the workspace folder's name; written to persona.toml, not a setting to edit
    name: str = setting(help="the subject's name")
    aliases: list[str] = setting(factory=list, help="other names; they also match transcript labels")
    description: str = setting("", help="who the person is, one or two sentences")
    pronoun: str = setting("their", help="`her`, `his` or `their`, used in the disclosure")
    disclosure: str = setting("", help="shown with every answer; may be reworded, never removed")
    default_engine: str = setting("quote", help="engine used when `--engine` is not given")
    consent: str = setting("none", key="consent.status",
                           help="`self`, `granted`, `public-record` or `none`")
    consent_note: str = setting("", key="consent.note", help="who consented, how, when")
    provenance_note: str = setting("", key="provenance.note", help="where the corpus came from")
    fictional: bool = setting(False, help="true for invented subjects such as the demo's")
    near_duplicate_jaccard: float = setting(
        0.8, help="passages at least this alike (MinHash Jaccard of word 3-shingles) are indexed once; "
        "`1.0` keeps all but exact copies apart")
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)  # [quote] in persona.toml
    generative: GenerativeSettings = field(default_factory=GenerativeSettings)
    train: TrainSettings = field(default_factory=TrainSettings)

    def __post_init__(self) -> None:
        check_slug(self.slug)
        if not self.name.strip():
            raise SosieError("a persona needs a --name, e.g. --name \"Ada Example\"")
        self.pronoun = PRONOUNS.get(self.pronoun.lower(), "their")
        if self.consent not in CONSENT_VALUES:
            raise SosieError(
                f"consent must be one of {', '.join(CONSENT_VALUES)}, not {self.consent!r}"
            )
        if not self.disclosure.strip():
            self.disclosure = (
                f"Simulated {self.name} — built from {self.pronoun} recorded words; "
                "not the real person."
            )

    @property
    def quote(self) -> RetrievalSettings:
        """The old name of :attr:`retrieval` (still its table's in ``persona.toml``)."""
        return self.retrieval

    def to_toml(self) -> str:
        data = asdict(self)
        quote = data.pop("retrieval")
        generative = data.pop("generative")
        train = data.pop("train")
        consent = {"status": data.pop("consent"), "note": data.pop("consent_note")}
        provenance = {"note": data.pop("provenance_note")}
        data = {"format": 1, **data, "consent": consent, "provenance": provenance,
                "quote": quote, "generative": generative, "train": train}
        return tomli_w.dumps(data)

    @classmethod
    def from_toml(cls, text: str, where: Path) -> PersonaConfig:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SosieError(f"{where}: not valid TOML ({exc}); fix or recreate it") from exc
        check_keys(data, where)
        data.pop("format", None)
        consent = data.pop("consent", {})
        provenance = data.pop("provenance", {})
        quote = data.pop("quote", {})
        generative = data.pop("generative", {})
        train = data.pop("train", {})
        try:
            return cls(
                **data,
                consent=consent.get("status", "none"),
                consent_note=consent.get("note", ""),
                provenance_note=provenance.get("note", ""),
                retrieval=RetrievalSettings(**quote),
                generative=GenerativeSettings(**generative),
                train=TrainSettings(**train),
            )
        except TypeError as exc:
            raise SosieError(f"{where}: {exc}") from exc


class Setting(NamedTuple):
    """One row of the settings table: ``table`` is "" for the top level of ``persona.toml``."""

    table: str
    name: str
    type: Any
    default: Any
    help: str
    flag: str = ""  # the sosie option that overrides it, if any
    flag_help: str = ""
    attr: str = ""  # the dataclass field it is stored in

    @property
    def key(self) -> str:
        """Its dotted key in ``persona.toml``: ``quote.min_similarity``, ``consent.status``."""
        return f"{self.table}.{self.name}" if self.table else self.name


def _rows(cls: type, table: str) -> list[Setting]:
    types = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        if "help" not in f.metadata:
            continue  # the slug and the nested tables
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        where, _, name = (f.metadata["key"] or f"{table}.{f.name}").rpartition(".")
        rows.append(Setting(where, name, types[f.name], None if default is MISSING else default,
                            f.metadata["help"], f.metadata["flag"], f.metadata["flag_help"], f.name))
    return rows


@functools.cache
def settings_table() -> tuple[Setting, ...]:
    """Every setting a user sets in ``persona.toml``, in file order:
    ``(Setting(table='', name='name', ...), ..., Setting(table='train', name='seed', ...))``."""
    nested = {"quote": RetrievalSettings, "generative": GenerativeSettings, "train": TrainSettings}
    rows = _rows(PersonaConfig, "")
    return tuple(rows + [row for table, cls in nested.items() for row in _rows(cls, table)])


def settings_of(table: str) -> dict[str, Setting]:
    """One table's rows by field name: ``settings_of("train")["learning_rate"].flag == "--lr"``."""
    return {row.attr: row for row in settings_table() if row.table == table and row.attr}


def valid_keys() -> dict[str, list[str]]:
    """The keys ``persona.toml`` may hold, by table ("" = the top level)."""
    keys: dict[str, list[str]] = {"": ["format", "slug"]}
    for row in settings_table():
        keys.setdefault(row.table, []).append(row.name)
    keys[""] += [table for table in keys if table and table not in keys[""]]
    return keys


def check_keys(data: dict, where: Path) -> None:
    """An unknown key fails in one line that names it and the valid ones (a typo in a setting
    would otherwise be silently ignored or reported as a Python TypeError)."""
    valid = valid_keys()
    unknown = sorted(set(data) - set(valid[""]))
    if unknown:
        raise SosieError(f"{where}: unknown setting(s) {', '.join(unknown)}; "
                         f"valid: {', '.join(valid[''])}")
    for table, keys in valid.items():
        if table and isinstance(data.get(table), dict):
            unknown = sorted(set(data[table]) - set(keys))
            if unknown:
                raise SosieError(f"{where}: unknown setting(s) {', '.join(f'{table}.{k}' for k in unknown)}; "
                                 f"valid in [{table}]: {', '.join(keys)}")


def workspace_path(slug: str, home: str | Path | None = None) -> Path:
    return home_dir(home) / check_slug(slug)


def load_config(workspace: Path) -> PersonaConfig:
    card = workspace / "persona.toml"
    if not card.is_file():
        raise UnknownPersona(
            f"no persona {workspace.name!r} in {workspace.parent} "
            f"(create it with: sosie new {workspace.name} --name \"Full Name\")"
        )
    return PersonaConfig.from_toml(card.read_text(encoding="utf-8"), card)


def save_config(workspace: Path, config: PersonaConfig) -> None:
    # the card holds consent notes and provenance: its owner's alone (0600)
    atomic_write(workspace / "persona.toml", config.to_toml(), mode=0o600)
