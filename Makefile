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

# $(call debian_package,binary,package,what it is for): installed from Debian's packages when missing (as root)
define debian_package
	@if [ ! -x $(1) ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "installing Debian's $(2) for $(3)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
		else \
			echo "no $(1) and not root: $(3) will be skipped"; \
		fi; \
	fi
endef

chromium:
	$(call debian_package,/usr/bin/chromium,chromium,the browser tests)

haproxy:
	$(call debian_package,/usr/sbin/haproxy,haproxy,the scale-out browser tests)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: install chromium haproxy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2  # two workers (pytest-xdist): each runs its share in order, browser tests last

bench: install
	$(PY) -m bench

bench-detection: install
	$(PY) -m bench.detection
