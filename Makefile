# Two commands for a fresh machine: `make run` (the app on the shipped corpus) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1

.PHONY: run test check index bench clean

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	# exact versions for a reproducible install; torch 2.13.0 is the CPU build (an unpinned
	# torch would pull a multi-GB CUDA build)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# one machine: build (or update) the index, then serve it; replicas only serve (`python -m bot serve`)
run: $(VENV)/.installed
	$(BIN)/python -m bot index
	$(BIN)/python app.py

test: $(VENV)/.installed
	$(BIN)/ruff check bot tests benchmarks app.py
	$(BIN)/python -m pytest

index: $(VENV)/.installed
	$(BIN)/python -m bot index

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/quality.py

clean:
	rm -rf $(VENV) index/current index/v-* index/.build-* index/models
