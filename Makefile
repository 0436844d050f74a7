PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DEBUG ?= 1

.PHONY: install run test lint format lock bench

$(BIN)/.installed: pyproject.toml requirements.lock scripts/system-deps.sh
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 requis (trouvé %s)" % sys.version.split()[0]'
	scripts/system-deps.sh test
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@# --no-compile: modules are compiled when first imported (scripts/test.sh keeps them), not all of every
	@# package up front, which took a quarter of a fresh install.
	$(BIN)/pip install -q --no-compile -c requirements.lock -e ".[dev]"
	mkdir -p var
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_reference_data
	$(BIN)/python manage.py create_demo_accounts
	@# The task worker (reports, big exports, imports) runs beside the server and stops with it.
	$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	scripts/test.sh

# The national data set (built once, then reused) and the benchmark table: see docs/benchmarks.md.
# DATABASE_URL picks the engine (default: PostgreSQL acv_bench); BENCH_ARGS=--quick for the pages only.
bench: install
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: install
	$(BIN)/pip freeze --exclude-editable | sed '1i # Pinned versions every install uses (pip install -c requirements.lock). Refresh: make lock.' > requirements.lock
