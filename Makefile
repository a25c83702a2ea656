# efs-platform: `make preview` and `make test` do all the set-up on a fresh machine.
# The virtualenv is ./venv, the one Pulumi.yaml names, so the Pulumi CLI uses it too.

PYTHON  ?= python3
VENV    ?= venv
PY      := $(VENV)/bin/python
STACK   ?= dev
STACKS  := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))
CHECKED := components policy offline settings.py __main__.py benchmarks tests

.PHONY: preview test lint workflows typecheck pytest previews benchmark clean

$(VENV)/.installed: requirements.txt requirements-dev.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## preview: offline preview of STACK (default dev) with the policy pack
preview: $(VENV)/.installed
	$(PY) -m offline preview --stack $(STACK) --policy-config policy/config.$(STACK).json

## test: lint, type check, workflow linters, unit and integration tests, offline preview of every stack
test: lint typecheck workflows pytest previews

lint: $(VENV)/.installed
	$(PY) -m ruff check $(CHECKED)
	$(PY) -m ruff format --check $(CHECKED)

workflows: $(VENV)/.installed
	$(VENV)/bin/actionlint .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline --no-progress --persona auditor .github/workflows

typecheck: $(VENV)/.installed
	$(PY) -m mypy

pytest: $(VENV)/.installed
	$(PY) -m pytest

previews: $(VENV)/.installed
	@for s in $(STACKS); do \
	  for mode in "" "--unknowns"; do \
	    echo "== offline preview: stack $$s $$mode"; \
	    $(PY) -m offline preview --stack $$s --quiet $$mode --policy-config policy/config.$$s.json || exit 1; \
	  done; \
	done

## benchmark: time of the bare imports, the dev and prod previews, and the pack at scale
benchmark: $(VENV)/.installed
	$(PY) benchmarks/preview.py
	$(PY) benchmarks/scale.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
