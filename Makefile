# Two commands do all the set-up (they create their environments on first use):
#   make notebook [RUN_MODE=quick] [DATA_DIR=path] [FRESH=1] [PUBLISH=1]
#                   DATA_DIR: the folder of the official files (offline); they are first turned into .npz files in
#                   build/data by scripts/prepare_data.py. Without DATA_DIR, Keras downloads the data.
#                   execute the notebook top to bottom with Colab's versions (.venv-colab), into build/ (ignored by
#                   git): build/cifar10_classification.ipynb, build/results (a copy of results/: finished experiments
#                   are reloaded, not retrained), build/figures. FRESH=1: start from an empty registry (retrain all).
#                   PUBLISH=1: write the committed notebook, results/ and figures/ in place instead.
#   make benchmark DATA_DIR=path [BENCHMARK_ARGS="--mode full --seeds 3 --fast-only --json file"]
#                                                  the fast model (3 seeds) against the course's CNNs, same data, one process
#   make benchmark-airbench DATA_DIR=path [AIRBENCH_ARGS="--seeds 0 1 2"]
#                                                  airbench94 (its own environment, .venv-airbench) then the fast model
#                                                  (Colab's versions), all 50,000 training images, same test set, same machine
#   make check                                      everything CI does, in this order:
#     make lint           ruff check + ruff format --check (notebook, scripts, tests, benchmarks)
#     make html           render the committed notebook with its outputs -> public/index.html
#                         (the code of cells tagged `plumbing` is hidden, their outputs kept)
#     make student-copy   the notebook without outputs nor answers -> student/cifar10_classification_etudiant.ipynb
#     make test           every test, latest libraries (.venv: requirements-dev.txt)
#     make test-colab     the smoke notebook, the float16 path and `make notebook` in a fresh clone, with Colab's
#                         versions (.venv-colab: requirements-colab.txt)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
LINTED := cifar10_classification.ipynb scripts tests benchmarks
STUDENT_COPY := student/cifar10_classification_etudiant.ipynb
# make html: cells tagged `plumbing` (set-up code that teaches nothing) show their outputs but not their code.
HTML_OPTIONS := --TagRemovePreprocessor.enabled=True --TagRemovePreprocessor.remove_input_tags='["plumbing"]'
RUN_MODE ?= full
DATA_DIR ?=
FRESH ?=
PUBLISH ?=
BUILD := build
PREPARED := $(BUILD)/data
BENCHMARK_ARGS ?=
AIRBENCH_ARGS ?=
AIRBENCH_VENV := .venv-airbench

.PHONY: check lint html student-copy test test-colab notebook benchmark benchmark-airbench clean

$(VENV)/installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Colab's pinned versions, plus the test tools of requirements-dev.txt (whose ranges the pins satisfy).
$(COLAB_VENV)/installed: requirements-colab.txt requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_BIN)/python -m pip install --quiet --upgrade pip
	$(COLAB_BIN)/python -m pip install --quiet -r requirements-colab.txt -r requirements-dev.txt
	touch $@

# airbench94 (PyTorch) for make benchmark-airbench only: never in the notebook's nor the tests' environments.
$(AIRBENCH_VENV)/installed: requirements-airbench.txt
	$(PYTHON) -m venv $(AIRBENCH_VENV)
	$(AIRBENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AIRBENCH_VENV)/bin/python -m pip install --quiet -r requirements-airbench.txt
	touch $@

check: lint html student-copy test test-colab

lint: $(VENV)/installed
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

html: $(VENV)/installed
	$(BIN)/jupyter nbconvert --to html --output-dir public --output index $(HTML_OPTIONS) cifar10_classification.ipynb

student-copy: $(VENV)/installed
	$(BIN)/python scripts/student_copy.py --output $(STUDENT_COPY)

test: $(VENV)/installed
	$(BIN)/python -m pytest --ignore=tests/test_make_notebook.py --junitxml=test-artifacts/junit.xml

test-colab: $(COLAB_VENV)/installed
	$(COLAB_BIN)/python -m pytest tests/test_notebook.py tests/test_mixed_precision.py tests/test_make_notebook.py --junitxml=test-artifacts/junit-colab.xml

notebook: $(COLAB_VENV)/installed
	$(if $(DATA_DIR),$(COLAB_BIN)/python scripts/prepare_data.py $(DATA_DIR) --output $(PREPARED))
ifeq ($(PUBLISH),)
	rm -rf $(BUILD)/results && mkdir -p $(BUILD)
	$(if $(FRESH),,cp -r results $(BUILD)/results)
	$(COLAB_BIN)/python scripts/run_notebook.py --run-mode $(RUN_MODE) $(if $(DATA_DIR),--data-dir $(PREPARED)) \
		--output $(BUILD)/cifar10_classification.ipynb --results-dir $(BUILD)/results --figures-dir $(BUILD)/figures
else
	$(COLAB_BIN)/python scripts/run_notebook.py --run-mode $(RUN_MODE) $(if $(DATA_DIR),--data-dir $(PREPARED)) $(if $(FRESH),--fresh)
endif

benchmark: $(VENV)/installed
	$(BIN)/python scripts/prepare_data.py $(DATA_DIR) --output $(PREPARED)
	$(BIN)/python benchmarks/compare_models.py --data-dir $(PREPARED) $(BENCHMARK_ARGS)

benchmark-airbench: $(COLAB_VENV)/installed $(AIRBENCH_VENV)/installed
	$(COLAB_BIN)/python scripts/prepare_data.py $(DATA_DIR) --output $(PREPARED)
	$(COLAB_BIN)/python benchmarks/airbench_vs_fast.py --data-dir $(PREPARED) --airbench-python $(AIRBENCH_VENV)/bin/python $(AIRBENCH_ARGS)

clean:
	rm -rf $(VENV) $(COLAB_VENV) $(AIRBENCH_VENV) $(BUILD) test-artifacts .pytest_cache .ruff_cache public student
