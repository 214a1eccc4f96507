# Two jobs: `make map` builds the sample map from seeds/, `make test` runs every test.
# Both create the virtualenv on first use (only python3 >= 3.11 and pip needed).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: map test lint bench eval clean constraints

# The versions the test suite passed with are pinned in constraints.txt; `make constraints` moves them on.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dask]'
	touch $(STAMP)

map: $(STAMP)
	$(BIN)/geomap map seeds -o out/map.html

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check geomap tests benchmarks scripts
	$(BIN)/mypy geomap

eval: $(STAMP)
	$(BIN)/geomap eval ../shared/eval/geovirus.jsonl ../shared/eval/lgl-dev.jsonl

# Every benchmark in turn (about 40 minutes on 2 cores); each prints its figures. See benchmarks/*.py.
bench: $(STAMP)
	$(BIN)/python benchmarks/speed_bench.py all
	$(BIN)/python benchmarks/parse_bench.py seeds
	$(BIN)/python benchmarks/incremental_bench.py
	$(BIN)/python benchmarks/gazetteer_bench.py
	$(BIN)/python benchmarks/map_bench.py
	$(BIN)/python benchmarks/dask_bench.py

# The newest versions pyproject.toml allows, resolved in a scratch virtualenv and pinned. Then run
# `make test` (the stamp depends on constraints.txt, so the virtualenv is brought in line) and commit both.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --upgrade pip
	.venv-constraints/bin/python -m pip install --quiet '.[test,dask]'
	{ echo "# The versions 'make test' passed with. Regenerate with 'make constraints' (see README)."; \
	  .venv-constraints/bin/python -m pip freeze --exclude-editable | grep -v '^geomap'; } > constraints.txt
	rm -rf .venv-constraints

clean:
	rm -rf $(VENV) out cache/*.sqlite*
