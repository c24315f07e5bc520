"""Shared fixtures: the real demo corpus, the real embedding model, real SQLite on disk.

The demo personas are built once per test session (the embedding model loads once per
process); tests that change a corpus make their own small persona in a temporary home.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sosie import Persona
from sosie.demo import DEMO_DIR, create_demo_persona

ROWAN_DIR = DEMO_DIR / "rowan"
WREN_DIR = DEMO_DIR / "wren"
PODCAST = ROWAN_DIR / "transcripts" / "2016-09-14-lantern-hours-podcast.txt"
SOSIE = Path(sys.executable).with_name("sosie")  # the console-script entry point
ROOT_FIXTURES = Path(__file__).parent / "fixtures"

# The default model is the best one installed (sosie.models.DEFAULT_RANKING); the tests keep
# the bundled SmolLM2 for speed and sameness, whatever this machine has assembled. A test that
# needs a catalogue model sets SOSIE_MODELS itself.
os.environ["SOSIE_MODELS"] = str(Path(__file__).parent / ".no-models")


def copy_workspace(source: Path, target: Path) -> Path:
    """Copy a persona's folder while its sosie.db is open elsewhere in this process. Plain file
    I/O on a live SQLite file is unsafe: closing any descriptor on it drops every lock this
    process holds on it, so the database goes through SQLite's backup API instead."""
    import sqlite3

    shutil.copytree(source, target, ignore=shutil.ignore_patterns("sosie.db*"))
    src, dst = sqlite3.connect(source / "sosie.db"), sqlite3.connect(target / "sosie.db")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("demo-home")
    for slug in ("rowan", "wren"):
        with create_demo_persona(slug, home) as persona:
            persona.build()
    return home


@pytest.fixture(scope="session")
def rowan(demo_home) -> Persona:
    return Persona.open("rowan", demo_home)


@pytest.fixture(scope="session")
def wren(demo_home) -> Persona:
    return Persona.open("wren", demo_home)


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def small(home, tmp_path) -> Persona:
    """A fresh Rowan persona over copies of two demo files (so tests may edit them)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PODCAST, corpus / PODCAST.name)
    essay = ROWAN_DIR / "essays" / "2015-06-03-machines-for-bumping-into-people.md"
    shutil.copy(essay, corpus / essay.name)
    persona = Persona.create("small", "Rowan Adler", ["Rowan", "Adler"], home=home, pronoun="his")
    persona.corpus_dir = corpus  # type: ignore[attr-defined]
    yield persona
    persona.close()


def run_cli(*args: str, home: Path | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if home is not None:
        env["SOSIE_HOME"] = str(home)
    return subprocess.run(
        [str(SOSIE), *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def run_in_process(*args: str, home: Path):
    """The ``sosie`` command in this process: the same Typer app, stdout and stderr apart, and
    no ~10 s spent importing the embedding model again as a fresh process would. Tests of the
    entry point itself use :func:`run_cli`."""
    from typer.testing import CliRunner

    from sosie.cli import app

    done = CliRunner().invoke(app, [*args, "--home", str(home)])
    done.returncode = done.exit_code  # the name subprocess results use
    return done


@pytest.fixture(scope="session")
def qwen_models(tmp_path_factory) -> Path:
    """A models folder holding the default model, Qwen2.5-1.5B: the user's own, where `make test`
    assembled it, else joined here from its installed parts (a few seconds). The tests of what a
    model decides (tests/test_real_model.py) run on it; without its parts they fail, never skip."""
    from platformdirs import user_data_dir

    from sosie import models

    user = Path(user_data_dir("sosie", appauthor=False)) / "models"
    if (user / "qwen2.5-1.5b" / "model.json").is_file():
        return user
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOSIE_MODELS", str(folder))
        models.add_model("qwen2.5-1.5b")  # BadModel names the pip command when the parts are missing
    return folder


@pytest.fixture(scope="session")
def model_stub():
    """A stand-in language model on loopback that streams its reply a piece at a time."""
    from openai_stub import StubServer

    with StubServer(delay=0.03) as server:
        yield server


@pytest.fixture(scope="session")
def served(demo_home, model_stub):
    """``sosie serve`` for rowan and wren on a free loopback port; the generative engine's
    backend is the stub model, so streaming is real and fast."""
    from live_server import LiveServer

    from sosie.serve import ServeSettings, create_app

    personas = [Persona.open(slug, demo_home) for slug in ("rowan", "wren")]
    settings = ServeSettings(
        engine_options={"backend": "openai", "model": "stub", "base_url": model_stub.base_url}
    )
    with LiveServer(create_app(personas, settings)) as server:
        yield server
    for persona in personas:
        persona.close()


# -- the web pages in headless Chromium (tests/test_web.py, tests/test_audio.py) --------------
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (Debian's, which `make test` installs) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# -- the unit tier (`make test-unit`): seconds, no model loads, no Debian packages ----------
# Test files whose quick tests touch no embedding model, no language model, no browser and no
# server process: Sosie's own logic on real files (the reader on real records' layouts, the
# grammar of labels, the layers, the registry of models, the docstring examples).
UNIT_FILES = {"test_layers.py", "test_speakers.py", "test_real_shapes.py", "test_speaker_properties.py",
              "test_build_lock.py", "test_models.py", "test_doctests.py"}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.path.name in UNIT_FILES and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.unit)
