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

.PHONY: venv data test demo clean

venv: $(STAMP)

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# Fashion-MNIST's four IDX files, from Debian's dataset-fashion-mnist package
# when no directory holds them yet (needs root or password-less sudo).
data: venv
	@if ! $(PY) -c "import sys; from training.fashion_mnist import find_directory; sys.exit(find_directory() is None)"; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else echo "Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist', then make again" >&2; exit 1; fi; \
	  echo "Installing Debian's dataset-fashion-mnist package"; \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist; \
	fi

test: venv data
	$(PY) -m pytest $(PYTEST_ARGS)

demo: venv
	$(VENV)/bin/resnet models
	$(VENV)/bin/resnet summary ResNet20 --input-shape 28,28,1 --classes 10

clean:
	rm -rf $(VENV) runs
