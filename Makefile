# Entry points: `make demo` (the main job) and `make test`. Both create .venv
# when missing; a stamp keyed on the dependency files' hash skips pip when
# nothing changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXTRAS ?= dev
DEPS_HASH := $(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(EXTRAS)-$(DEPS_HASH)
PYTEST_ARGS ?=

.PHONY: venv test demo clean

venv: $(STAMP)

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-*
	@touch $@

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

demo: venv
	$(VENV)/bin/resnet models
	$(VENV)/bin/resnet summary ResNet20 --input-shape 28,28,1 --classes 10

clean:
	rm -rf $(VENV) runs
