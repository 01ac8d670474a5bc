# The two commands of the README. Each installs what it needs, idempotently, so either works
# first on a fresh machine: the virtualenv (.venv), the package with its test extra, and the
# Pulumi engine (scripts/install-pulumi.sh, cached per user by version).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint engine clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --group genai  # see [dependency-groups] in pyproject.toml
	touch $@

engine:
	@scripts/install-pulumi.sh >/dev/null

lint: $(BIN)/.installed
	$(BIN)/ruff check provider tests stacks bench scripts
	$(BIN)/ruff format --check provider tests stacks bench scripts
	$(BIN)/mypy

test: $(BIN)/.installed engine lint
	PATH="$$(scripts/install-pulumi.sh):$$PATH" $(BIN)/pytest

demo: $(BIN)/.installed engine
	PATH="$$(scripts/install-pulumi.sh):$(CURDIR)/$(BIN):$$PATH" scripts/demo.sh

clean:
	rm -rf $(VENV) .demo
