# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
TRANSLATIONS := server/zegel/translations

.PHONY: run test install install-test translations messages browser lint clean assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d $(TRANSLATIONS) -D messages --statistics 2>&1 | grep -v '^$$' || true

# After adding or changing texts: refresh the catalogs, then fill in the empty Dutch
# msgstr entries (tests/test_i18n.py fails while one is missing).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(VENV)/messages.pot . >/dev/null
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

# Browser code from npm (package-lock.json pins it); the served copies are build output, not committed.
VENDOR := server/zegel/static/vendor
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/tus.min.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/tus-js-client/dist/tus.min.js $@

# The Outlook add-in: task pane and event-handler bundles (esbuild), build output as well.
ADDIN_BUILD := server/zegel/static/addin/build
$(ADDIN_BUILD)/.built: node_modules/.package-lock.json $(wildcard addin/src/*.js taskpane/*.js taskpane/*.css)
	npm run --silent build
	touch $@

assets: $(VENDOR)/tus.min.js $(ADDIN_BUILD)/.built

install: $(VENV)/.installed translations assets

run: install
	@mkdir -p var
	ZEGEL_DEV_OUTBOX=1 $(BIN)/zegel init
	ZEGEL_DEV_OUTBOX=1 $(BIN)/zegel demo
	@echo
	@echo "  Open http://127.0.0.1:$(PORT) and log in as anna@demo.test / zegel-demo-2026."
	@echo "  SMS codes (and e-mails) are not sent: they appear at http://127.0.0.1:$(PORT)/dev/outbox"
	@echo
	ZEGEL_DEV_OUTBOX=1 ZEGEL_PUBLIC_URL=$${ZEGEL_PUBLIC_URL:-http://127.0.0.1:$(PORT)} PORT=$(PORT) $(BIN)/zegel serve --port $(PORT)

# Debian's Chromium for the browser tests; installed when missing and we are root.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "NOTE: /usr/bin/chromium missing and not root: browser tests will be skipped"; \
	  fi; \
	fi

test: $(VENV)/.installed-test translations assets browser
	$(BIN)/ruff check --quiet server tests bench
	npm test --silent
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check server tests bench

clean:
	rm -rf $(VENV) var .pytest_cache node_modules $(VENDOR) $(ADDIN_BUILD)
