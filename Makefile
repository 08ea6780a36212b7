# Two commands on a fresh machine: `make demo` runs the desk on the emulated tenant, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench fuzz clean serve migrate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python app.py demo

test: $(STAMP) demo/node_modules/.installed typecheck
	$(BIN)/ruff check .
	$(BIN)/pytest -q $(PYTEST_ARGS)

# The Agents Playground (npm, pinned in demo/package-lock.json) for the demo and its end-to-end test;
# without npm the test says it was skipped and why; CI (CI=true) requires it.
demo/node_modules/.installed: demo/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then echo "npm not found: the Playground tests will be skipped (not in CI)"; \
	elif npm ci --prefix demo --ignore-scripts --no-audit --no-fund --loglevel=error; then touch $@; \
	else echo "npm ci failed: the Playground tests will be skipped (not in CI)"; fi

lint: $(STAMP)
	$(BIN)/ruff check .

# mypy over the product code ([tool.mypy] in pyproject.toml); .mypy_cache keeps a re-run to seconds.
typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.approve_roundtrip
	$(BIN)/python -m bench.bulk_assign
	$(BIN)/python -m bench.bulk_members
	$(BIN)/python -m bench.sync_tenant
	$(BIN)/python -m bench.history_query
	$(BIN)/python -m bench.admin_desk
	$(BIN)/python -m bench.stages

# 10,000 generated activities against the real desk: counts by status, 5xx and tracebacks (expected 0).
fuzz: $(STAMP)
	$(BIN)/python -m bench.fuzz_activities $(FUZZ_ARGS)

serve: $(STAMP)
	$(BIN)/python app.py serve

migrate: $(STAMP)
	$(BIN)/python app.py migrate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .demo desk.db desk.db-*
