# kpigov: `make demo` runs the main job on the embedded store; `make test` runs the test suite.
# Both create the virtualenv on a fresh machine (Python >= 3.11) from the pinned constraints.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
DEMO   := .kpigov-demo

.PHONY: venv demo test bench schema clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,service,publish]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

demo: venv
	@bash scripts/demo.sh

test: venv
	$(BIN)/python -m pytest

bench: venv
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

schema: venv
	$(BIN)/kpigov schema --out schemas

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
