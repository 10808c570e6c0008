VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint bench bench-detection chromium haproxy

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: install
	$(PY) main.py serve

demo: install
	$(PY) main.py serve --demo

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "no /usr/bin/chromium and not root: browser tests will be skipped"; \
		fi; \
	fi

haproxy:
	@if [ ! -x /usr/sbin/haproxy ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "installing Debian's haproxy for the scale-out tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
		else \
			echo "no /usr/sbin/haproxy and not root: the scale-out browser tests will be skipped"; \
		fi; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: install chromium haproxy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: install
	$(PY) -m bench

bench-detection: install
	$(PY) -m bench.detection
