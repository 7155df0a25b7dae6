# SimpleOS — the two commands of the quick start, each bootstrapping .venv from nothing.
#   make demo   boot the machine and tell the Channel File 291 story
#   make test   run the test suite
#   make grade LAB=N   grade this tree as lab N's workspace (docs/teaching.md; ARGS="--json" etc.)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test grade bench clean channel-files

# The PYTHONWARNINGS filter drops setuptools' note that an editable install is one
# (information, not a warning), so that `make` is quiet.
$(STAMP): pyproject.toml setup.py simpleos/machine/_icount.c simpleos/machine/_edges.c simpleos/machine/_pages.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install -q -e '.[test,fleet,ray,plot]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m simpleos.demo

test: $(STAMP)
	$(BIN)/python -m pytest

# `python -m simpleos` (not the venv's script) so the grader is this tree's own code.
grade: $(STAMP)
	@test -n "$(LAB)" || { echo "usage: make grade LAB=N [ARGS='--json --tests DIR --student ID']" >&2; exit 2; }
	@$(BIN)/python -m simpleos grade $(LAB) $(ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

channel-files: $(STAMP)
	$(BIN)/python tools/build_channel_files.py

clean:
	rm -rf $(VENV) build *.egg-info
