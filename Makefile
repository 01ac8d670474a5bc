# The two commands of the README. Each installs what it needs, idempotently, so either works
# first on a fresh machine: the virtualenv (.venv), the package with its test extra, and the
# Pulumi engine (scripts/install-pulumi.sh, cached per user by version).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-long lint engine policy-pack dist clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --group genai  # see [dependency-groups] in pyproject.toml
	touch $@

engine:
	@scripts/install-pulumi.sh >/dev/null

# The policy pack's own virtualenv (policies/.venv); `pulumi preview --policy-pack policies`.
policy-pack:
	@scripts/install-policy-pack.sh >/dev/null

# A versioned wheel and sdist (the version lives in provider/vertex_tuning/_version.py).
DIST ?= dist
dist: $(BIN)/.installed
	rm -rf $(DIST)
	$(BIN)/python -m build --outdir $(DIST) .

lint: $(BIN)/.installed
	$(BIN)/ruff check provider tests stacks bench scripts policies templates ci
	$(BIN)/ruff format --check provider tests stacks bench scripts policies templates ci
	$(BIN)/mypy

# Workers: the suite mostly waits on the engine and the emulators, so more workers than CPUs.
# One module's tests stay on one worker (loadscope), so a module-scoped fixture (a deployed
# stack, a built wheel, the bad-input previews) is set up once.
TEST_WORKERS ?= 4
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

test: $(BIN)/.installed engine policy-pack lint
	PATH="$$(scripts/install-pulumi.sh):$$PATH" $(PYTEST) -m "not long"

# The slow end-to-end runs (the wheel installed by `pulumi new`, the CI scripts on a gs://
# backend, two stacks on the team backend): about 5 minutes on 2 CPUs. CI runs it after test.
test-long: $(BIN)/.installed engine policy-pack
	@scripts/install-actionlint.sh >/dev/null
	PATH="$$(scripts/install-pulumi.sh):$$PATH" $(PYTEST) -m long

demo: $(BIN)/.installed engine
	PATH="$$(scripts/install-pulumi.sh):$(CURDIR)/$(BIN):$$PATH" scripts/demo.sh

clean:
	rm -rf $(VENV) .demo policies/.venv $(DIST)
