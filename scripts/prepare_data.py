"""Turn the official files of CIFAR-10, CIFAR-100 and Fashion-MNIST into the .npz files the
notebook reads offline.

    # ~/data holds cifar-10-batches-py, fashion-mnist (the notebook needs both) and, if present,
    # cifar-100-python;
    # writes ~/data/*.npz
    python scripts/prepare_data.py ~/data
    python scripts/prepare_data.py ~/data --output ~/npz

On Colab nothing of this is needed: with DATA_DIR = None, Keras downloads the data. Offline, the
notebook is given DATA_DIR = the folder this script writes, and reads it with np.load, which loads
no pickle.

The CIFAR files are Python pickles, and unpickling a file can run any code it names. They are read
here with a restricted unpickler that accepts only NumPy's array reconstruction, so a hostile file
is refused before it runs anything. Each .npz holds x_train, y_train, x_test, y_test (uint8 images,
int64 labels), `source` (where the images come from, shown on every figure) and, for the CIFAR
sets, `class_names`.
"""

import argparse
import gzip
import math
import os
import pickle
import sys
from pathlib import Path

import numpy as np

CIFAR10_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta")
FASHION_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
OUTPUTS = {
    "cifar10": "cifar10.npz",
    "cifar100": "cifar100.npz",
    "fashion_mnist": "fashion_mnist.npz",
}
JPEG_COPY = "CIFAR-10 complet (50 000 + 10 000 images), copie recompressée en JPEG qualité 75"
# The only globals the official CIFAR pickles name: NumPy's array reconstruction
# (numpy < 2 and >= 2 spellings).
ALLOWED_PICKLE_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}
UNREADABLE = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
)


class DataError(RuntimeError):
    """A data file is missing, truncated, corrupt or unsafe; the message says, in French, what to
    do."""


class RefusedGlobal(pickle.UnpicklingError):
    """The file asks for a function or class that a CIFAR file never needs."""


