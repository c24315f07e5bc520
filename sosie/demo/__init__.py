"""The bundled demo: two FICTIONAL subjects written for Sosie, so it runs with no downloads.

Rowan Adler (the main subject) and Wren Halloway (a shorter second subject, used by the tests
to check that one persona never answers with the other's words) are not real people.
"""

from __future__ import annotations

from pathlib import Path

from sosie.persona import Persona

DEMO_DIR = Path(__file__).parent
FICTIONAL_NOTE = "Fictional subject written for the Sosie demo; not a real person."

DEMO_PERSONAS: dict[str, dict] = {
    "rowan": {
        "name": "Rowan Adler",
        "aliases": ["Rowan", "Adler", "R. Adler"],
        "pronoun": "his",
        "description": (
            "Fictional founder of Lantern Systems (offline-first search for public libraries), "
            "born 1971 in Duluth, lives in Rotterdam. Written for the Sosie demo; not a real person."
        ),
    },
    "wren": {
        "name": "Wren Halloway",
        "aliases": ["Wren", "Halloway"],
        "pronoun": "her",
        "description": (
            "Fictional marine biologist and lighthouse keeper on Inchmora, author of 'Salt Clock'. "
            "Written for the Sosie demo; not a real person."
        ),
    },
}


def corpus_dir(slug: str) -> Path:
    return DEMO_DIR / slug


def questions(slug: str) -> list[str]:
    lines = (DEMO_DIR / "questions" / f"{slug}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def create_demo_persona(slug: str, home: str | Path | None = None) -> Persona:
    """Create (or reopen) a demo persona and add its bundled corpus; idempotent."""
    spec = DEMO_PERSONAS[slug]
    persona = Persona.create(
        slug,
        spec["name"],
        spec["aliases"],
        home=home,
        exist_ok=True,
        pronoun=spec["pronoun"],
        description=spec["description"],
        fictional=True,
        consent="none",
        consent_note=FICTIONAL_NOTE,
        provenance_note="Bundled with the sosie package (sosie/demo); written for the project.",
    )
    report = persona.add(corpus_dir(slug))
    if not report.ok:
        raise RuntimeError("demo corpus failed to ingest: " + "; ".join(m for _, m in report.failed))
    return persona
