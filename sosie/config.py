"""The persona card: ``persona.toml``, a small readable file beside ``sosie.db``.

>>> PersonaConfig(slug="ada", name="Ada Example").disclosure
'Simulated Ada Example — built from their recorded words; not the real person.'
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tomli_w

from sosie.errors import SosieError, UnknownPersona

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


@dataclass
class QuoteSettings:
    """Knobs of the quote engine; every field is documented in the README's settings table."""

    min_similarity: float = 0.25  # cosine below which a passage is "not about this question"
    question_match: float = 0.62  # cosine at which a past question counts as the same question
    max_passages: int = 3  # passages quoted in one answer
    max_words: int = 90  # soft cap on the composed answer
    mmr_lambda: float = 0.7  # relevance vs novelty when picking passages


@dataclass
class GenerativeSettings:
    """The generative engine and its backend; every field is in the README's settings table."""

    backend: str = "transformers"  # transformers | llamacpp | openai
    model: str = ""  # a path, folder or model name; "" = the bundled SmolLM2-135M-Instruct
    base_url: str = ""  # the openai backend's server, e.g. http://127.0.0.1:11434/v1
    max_new_tokens: int = 160
    temperature: float = 0.7
    top_p: float = 0.9
    seed: int = 0
    context_tokens: int = 2048  # prompt + answer budget; older interview turns are dropped to fit
    sources: int = 4  # passages numbered in the prompt
    few_shot: int = 2  # real question/answer pairs shown as examples
    supported_similarity: float = 0.55  # cosine to a source at which a sentence counts as supported


@dataclass
class TrainSettings:
    """LoRA fine-tuning (``sosie train``); every field is in the README's settings table."""

    base_model: str = ""  # "" = the bundled SmolLM2-135M-Instruct; or a local HF folder / hub id
    rank: int = 8  # LoRA rank r
    alpha: int = 16  # LoRA alpha (scale = alpha / rank)
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    learning_rate: float = 2e-4
    epochs: float = 2.0
    max_steps: int = 0  # > 0 overrides epochs
    batch_size: int = 4
    gradient_accumulation: int = 1
    max_length: int = 512  # tokens per example; longer ones are cut
    include_text: bool = True  # monologue passages as plain-text (continued pre-training) examples
    max_turns: int = 3  # consecutive question/answer exchanges kept together as one conversation
    eval_every: int = 50  # steps between held-out eval losses (and checkpoints)
    seed: int = 0


@dataclass
class PersonaConfig:
    slug: str
    name: str
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    pronoun: str = "their"
    disclosure: str = ""
    default_engine: str = "quote"
    consent: str = "none"
    consent_note: str = ""
    provenance_note: str = ""
    fictional: bool = False
    near_duplicate_jaccard: float = 0.8  # passages this alike are indexed once (1.0: exact only)
    quote: QuoteSettings = field(default_factory=QuoteSettings)
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

    def to_toml(self) -> str:
        data = asdict(self)
        quote = data.pop("quote")
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
        data.pop("format", None)
        consent = data.pop("consent", {})
        provenance = data.pop("provenance", {})
        quote = data.pop("quote", {})
        generative = data.pop("generative", {})
        train = data.pop("train", {})
        known = set(cls.__dataclass_fields__) - {"quote", "generative", "train", "consent", "consent_note"}
        unknown = set(data) - known - {"provenance_note"}
        if unknown:
            raise SosieError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
        try:
            return cls(
                **data,
                consent=consent.get("status", "none"),
                consent_note=consent.get("note", ""),
                provenance_note=provenance.get("note", ""),
                quote=QuoteSettings(**quote),
                generative=GenerativeSettings(**generative),
                train=TrainSettings(**train),
            )
        except TypeError as exc:
            raise SosieError(f"{where}: {exc}") from exc


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
    card = workspace / "persona.toml"
    tmp = card.with_suffix(".toml.tmp")
    tmp.write_text(config.to_toml(), encoding="utf-8")
    tmp.chmod(0o600)  # the card holds consent notes and provenance: its owner's alone
    os.replace(tmp, card)
