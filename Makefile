# efs-platform: `make preview` and `make test` do all the set-up on a fresh machine.
# The virtualenv is ./venv, the one Pulumi.yaml names, so the Pulumi CLI uses it too.

PYTHON  ?= python3
VENV    ?= venv
PY      := $(VENV)/bin/python
STACK   ?= dev
STACKS  := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))
CHECKED := components policy offline settings.py __main__.py benchmarks tests .github/stacks.py
# pytest-xdist: one worker per core. `make test JOBS=0` runs the tests in one process.
JOBS    ?= auto
# A Markdown summary of every stack's preview is appended here when set (CI: $GITHUB_STEP_SUMMARY).
SUMMARY ?=

.PHONY: preview test check lint workflows typecheck pytest unit previews benchmark clean

$(VENV)/.installed: requirements.txt requirements-dev.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## preview: offline preview of STACK (default dev) with the policy pack and its config,
## policy/config.$(STACK).json if it exists, else the pack's defaults (the CLI picks it)
preview: $(VENV)/.installed
	$(PY) -m offline preview --stack $(STACK)

## test: lint, type check, workflow linters, unit and integration tests (they preview every stack
## in both modes through the command's own entry point, one of them as a process)
test: lint typecheck workflows pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check $(CHECKED)
	$(PY) -m ruff format --check $(CHECKED)

workflows: $(VENV)/.installed
	$(VENV)/bin/actionlint .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline --no-progress --persona auditor .github/workflows

typecheck: $(VENV)/.installed
	$(PY) -m mypy

## check: the inner loop: lint, type check and the tests not marked slow (see README, Development)
check: lint typecheck unit

pytest: $(VENV)/.installed
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

unit: $(VENV)/.installed
	$(PY) -m pytest -n $(JOBS) --dist loadgroup -m "not slow"

## previews: every Pulumi.<stack>.yaml, with and without --unknowns, with its policy config, printed
## (CI appends each summary to the pull request's checks page with SUMMARY=$GITHUB_STEP_SUMMARY)
previews: $(VENV)/.installed
	@for s in $(STACKS); do \
	  for mode in "" "--unknowns"; do \
	    echo "== offline preview: stack $$s $$mode"; \
	    $(PY) -m offline preview --stack $$s --quiet $$mode $(if $(SUMMARY),--summary "$(SUMMARY)") || exit 1; \
	  done; \
	done

## benchmark: time of the bare imports, the dev and prod previews, and the pack at scale
benchmark: $(VENV)/.installed
	$(PY) benchmarks/preview.py
	$(PY) benchmarks/scale.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
