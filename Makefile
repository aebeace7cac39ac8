# tfjs-compress: `make test`, `make verify` and `make notebook` each set up what they need on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := /usr/bin/python3
JUPYTER := /usr/bin/jupyter
KERNEL_DIR := $(CURDIR)/build/jupyter
APT_PACKAGES := jupyter-nbconvert python3-nbclient jupyter-core jupyter-client jupyter-notebook chromium protobuf-compiler redis-server python3-onnx espeak-ng
# What node-gyp needs to build tfjs-tflite-node's binding during npm ci (on the machine image; checked anyway).
BUILD_PACKAGES := g++ make python3
# make verify and make bench refresh the committed results/ on purpose; any other run writes build/results/.
COMMITTED_RESULTS := TFJS_COMPRESS_RESULTS=$(CURDIR)/results
export JUPYTER_PATH := $(KERNEL_DIR)
export TS_NODE_TRANSPILE_ONLY := 1

.PHONY: help setup deps apt build-tools install-missing kernel git-filter build pack journey lint format test verify notebook bench fuzz demo clean

help:
	@echo "make notebook  open the course in JupyterLab or the classic Notebook (sets itself up)"
	@echo "make test      run the test suite (sets itself up)"
	@echo "make verify    execute every notebook headlessly, refreshing results/ (sets itself up)"
	@echo "make bench     run the benchmarks, writing results/bench-*.json"
	@echo "make fuzz      fuzz every parser (FUZZ_RUNS cases each, FUZZ_SEED), writing results/bench-security.json"
	@echo "make demo      serve the browser demo on 127.0.0.1 and print its URL (DEMO_PORT=8765)"
	@echo "make journey   pack the package, install it into an empty app and use it as a new user (README blocks too)"
	@echo "make pack      build/tfjs-compress-<version>.tgz, the package as npm would publish it"
	@echo "make lint      Prettier and ESLint (make format rewrites the files)"
	@echo "make setup     npm packages, Debian packages, Jupyter kernel spec, notebook git filter, build (npx tfjs-compress works after it)"
	@echo "make clean     remove build output and cached baselines"

# npm packages: reinstall when package-lock.json is newer than the install. tfjs-tflite-node's
# install script (allowed in package.json's allowScripts) compiles its binding: build tools first.
node_modules/.install-stamp: package.json package-lock.json
	@$(MAKE) --no-print-directory build-tools
	npm ci --no-audit --no-fund
	@touch $@

# The repository's own package name and executable (node_modules/tfjs-compress, node_modules/.bin/tfjs-compress).
deps: node_modules/.install-stamp
	@node scripts/link-self.cjs

# Debian packages (Jupyter, chromium, protoc, and redis-server for the distributed-executor tests), installed only when missing.
apt:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(APT_PACKAGES)"

build-tools:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(BUILD_PACKAGES)"

install-missing:
	@missing=""; \
	for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "missing Debian packages:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing"; exit 1; \
	  fi; \
	fi

# The tslab kernel spec, written without IPython (tslab install needs it).
kernel: deps
	@node scripts/write-kernel-spec.cjs "$(KERNEL_DIR)"

# Notebooks are committed without outputs: a git clean filter strips them (scripts/nbstrip.cjs,
# .gitattributes), registered in this clone's git config.
git-filter:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config filter.nbstrip.clean 'node scripts/nbstrip.cjs'; \
	fi

setup: deps apt kernel git-filter build

build: deps
	npm run --silent build

# The tarball an app installs (see README "Install"): built by the package's prepack script.
pack: deps
	@mkdir -p build
	npm pack --silent --pack-destination build

# A new user's path, from a packed tarball into an empty app without this repository's .npmrc:
# every README code block, then profile, run, serve and bench as the README says
# (test/journey/main.ts; results/journey.json). Ends with "N passed, N failed".
journey: deps build
	$(COMMITTED_RESULTS) node --import tsx test/journey/main.ts

# Prettier (formatting, .prettierrc.json) and ESLint with typescript-eslint (eslint.config.mjs).
lint: deps
	npm run --silent lint

format: deps
	npm run --silent format

test: setup build lint
	npx mocha 'test/**/*.test.ts'

verify: setup build
	$(COMMITTED_RESULTS) $(PY) test/notebooks/run.py notebooks/*.ipynb

# JupyterLab when installed, else Debian's classic Notebook (installed when missing, as root).
notebook: deps kernel git-filter build
	@node scripts/notebook-server.cjs

bench: deps build
	@for f in test/bench/*.bench.ts; do echo "== $$f"; $(COMMITTED_RESULTS) node --import tsx "$$f" || exit 1; done

# Property-based fuzzing of every parser (fast-check, test/fuzz): FUZZ_RUNS cases each, FUZZ_SEED
# (default from the clock, recorded); writes the fuzz section of results/bench-security.json.
FUZZ_RUNS ?= 1000
FUZZ_SEED ?=
fuzz: deps
	$(COMMITTED_RESULTS) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_SEED=$(FUZZ_SEED) node --import tsx test/fuzz/fuzz.ts

# The browser demo: tfjs fp32, the pruned model in its Deep Compression encoding, ONNX fp32 and
# INT8 in onnxruntime-web, all served from this machine (loopback only; no CDN).
DEMO_PORT ?= 8765
demo: deps build
	node dist/course/cli.js --port $(DEMO_PORT)

clean:
	rm -rf dist build
	rm -rf "$${TFJS_COMPRESS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/tfjs-compress}"
