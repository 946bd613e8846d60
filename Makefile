# Two commands do all the set-up (they create .venv on first use):
#   make notebook [RUN_MODE=quick] [DATA_DIR=path] [FRESH=1]   execute the notebook top to bottom, outputs saved in place
#                                                  (FRESH=1: delete results/ and figures/ first, so everything is retrained)
#   make test                                       run the tests (smoke mode, generated data)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_MODE ?= full
DATA_DIR ?=
FRESH ?=

.PHONY: notebook test benchmark clean

$(VENV)/installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

notebook: $(VENV)/installed
	$(BIN)/python scripts/run_notebook.py --run-mode $(RUN_MODE) $(if $(DATA_DIR),--data-dir $(DATA_DIR)) $(if $(FRESH),--fresh)

test: $(VENV)/installed
	$(BIN)/python -m pytest --junitxml=test-artifacts/junit.xml

benchmark: $(VENV)/installed
	$(BIN)/python benchmarks/compare_models.py $(if $(DATA_DIR),--data-dir $(DATA_DIR))

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
