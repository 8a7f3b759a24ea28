# The README's two commands are `make run` and `make test`; everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Made only when Debian's chromium and playwright-core are both installed (browser tests).
BROWSER_STAMP := node_modules/.browser-ready

.PHONY: run test browser extension lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rejoinder needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/rejoinder migrate
	$(BIN)/rejoinder serve

# Without chromium the browser tests are skipped with the reason, except in CI, which fails.
$(BROWSER_STAMP): package-lock.json scripts/ensure-browser.sh $(wildcard /usr/bin/chromium)
	@if scripts/ensure-browser.sh; then touch $@; \
	elif [ "$$CI" = true ]; then echo "make: CI=true, so missing browser tooling fails the run." >&2; exit 1; \
	else echo "make: browser tests (tests/e2e) will be skipped: see the reason above." >&2; fi

browser: $(BROWSER_STAMP)

# The browser tests run beside pytest (both spend most of their time waiting on servers and
# browsers, not on the CPU); their output is shown once they finish.
E2E_LOG := test-results/e2e.log

test: $(STAMP) lint browser
	@mkdir -p test-results
	@e2e_pid=; if [ -f $(BROWSER_STAMP) ]; then node --test --test-concurrency=1 tests/e2e/ > $(E2E_LOG) 2>&1 & e2e_pid=$$!; \
	else echo "make: SKIPPED browser tests (tests/e2e): scripts/ensure-browser.sh could not set them up."; fi; \
	$(BIN)/python -m pytest --durations=15; unit=$$?; \
	node --test tests/js/; js=$$?; \
	e2e=0; if [ -n "$$e2e_pid" ]; then wait $$e2e_pid; e2e=$$?; cat $(E2E_LOG); fi; \
	echo "make test: pytest exit $$unit, node tests exit $$js, browser tests $$([ $$e2e = 0 ] && echo passed || echo FAILED)"; \
	[ $$unit = 0 ] && [ $$js = 0 ] && [ $$e2e = 0 ]

# dist/rejoinder-chromium.zip and dist/rejoinder-firefox.zip; Node 20, no npm packages.
extension:
	node scripts/build-extension.mjs dist

# The default benchmark suite (minutes; see benchmarks/README.md for wrk, Isso and py-spy).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Also the first step of `make test`: a lint, format or type error fails the run before any test.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) dist node_modules test-results