class RestrictedUnpickler(pickle.Unpickler):
    """Refuses every global but NumPy's array reconstruction: a hostile file cannot run code."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED_PICKLE_GLOBALS:
            return super().find_class(module, name)
        raise RefusedGlobal(f"{module}.{name}")


def load_pickle_safely(path):
    path = Path(path)
    try:
        with open(path, "rb") as file:
            return RestrictedUnpickler(file, encoding="bytes").load()
    except FileNotFoundError:
        raise DataError(f"Fichier introuvable : {path}. Copiez-y le fichier officiel.") from None
    except RefusedGlobal as error:
        raise DataError(
            f"Le fichier {path.name} ({path}) demande à exécuter « {error} » : "
            "ce n'est pas un fichier CIFAR officiel. Il est refusé, rien de son contenu "
            "n'a été exécuté ; remplacez-le par l'original."
        ) from None
    except (*UNREADABLE, MemoryError) as error:
        raise DataError(
            f"Le fichier {path.name} ({path}) est tronqué ou corrompu ({error})."
        ) from None


def read_cifar_batch(path, label_key=b"labels", num_classes=10):
    """One CIFAR batch file -> (images uint8 (N, 32, 32, 3), labels int64 (N,)), checked."""
    batch = load_pickle_safely(path)
    name = Path(path).name
    if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
        raise DataError(
            f"Le fichier {name} n'a pas la structure d'un lot CIFAR "
            f"(clés b'data' et {label_key!r})."
        )
    data = batch[b"data"]
    labels = np.asarray(batch[label_key])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.shape[1:] != (3072,):
        raise DataError(
            f"Le fichier {name} : b'data' doit être un tableau uint8 de forme (N, 3072)."
        )
    if (
        labels.shape != (len(data),)
        or labels.size == 0
        or not 0 <= labels.min() <= labels.max() < num_classes
    ):
        raise DataError(
            f"Le fichier {name} : {labels.size} étiquettes pour {len(data)} images, "
            f"ou hors de 0…{num_classes - 1}."
        )
    # each row holds the R plane, then G, then B
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.int64)


def read_cifar10(folder):
    """The official cifar-10-batches-py folder -> the arrays, the class names and where the images
    come from."""
    missing = [name for name in CIFAR10_FILES if not (folder / name).is_file()]
    if missing:
        raise DataError(
            f"Le dossier {folder} ne contient pas {', '.join(missing)}. "
            "Copiez-y les fichiers officiels "
            "de cifar-10-batches-py (archive cifar-10-python.tar.gz)."
        )
    meta = load_pickle_safely(folder / "batches.meta")
    if not isinstance(meta, dict) or not isinstance(meta.get(b"label_names"), list):
        raise DataError(f"Le fichier batches.meta ({folder}) n'a pas la liste b'label_names'.")
    names = [name.decode() for name in meta[b"label_names"]]
    parts = [read_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([images for images, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts])
    x_test, y_test = read_cifar_batch(folder / "test_batch")
    label = (
        load_pickle_safely(folder / "test_batch").get(b"batch_label", b"").decode(errors="replace")
    )
    if "JPEG" in label.upper():  # the label of the recompressed copy says so
        source = JPEG_COPY
    elif len(y_train) < 50_000:
        source = (
            f"échantillon de CIFAR-10 ({len(y_train):_} images d'entraînement au lieu de 50 000)"
        )
        source = source.replace("_", " ")
    else:
        source = "CIFAR-10 original (fichiers officiels)"
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return arrays | {"class_names": names, "source": source}


def read_cifar100(folder):
    """The official cifar-100-python folder -> the arrays with the 100 fine labels, and their
    names."""
    meta = load_pickle_safely(folder / "meta")
    names = [name.decode() for name in meta.get(b"fine_label_names", [])] or [
        str(i) for i in range(100)
    ]
    x_train, y_train = read_cifar_batch(folder / "train", label_key=b"fine_labels", num_classes=100)
    x_test, y_test = read_cifar_batch(folder / "test", label_key=b"fine_labels", num_classes=100)
    source = "CIFAR-100 (fichiers officiels)"
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return arrays | {"class_names": names, "source": source}


def read_idx_gz(path):
    """One gzip IDX file (the MNIST format) -> uint8 array, its header checked."""
    try:
        with gzip.open(path, "rb") as file:
            raw = file.read()
    except FileNotFoundError:
        raise DataError(
            f"Fichier introuvable : {path}. Copiez les quatre fichiers .gz de Fashion-MNIST."
        ) from None
    except (OSError, EOFError) as error:
        raise DataError(
            f"Le fichier {Path(path).name} est tronqué ou corrompu ({error})."
        ) from None
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 8 else 0
    dimensions = {2049: 1, 2051: 3}.get(magic)  # labels: 1 dimension; images: 3
    if dimensions is None:
        raise DataError(f"Le fichier {Path(path).name} n'est pas un fichier IDX.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dimensions)
    if data.size != math.prod(shape):
        raise DataError(
            f"Le fichier {Path(path).name} est tronqué : {data.size} octets pour une forme {shape}."
        )
    return data.reshape(shape)


def read_fashion_mnist(folder):
    """The four gzip IDX files of Fashion-MNIST -> the arrays."""
    arrays = {}
    for split, (images_file, labels_file) in FASHION_FILES.items():
        images = read_idx_gz(folder / images_file)
        labels = read_idx_gz(folder / labels_file)
        if len(images) != len(labels) or images.ndim != 3:
            raise DataError(
                f"Fashion-MNIST {split} : {len(images)} images pour {len(labels)} étiquettes."
            )
        arrays[f"x_{split}"] = images
        arrays[f"y_{split}"] = labels.astype(np.int64)
    return arrays | {"source": "Fashion-MNIST (fichiers officiels)"}


def write_npz(path, arrays):
    """Written whole or not at all: a temporary file, renamed once complete."""
    partial = path.with_name(path.name + ".partial.npz")
    np.savez(partial, **arrays)
    os.replace(partial, path)


def prepare(source_dir, output_dir=None):
    """Read every data set found under source_dir, write its .npz into output_dir; returns the
    paths written."""
    root = Path(source_dir).expanduser()
    if not root.is_dir():
        raise DataError(
            f"Le dossier {root} n'existe pas. Donnez le dossier des fichiers officiels."
        )
    cifar10 = root / "cifar-10-batches-py" if (root / "cifar-10-batches-py").is_dir() else root
    output = Path(output_dir).expanduser() if output_dir else cifar10.parent
    output.mkdir(parents=True, exist_ok=True)
    written = [output / OUTPUTS["cifar10"]]
    # CIFAR-10 is required; the others are written where present (main warns without Fashion-MNIST)
    write_npz(written[0], read_cifar10(cifar10))
    for name, read, folder in [
        ("cifar100", read_cifar100, cifar10.parent / "cifar-100-python"),
        ("fashion_mnist", read_fashion_mnist, cifar10.parent / "fashion-mnist"),
    ]:
        if folder.is_dir():
            write_npz(output / OUTPUTS[name], read(folder))
            written.append(output / OUTPUTS[name])
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", help="folder holding cifar-10-batches-py (or that folder itself)")
    parser.add_argument(
        "--output",
        help="where to write the .npz files (default: the folder of cifar-10-batches-py)",
    )
    args = parser.parse_args(argv)
    try:
        written = prepare(args.source, args.output)
    except DataError as error:
        sys.exit(f"Erreur : {error}")
    for path in written:
        print(f"{path} ({path.stat().st_size / 1e6:.0f} Mo)")
    if not any(path.name == OUTPUTS["fashion_mnist"] for path in written):
        print(
            "Attention : pas de dossier fashion-mnist/ à côté de cifar-10-batches-py ; le "
            "notebook en a besoin (TP 1 et 2). Copiez-y les quatre fichiers .gz de Fashion-MNIST, "
            "puis relancez ce script.",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
