"""Small data sets in the official on-disk layouts, with class-dependent patterns so that a network
can learn them.

- CIFAR-10: ``cifar-10-batches-py/`` (data_batch_1..5, test_batch, batches.meta), pickled dicts
  with byte keys;
- CIFAR-100: ``cifar-100-python/`` (train, test, meta), fine and coarse labels;
- Fashion-MNIST: ``fashion-mnist/`` with the four gzip IDX files Keras caches.

``write_all`` also writes, beside them, the .npz files that scripts/prepare_data.py makes of them:
the folder is then a DATA_DIR for the notebook.
"""

import gzip
import pickle
from pathlib import Path

import numpy as np

from prepare_data import prepare

CIFAR10_NAMES = [
    b"airplane",
    b"automobile",
    b"bird",
    b"cat",
    b"deer",
    b"dog",
    b"frog",
    b"horse",
    b"ship",
    b"truck",
]


def patterned_images(labels, num_classes, side, channels, rng):
    """uint8 images (N, side, side, channels): a class colour times class-oriented stripes, plus
    noise."""
    rows, columns = np.mgrid[0:side, 0:side] / side
    images = np.empty((len(labels), side, side, channels), dtype=np.float32)
    palette = np.random.default_rng(1234).uniform(0.2, 1.0, size=(num_classes, channels))
    for index, label in enumerate(labels):
        angle = np.pi * label / num_classes
        frequency = 2 + label % 3
        phase = rng.uniform(0, 2 * np.pi)
        stripes = 0.5 + 0.5 * np.sin(
            2 * np.pi * frequency * (rows * np.cos(angle) + columns * np.sin(angle)) + phase
        )
        images[index] = 0.1 + 0.8 * stripes[:, :, None] * palette[label]
    images += rng.normal(0, 0.08, size=images.shape)
    return (np.clip(images, 0, 1) * 255).astype(np.uint8)


def balanced_labels(count, num_classes, rng):
    labels = np.arange(count) % num_classes
    rng.shuffle(labels)
    return labels


def to_rows(images):
    """(N, 32, 32, 3) -> (N, 3072) channel-first rows, as in the official files."""
    return images.transpose(0, 3, 1, 2).reshape(len(images), -1)


def dump(path, obj):
    with open(path, "wb") as file:
        # like the shared sample; official files are Python 2 pickles
        pickle.dump(obj, file, protocol=4)


def write_cifar10(root, per_batch=150, test_count=250, seed=0):
    """Write root/cifar-10-batches-py and return (x_train, y_train, x_test, y_test) as written."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for batch in range(1, 6):
        labels = balanced_labels(per_batch, 10, rng)
        images = patterned_images(labels, 10, 32, 3, rng)
        dump(
            folder / f"data_batch_{batch}",
            {
                b"batch_label": f"training batch {batch} of 5".encode(),
                b"labels": labels.tolist(),
                b"data": to_rows(images),
                b"filenames": [f"img_{batch}_{i}.png".encode() for i in range(per_batch)],
            },
        )
        parts.append((images, labels))
    test_labels = balanced_labels(test_count, 10, rng)
    test_images = patterned_images(test_labels, 10, 32, 3, rng)
    dump(
        folder / "test_batch",
        {
            b"batch_label": b"testing batch 1 of 1",
            b"labels": test_labels.tolist(),
            b"data": to_rows(test_images),
            b"filenames": [b"t.png"] * test_count,
        },
    )
    dump(
        folder / "batches.meta",
        {b"num_cases_per_batch": per_batch, b"label_names": CIFAR10_NAMES, b"num_vis": 3072},
    )
    x_train = np.concatenate([images for images, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts])
    return x_train, y_train, test_images, test_labels


def write_cifar100(root, train_count=1000, test_count=200, seed=1):
    rng = np.random.default_rng(seed)
    folder = Path(root) / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    for name, count in (("train", train_count), ("test", test_count)):
        labels = balanced_labels(count, 100, rng)
        images = patterned_images(labels, 100, 32, 3, rng)
        dump(
            folder / name,
            {
                b"filenames": [b"x.png"] * count,
                b"batch_label": name.encode(),
                b"fine_labels": labels.tolist(),
                b"coarse_labels": (labels // 5).tolist(),
                b"data": to_rows(images),
            },
        )
    dump(
        folder / "meta",
        {
            b"fine_label_names": [f"class_{i}".encode() for i in range(100)],
            b"coarse_label_names": [f"super_{i}".encode() for i in range(20)],
        },
    )


def write_idx(path, array):
    """IDX file (the MNIST format), gzip-compressed: magic 2051 for images, 2049 for labels."""
    header = (2051 if array.ndim == 3 else 2049).to_bytes(4, "big") + b"".join(
        side.to_bytes(4, "big") for side in array.shape
    )
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def write_fashion_mnist(root, train_count=700, test_count=200, seed=2):
    rng = np.random.default_rng(seed)
    folder = Path(root) / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", train_count), ("t10k", test_count)):
        labels = balanced_labels(count, 10, rng)
        images = patterned_images(labels, 10, 28, 1, rng)[:, :, :, 0]
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


def write_all(root):
    """Every data set the notebook can read offline: the official files, and the .npz files made of
    them."""
    arrays = write_cifar10(root)
    write_cifar100(root)
    write_fashion_mnist(root)
    prepare(root)
    return arrays
