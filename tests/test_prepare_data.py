"""scripts/prepare_data.py: the official files read safely and checked, then written as the .npz
the notebook reads."""

import os
import pickle

import numpy as np
import pytest

from fake_data import write_cifar10, write_cifar100, write_fashion_mnist
from prepare_data import (
    DataError,
    main,
    prepare,
    read_cifar10,
    read_cifar_batch,
    read_fashion_mnist,
)


@pytest.fixture
def official(tmp_path):
    """The three data sets in their official layouts; returns the folder and the CIFAR-10 arrays
    written."""
    arrays = write_cifar10(tmp_path, per_batch=40, test_count=30, seed=3)
    write_cifar100(tmp_path, train_count=200, test_count=100)
    write_fashion_mnist(tmp_path, train_count=70, test_count=20)
    return tmp_path, arrays


def test_cifar10_batches_are_read_in_order(official):
    root, (x_train, y_train, x_test, y_test) = official
    read = read_cifar10(root / "cifar-10-batches-py")
    assert read["x_train"].shape == (200, 32, 32, 3) and read["x_train"].dtype == np.uint8
    assert read["y_train"].dtype == np.int64 and read["x_test"].shape == (30, 32, 32, 3)
    # batches 1..5 in order, channel-first rows -> HWC
    np.testing.assert_array_equal(read["x_train"], x_train)
    np.testing.assert_array_equal(read["y_train"], y_train)
    np.testing.assert_array_equal(read["x_test"], x_test)
    np.testing.assert_array_equal(read["y_test"], y_test)
    # fewer than 50,000: said so
    assert read["source"].startswith("échantillon de CIFAR-10 (200 images")
    assert read["class_names"][:2] == ["airplane", "automobile"]


def test_the_npz_files_hold_what_was_read_and_load_without_pickle(official, tmp_path):
    root, (x_train, y_train, _, _) = official
    # the CIFAR-10 folder itself may be given
    written = prepare(root / "cifar-10-batches-py", tmp_path / "npz")
    assert [path.name for path in written] == ["cifar10.npz", "cifar100.npz", "fashion_mnist.npz"]
    with np.load(tmp_path / "npz" / "cifar10.npz") as file:  # allow_pickle=False: NumPy's default
        np.testing.assert_array_equal(file["x_train"], x_train)
        np.testing.assert_array_equal(file["y_train"], y_train)
        assert str(file["source"]).startswith("échantillon de CIFAR-10")
    with np.load(tmp_path / "npz" / "cifar100.npz") as file:
        assert file["x_train"].shape == (200, 32, 32, 3) and len(file["class_names"]) == 100
        assert file["y_test"].max() < 100
    with np.load(tmp_path / "npz" / "fashion_mnist.npz") as file:
        assert file["x_train"].shape == (70, 28, 28) and file["y_test"].shape == (20,)


def test_only_cifar10_is_required_by_the_script(tmp_path):
    write_cifar10(tmp_path, per_batch=20, test_count=20)
    # written beside cifar-10-batches-py
    assert [path.name for path in prepare(tmp_path)] == ["cifar10.npz"]


def test_missing_file_is_named(official):
    root, _ = official
    (root / "cifar-10-batches-py" / "data_batch_4").unlink()
    with pytest.raises(DataError, match="data_batch_4"):
        prepare(root)


def test_truncated_batch_is_named(official):
    path = official[0] / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataError, match="data_batch_3.*tronqué"):
        prepare(official[0])


def test_wrong_shapes_and_labels_are_refused(tmp_path):
    path = tmp_path / "data_batch_1"
    with open(path, "wb") as file:
        pickle.dump(
            {b"data": np.zeros((4, 100), np.uint8), b"labels": [0, 1, 2, 3]}, file, protocol=4
        )
    with pytest.raises(DataError, match="3072"):
        read_cifar_batch(path)
    with open(path, "wb") as file:
        pickle.dump(
            {b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 2, 12]}, file, protocol=4
        )
    with pytest.raises(DataError, match="étiquettes"):
        read_cifar_batch(path)


class Payload:
    """A pickle that runs a command when an unrestricted unpickler loads it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_hostile_pickle_is_refused_and_does_not_run(official, tmp_path):
    marker = tmp_path / "payload_ran"
    with open(official[0] / "cifar-10-batches-py" / "data_batch_5", "wb") as file:
        pickle.dump({b"labels": [0], b"data": Payload(marker)}, file, protocol=4)
    with pytest.raises(DataError, match="data_batch_5.*system.*refusé"):
        prepare(official[0])
    assert not marker.exists()
    assert not (official[0] / "cifar10.npz").exists()  # nothing written


def test_truncated_fashion_mnist_file_is_named(official):
    labels = official[0] / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:20])
    with pytest.raises(DataError, match="t10k-labels"):
        read_fashion_mnist(official[0] / "fashion-mnist")


def test_command_line_says_what_is_wrong_in_french(tmp_path, capsys):
    with pytest.raises(SystemExit, match="Erreur : Le dossier .*nowhere n'existe pas"):
        main([str(tmp_path / "nowhere")])
    write_cifar10(tmp_path, per_batch=20, test_count=20)
    main([str(tmp_path)])
    printed = capsys.readouterr()
    assert "cifar10.npz" in printed.out
    # the notebook needs Fashion-MNIST: said, with what to do
    assert (
        "Attention" in printed.err and "fashion-mnist/" in printed.err and "relancez" in printed.err
    )
