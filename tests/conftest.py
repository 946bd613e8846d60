"""Shared fixtures: generated data in the official layouts, the notebook's definitions, one smoke
execution."""

import importlib.metadata
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from fake_data import write_all
from notebook_tools import ROOT, execute_notebook, load_definitions

ARTIFACTS = ROOT / "test-artifacts"  # kept by CI: the executed smoke notebook


@dataclass
class NotebookRun:
    notebook: object
    workdir: Path
    parameters: dict

    @property
    def results_dir(self):
        return Path(self.parameters["RESULTS_DIR"])

    @property
    def figures_dir(self):
        return Path(self.parameters["FIGURES_DIR"])


def smoke_parameters(data_dir, workdir, **overrides):
    return {
        "RUN_MODE": "smoke",
        "DATA_DIR": str(data_dir),
        "RESULTS_DIR": str(workdir / "results"),
        "FIGURES_DIR": str(workdir / "figures"),
        "SEED": 7,
        **overrides,
    }


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """CIFAR-10, CIFAR-100 and Fashion-MNIST, generated in the official layouts under one folder."""
    root = tmp_path_factory.mktemp("data")
    write_all(root)
    return root


@pytest.fixture(scope="session")
def smoke_run(data_dir, tmp_path_factory):
    """The whole notebook, top to bottom, in smoke mode, in a fresh kernel (a failing cell fails
    every user)."""
    workdir = tmp_path_factory.mktemp("smoke")
    parameters = smoke_parameters(data_dir, workdir)
    notebook = execute_notebook(parameters, workdir)
    ARTIFACTS.mkdir(exist_ok=True)
    import nbformat

    # make test and make test-colab keep one artifact each
    keras_version = importlib.metadata.version("keras")
    nbformat.write(notebook, ARTIFACTS / f"smoke_notebook-keras-{keras_version}.ipynb")
    return NotebookRun(notebook, workdir, parameters)


@pytest.fixture(scope="session")
def nb():
    """The notebook's definitions (imports, constants, functions, classes) in smoke mode, without
    running it."""
    return load_definitions(RUN_MODE="smoke")


@pytest.fixture
def copy_of(tmp_path):
    def copy(source, name):
        target = tmp_path / name
        shutil.copytree(source, target)
        return target

    return copy
