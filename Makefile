# Two commands for a fresh machine: `make run` (the app on the shipped corpus) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1

.PHONY: run test check index bench clean

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: 2.13.0 is the CPU build; an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python app.py

test: $(VENV)/.installed
	$(BIN)/ruff check bot tests benchmarks app.py
	$(BIN)/python -m pytest

index: $(VENV)/.installed
	$(BIN)/python -m bot index

clean:
	rm -rf $(VENV) index/current index/v-* index/.build-*
