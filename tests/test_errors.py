"""Mistakes a user can make: one clear French message, at the first cell that can detect it,
nothing written."""

import shutil

import pytest
from nbclient.exceptions import CellExecutionError

from conftest import smoke_parameters
from notebook_tools import cell_index, execute_notebook


def failure(parameters, workdir):
    with pytest.raises(CellExecutionError) as caught:
        execute_notebook(parameters, workdir)
    return str(caught.value)


def assert_nothing_written(workdir):
    assert not (workdir / "results").exists() and not (workdir / "figures").exists()


def assert_nothing_trained(workdir):
    """A CIFAR-10 data error stops the run before any training: no result is written (the
    Fashion-MNIST figure of section 1.1, drawn before CIFAR-10 is read, may already be there;
    nothing is lost)."""
    assert not (workdir / "results").exists()


def test_unknown_run_mode(data_dir, tmp_path):
    message = failure(smoke_parameters(data_dir, tmp_path, RUN_MODE="fast"), tmp_path)
    assert (
        "RUN_MODE = 'fast' n'est pas un mode connu" in message
        and "'full', 'quick', 'smoke'" in message
    )
    assert "check_parameters(RUN_MODE" in message  # raised by the first cell after the parameters
    assert_nothing_written(tmp_path)


def test_data_dir_that_does_not_exist(tmp_path):
    message = failure(smoke_parameters(tmp_path / "nowhere", tmp_path), tmp_path)
    assert "nowhere" in message and "n'existe pas" in message and "prepare_data.py" in message
    assert_nothing_written(tmp_path)


def test_data_dir_of_official_files_not_prepared(data_dir, tmp_path):
    message = failure(smoke_parameters(data_dir / "cifar-10-batches-py", tmp_path), tmp_path)
    assert "ne contient pas cifar10.npz" in message and "prepare_data.py" in message
    assert_nothing_written(tmp_path)


def test_truncated_npz_is_named(data_dir, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(data_dir / "fashion_mnist.npz", folder)  # read first (section 1.1), and intact
    content = (data_dir / "cifar10.npz").read_bytes()
    (folder / "cifar10.npz").write_bytes(content[: len(content) // 3])
    message = failure(smoke_parameters(folder, tmp_path), tmp_path)
    assert "cifar10.npz" in message and "illisible" in message
    # the data-loading cell, before anything is trained or saved
    assert 'load_data("cifar10", DATA_FOLDER)' in message
    assert_nothing_trained(tmp_path)


def test_no_network_and_no_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))  # no cached copy of the data set
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        # nothing listens there: every download fails at once
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    parameters = smoke_parameters(tmp_path, tmp_path)
    parameters["DATA_DIR"] = None
    message = failure(parameters, tmp_path)
    # Fashion-MNIST, the first data set read (section 1.1)
    assert "Impossible de télécharger Fashion-MNIST" in message and "DATA_DIR" in message
    assert_nothing_written(tmp_path)


def test_full_mode_without_gpu_warns_with_the_expected_duration(data_dir, tmp_path):
    notebook = execute_notebook(
        smoke_parameters(data_dir, tmp_path, RUN_MODE="full"),
        tmp_path,
        stop_after='if RUN_MODE == "full" and DEVICE_KIND == "CPU"',
    )
    # a row of the banner, the table at the top of the run
    banner = notebook.cells[cell_index(notebook, "RUN_BANNER = display")]
    text = banner.outputs[0]["data"]["text/html"]
    assert (
        "Mode `full` sans GPU" in text
        and "10 h de calcul" in text
        and "T4" in text
        and 'RUN_MODE = "quick"' in text
    )
