"""Mistakes a user can make: one clear French message, at the first cell that can detect it, nothing written."""

import os
import pickle
import shutil

import pytest
from nbclient.exceptions import CellExecutionError

from conftest import smoke_parameters
from notebook_tools import execute_notebook, outputs_text


def failure(parameters, workdir):
    with pytest.raises(CellExecutionError) as caught:
        execute_notebook(parameters, workdir)
    return str(caught.value)


def assert_nothing_written(workdir):
    assert not (workdir / "results").exists() and not (workdir / "figures").exists()


def assert_nothing_trained(workdir):
    """A CIFAR-10 data error stops the run before any training: no result is written (the Fashion-MNIST figure of
    section 1.1, drawn before CIFAR-10 is read, may already be there; nothing is lost)."""
    assert not (workdir / "results").exists()


def test_unknown_run_mode(data_dir, tmp_path):
    message = failure(smoke_parameters(data_dir, tmp_path, RUN_MODE="fast"), tmp_path)
    assert "RUN_MODE = 'fast' n'est pas un mode connu" in message and "'full', 'quick', 'smoke'" in message
    assert "check_parameters(RUN_MODE" in message  # raised by the first cell after the parameters
    assert_nothing_written(tmp_path)


def test_data_dir_that_does_not_exist(tmp_path):
    message = failure(smoke_parameters(tmp_path / "nowhere", tmp_path), tmp_path)
    assert "n'existe pas" in message and "nowhere" in message
    assert_nothing_written(tmp_path)


def test_data_dir_missing_a_file(data_dir, tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    shutil.copytree(data_dir / "cifar-10-batches-py", folder)
    (folder / "test_batch").unlink()
    message = failure(smoke_parameters(folder, tmp_path), tmp_path)
    assert "ne contient pas test_batch" in message
    assert_nothing_written(tmp_path)


def test_truncated_batch_is_named(data_dir, tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    shutil.copytree(data_dir / "cifar-10-batches-py", folder)
    content = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(content[: len(content) // 3])
    message = failure(smoke_parameters(folder, tmp_path), tmp_path)
    assert "data_batch_2" in message and "tronqué" in message
    assert "load_cifar10(CIFAR10_DIR)" in message  # the data-loading cell, before anything is trained or saved
    assert_nothing_trained(tmp_path)


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_hostile_pickle_is_refused_and_its_payload_does_not_run(data_dir, tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    shutil.copytree(data_dir / "cifar-10-batches-py", folder)
    marker = tmp_path / "payload_ran"
    with open(folder / "data_batch_5", "wb") as file:
        pickle.dump({b"labels": [0], b"data": Payload(marker)}, file, protocol=4)
    message = failure(smoke_parameters(folder, tmp_path), tmp_path)
    assert "data_batch_5" in message and "system" in message and "refusé" in message
    assert not marker.exists()
    assert_nothing_trained(tmp_path)


def test_no_network_and_no_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))  # no cached copy of the data set
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")  # nothing listens there: every download fails at once
    parameters = smoke_parameters(tmp_path, tmp_path)
    parameters["DATA_DIR"] = None
    message = failure(parameters, tmp_path)
    assert "Impossible de télécharger CIFAR-10" in message and "DATA_DIR" in message
    assert_nothing_written(tmp_path)


def test_full_mode_without_gpu_warns_with_the_expected_duration(data_dir, tmp_path):
    notebook = execute_notebook(
        smoke_parameters(data_dir, tmp_path, RUN_MODE="full"),
        tmp_path,
        stop_after='if RUN_MODE == "full" and DEVICE_KIND == "CPU"',
    )
    text = outputs_text(notebook)
    assert "Mode `full` sans GPU" in text and "4 h de calcul" in text and "T4" in text and 'RUN_MODE = "quick"' in text
