# The two commands a newcomer runs: `make demo` and `make test`. Each sets itself up first.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test
setup: $(VENV)/.installed
	bash tools/install_system_deps.sh $(PY)

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

demo: setup
	$(PY) -m scmap.demo

test: setup
	$(PY) -m pytest
