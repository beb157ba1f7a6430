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

.PHONY: venv data android-tools android-assets test demo clean

venv: $(call STAMP,dev)

$(VENV)/.installed-%-$(DEPS_HASH):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[$*]"
	@find $(VENV) -maxdepth 1 -name '.installed-*' ! -name '*-$(DEPS_HASH)' -delete
	@touch $@

# apt-get install $(1) as root or with password-less sudo; else say what to run.
define apt_install
if [ "$$(id -u)" = 0 ]; then SUDO=; \
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
else echo "$(2) is missing: run 'sudo apt-get install $(1)', then make again" >&2; exit 1; fi; \
echo "Installing Debian's $(1)"; \
$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1)
endef

# Fashion-MNIST's four IDX files: a directory that holds them, else (with
# TFDS_OK=1, the demo's case) TFDS when its server answers, else Debian's
# dataset-fashion-mnist package (needs root or password-less sudo).
data:
	@if ! $(PY) -c "import sys; from keras_resnet.training.fashion_mnist import find_directory; sys.exit(find_directory('$(DATA_DIR)' or None) is None)"; then \
	  if [ -n "$(TFDS_OK)" ] && $(PY) -c "import sys; from keras_resnet.training.fashion_mnist import reachable, TFDS_HOST; sys.exit(not reachable(*TFDS_HOST))"; then \
	    echo "Fashion-MNIST: no local files; the demo downloads it through TFDS"; exit 0; fi; \
	  $(call apt_install,dataset-fashion-mnist,Fashion-MNIST); \
	fi

# The Android demo's JVM tests: a JDK, Debian's Kotlin compiler and JUnit 4.
android-tools:
	@if ! command -v javac >/dev/null || ! command -v kotlinc >/dev/null || \
	    [ ! -f /usr/share/java/junit4.jar ]; then \
	  $(call apt_install,default-jdk-headless kotlin junit4,The JDK / Kotlin / JUnit 4); \
	fi

# make android-assets TFLITE=<a .tflite that resnet export wrote> [SAMPLES=<image folder>]
android-assets: $(call STAMP,dev)
	@test -n "$(TFLITE)" || { echo "usage: make android-assets TFLITE=<exported .tflite> [SAMPLES=<image folder>]" >&2; exit 2; }
	$(VENV)/bin/resnet android-assets $(TFLITE) $(if $(SAMPLES),--samples $(SAMPLES))

test: venv android-tools
	@$(MAKE) --no-print-directory data
	$(PY) -m pytest $(PYTEST_ARGS)

demo: $(DEMO_STAMP)
	@$(if $(or $(DATASET),$(RESUME)),true,$(MAKE) --no-print-directory data TFDS_OK=1)
	$(VENV)/bin/resnet demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) runs exports
