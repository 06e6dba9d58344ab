# Two commands on a fresh machine (only Python 3.11 needed): `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium
ESPEAK   := /usr/bin/espeak-ng

.PHONY: demo test bench micropython clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/suivant demo

# The browser tests need Debian's chromium (Playwright drives it; its own download cannot work
# here). As root it is installed; otherwise this says how.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "the browser tests need $(CHROMIUM): sudo apt-get install chromium" >&2; exit 1; \
	fi

# The hall screen's spoken calls where the browser has no French voice (the bridge says them
# with espeak-ng); the tests check it.
$(ESPEAK):
	@if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's espeak-ng for the spoken calls"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng; \
	else \
		echo "the spoken-call tests need $(ESPEAK): sudo apt-get install espeak-ng" >&2; exit 1; \
	fi

test: $(STAMP) $(CHROMIUM) $(ESPEAK)
	$(BIN)/python -m pytest

# A MicroPython 1.27 REPL (the webassembly port, on the node from the [test] extra) with
# firmware/ at /firmware on sys.path. `make test` fetches the port into .cache/ on first use.
micropython: $(STAMP)
	$(BIN)/python tests/firmware/micropython_wasm.py --repl

bench: $(STAMP)
	$(BIN)/python -m bench.queue_throughput
	$(BIN)/python -m bench.http_latency
	$(BIN)/python -m bench.estimate_cost
	$(BIN)/python -m bench.page_load
	$(BIN)/python -m bench.firmware_memory
	$(BIN)/python -m bench.device_links

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .cache
