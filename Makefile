# mvplan: two commands, `make run` and `make test`; both set up on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mvplan-installed
SAMPLE := assets/samples/healthy_annulus.csv
SAMPLE_TIPS := assets/samples/healthy_papillary_tips.csv

.PHONY: setup system-deps run test lint typecheck layers pytest bench clean

setup: $(STAMP)

# Reinstall when the dependencies change; the system step installs only what is missing.
$(STAMP): pyproject.toml
	@bash .ci/system-deps.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip > /dev/null 2>&1 || true
	@$(PY) -m pip install --quiet -e '.[dev,pdf,dask]' > $(VENV)/pip-install.log 2>&1 \
		|| { cat $(VENV)/pip-install.log; echo 'mvplan: pip install failed (log above)'; exit 1; }
	@touch $(STAMP)
	@echo "mvplan: set up in $(VENV)"

system-deps:
	@bash .ci/system-deps.sh

# The desktop application on the bundled sample. With no display it cannot show a window:
# it then draws one off screen to mvplan-screenshot.png and says so.
run: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(VENV)/bin/mvplan gui $(SAMPLE) --papillary $(SAMPLE_TIPS); \
	else \
		echo "mvplan: no display; drawing the window off screen to mvplan-screenshot.png"; \
		$(VENV)/bin/mvplan gui $(SAMPLE) --papillary $(SAMPLE_TIPS) --screenshot mvplan-screenshot.png --exit; \
	fi

lint: setup
	@$(VENV)/bin/ruff check mvplan tests benchmarks assets examples
	@$(VENV)/bin/ruff format --check mvplan tests benchmarks assets examples

typecheck: setup
	@$(VENV)/bin/mypy

layers: setup
	@$(VENV)/bin/lint-imports

pytest: setup
	@$(PY) -m pytest -q

test: setup lint typecheck layers pytest

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/run.py

# docs/validation.md regenerated from live solves (mesh-study figures from docs/data/ cache).
.PHONY: validation
validation: $(STAMP)
	$(PY) docs/validation.py
