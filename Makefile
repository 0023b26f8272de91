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
	@$(VENV)/bin/ruff check mvplan tests benchmarks assets examples docs packaging
	@$(VENV)/bin/ruff format --check mvplan tests benchmarks assets examples docs packaging

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

# Bundle and .deb sizes, cold start of the bundle (needs `make package` first; skips otherwise).
.PHONY: bench-package
bench-package: $(STAMP)
	$(VENV)/bin/python benchmarks/run.py --only package

# The desktop application without Python: the PyInstaller bundle dist/mvplan/ (executable
# dist/mvplan/mvplan), a tarball and a .deb beside it (packaging/README.md).
PACKAGE_STAMP := $(VENV)/.mvplan-package-installed
.PHONY: package package-smoke

$(PACKAGE_STAMP): $(STAMP)
	@$(PY) -m pip install --quiet -e '.[package]' > $(VENV)/pip-package.log 2>&1 \
		|| { cat $(VENV)/pip-package.log; echo 'mvplan: pip install .[package] failed'; exit 1; }
	@touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	@bash .ci/package-deps.sh
	@$(PY) packaging/build.py

# Installs dist/mvplan_*.deb in a bare Debian 12 chroot and runs every command there (as root;
# run by the system's python3, outside the virtual environment). Builds the package if needed.
SYSTEM_PYTHON := $(firstword $(wildcard /usr/bin/python3) python3)
package-smoke:
	@test -n "$$(ls dist/mvplan_*.deb 2>/dev/null)" || $(MAKE) --no-print-directory package
	@bash .ci/package-deps.sh
	@env -u VIRTUAL_ENV $(SYSTEM_PYTHON) packaging/smoke.py

# docs/validation.md regenerated from live solves (mesh-study figures from docs/data/ cache).
.PHONY: validation
validation: $(STAMP)
	$(PY) docs/validation.py
