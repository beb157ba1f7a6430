# Entry points: `make demo` (the main job) and `make test`. Both create .venv
# when missing and install what they need; a stamp keyed on the dependency
# files' hash skips pip when nothing changed (the test set-up's "dev" extras
# hold everything the demo needs).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS_HASH := $(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
STAMP = $(VENV)/.installed-$(1)-$(DEPS_HASH)
DEMO_STAMP := $(if $(wildcard $(call STAMP,dev)),$(call STAMP,dev),$(call STAMP,export))
PYTEST_ARGS ?=

# make demo MODEL=ResNet56 STEPS=4000 BATCH=64 DATASET=tfds:cifar10|<image folder>
#           DATA_DIR=<dir> OUTPUT=<parent of run dirs> RESUME=<run dir>
DEMO_ARGS := $(if $(RESUME),--resume $(RESUME)) $(if $(MODEL),--model $(MODEL)) \
  $(if $(STEPS),--steps $(STEPS)) $(if $(EPOCHS),--epochs $(EPOCHS)) \
  $(if $(BATCH),--batch-size $(BATCH)) $(if $(DATASET),--dataset $(DATASET)) \
  $(if $(DATA_DIR),--data-dir $(DATA_DIR)) $(if $(OUTPUT),--output $(OUTPUT))

.PHONY: venv data test demo clean

venv: $(call STAMP,dev)

$(VENV)/.installed-%-$(DEPS_HASH):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[$*]"
	@find $(VENV) -maxdepth 1 -name '.installed-*' ! -name '*-$(DEPS_HASH)' -delete
	@touch $@

# Fashion-MNIST's four IDX files: a directory that holds them, else (with
# TFDS_OK=1, the demo's case) TFDS when its server answers, else Debian's
# dataset-fashion-mnist package (needs root or password-less sudo).
data:
	@if ! $(PY) -c "import sys; from training.fashion_mnist import find_directory; sys.exit(find_directory('$(DATA_DIR)' or None) is None)"; then \
	  if [ -n "$(TFDS_OK)" ] && $(PY) -c "import sys; from training.fashion_mnist import reachable, TFDS_HOST; sys.exit(not reachable(*TFDS_HOST))"; then \
	    echo "Fashion-MNIST: no local files; the demo downloads it through TFDS"; exit 0; fi; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else echo "Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist', then make again" >&2; exit 1; fi; \
	  echo "Installing Debian's dataset-fashion-mnist package"; \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist; \
	fi

test: venv
	@$(MAKE) --no-print-directory data
	$(PY) -m pytest $(PYTEST_ARGS)

demo: $(DEMO_STAMP)
	@$(if $(or $(DATASET),$(RESUME)),true,$(MAKE) --no-print-directory data TFDS_OK=1)
	$(VENV)/bin/resnet demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) runs exports
