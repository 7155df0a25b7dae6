# SimpleOS — the two commands of the quick start, each bootstrapping .venv from nothing.
#   make demo   boot the machine and tell the Channel File 291 story
#   make test   run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean channel-files

# The PYTHONWARNINGS filter drops setuptools' note that an editable install is one
# (information, not a warning), so that `make` is quiet.
$(STAMP): pyproject.toml setup.py simpleos/machine/_icount.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install -q -e '.[test,plot]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m simpleos.demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

channel-files: $(STAMP)
	$(BIN)/python tools/build_channel_files.py

clean:
	rm -rf $(VENV) build *.egg-info
