"""Train airbench94 (PyPI package `airbench`, K. Jordan) with its own recipe on a local copy of
CIFAR-10.

Runs in airbench's own environment (requirements-airbench.txt: torch + airbench), never in the
notebook's. Only what the package cannot do here is adapted, and nothing of its recipe:
- data: it downloads CIFAR-10 with torchvision into cifar10/train.pt and test.pt; we write these
  two files from the cifar10.npz that scripts/prepare_data.py made of the official files, so both
  systems read the same images;
- device and precision: it is written for a CUDA GPU in float16; on a CPU its tensors stay in
  float32 on the CPU, `torch.cuda` events (its timer) become wall-clock timers, and torchvision
  (only used for downloading and `Normalize`) is replaced by the same normalisation, because
  torchvision's wheels do not load beside the CPU torch.

Prints one JSON line per seed: {"seed", "test_acc" (airbench's TTA level 2), "test_acc_no_tta",
"train_seconds", "first_epoch_seconds", "epoch_seconds", "total_seconds" (airbench's own timer:
whitening + epochs + TTA), ...}.

    # --data-dir: the folder of cifar10.npz
    python benchmarks/airbench_runner.py --data-dir ~/data/npz --seeds 0 1
"""

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import torch

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_airbench_files(data_dir, target):
    """cifar10/train.pt and test.pt, in the layout airbench's CifarLoader reads, from cifar10.npz
    (no pickle)."""
    target.mkdir(parents=True, exist_ok=True)
    with np.load(Path(data_dir) / "cifar10.npz") as arrays:
        for file_name, split in [("train.pt", "train"), ("test.pt", "test")]:
            images = torch.tensor(arrays[f"x_{split}"])
            labels = torch.tensor(arrays[f"y_{split}"])
            torch.save({"images": images, "labels": labels, "classes": CLASSES}, target / file_name)


def install_cpu_adapters():
    """Let airbench run on a machine without CUDA nor torchvision (see the module docstring)."""
    if torch.cuda.is_available():
        return "cuda"

    class Normalize:
        def __init__(self, mean, std):
            self.mean = torch.as_tensor(mean).view(-1, 1, 1)
            self.std = torch.as_tensor(std).view(-1, 1, 1)

        def __call__(self, images):
            return (images - self.mean.to(images.dtype)) / self.std.to(images.dtype)

    torchvision = types.ModuleType("torchvision")
    torchvision.transforms = types.SimpleNamespace(Normalize=Normalize)
    torchvision.datasets = types.SimpleNamespace()
    sys.modules["torchvision"] = torchvision
    sys.modules["torchvision.transforms"] = torchvision.transforms

    class WallClockEvent:  # stands in for torch.cuda.Event(enable_timing=True)
        def __init__(self, **_):
            self.time = None

        def record(self):
            self.time = time.perf_counter()

        def elapsed_time(self, end):
            return 1000 * (end.time - self.time)  # milliseconds, like CUDA events

    torch.cuda.Event = WallClockEvent
    torch.cuda.synchronize = lambda *_: None
    torch.nn.Module.cuda = lambda self, *_, **__: self
    torch.nn.Module.half = lambda self: self  # the network stays in float32 on the CPU

    import airbench.utils

    class CpuCifarLoader(airbench.utils.CifarLoader):
        def __init__(self, path, *args, **kwargs):
            super().__init__(path, *args, **{**kwargs, "gpu": "cpu"})
            self.images = self.images.float()  # the package stores float16 for the GPU

    airbench.utils.CifarLoader = CpuCifarLoader
    return "cpu"


def train_seed(seed, epochs, max_batch):
    """One airbench94 training with its own hyper-parameters; returns the measurements of its own
    log."""
    import airbench.lib_airbench94 as lib
    import airbench.utils

    rows = []
    print_details = airbench.utils.print_training_details

    def record(variables, is_final_entry):
        rows.append(
            {
                key: variables.get(key)
                for key in ("epoch", "val_acc", "tta_val_acc", "total_time_seconds")
            }
        )
        print_details(variables, is_final_entry)

    airbench.utils.print_training_details = record
    torch.manual_seed(seed)
    batch_size = min(lib.hyp["opt"]["batch_size"], max_batch)
    loader = airbench.utils.CifarLoader(
        "cifar10", train=True, batch_size=batch_size, aug=lib.hyp["aug"], altflip=True
    )
    started = time.perf_counter()
    lib.train94(loader, epochs=epochs)
    wall = time.perf_counter() - started
    per_epoch = rows[:-1]
    final = rows[-1]
    cumulative = [row["total_time_seconds"] for row in per_epoch]
    epoch_seconds = [b - a for a, b in zip([0.0, *cumulative[:-1]], cumulative, strict=True)]
    return {
        "seed": seed,
        "test_acc": final["tta_val_acc"],
        "test_acc_no_tta": per_epoch[-1]["val_acc"],
        # whitening + the training epochs (its per-epoch test evaluation excluded)
        "train_seconds": cumulative[-1],
        "first_epoch_seconds": epoch_seconds[0],
        "later_epoch_seconds_median": float(np.median(epoch_seconds[1:] or epoch_seconds)),
        "epoch_seconds": epoch_seconds,
        # airbench's own timer: + test-time augmentation
        "total_seconds": final["total_time_seconds"],
        "wall_seconds": wall,
        "epochs": epochs,
        "batch_size": batch_size,
        "train_images": len(loader.images),
        "test_per_epoch": [row["val_acc"] for row in per_epoch],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir",
        required=True,
        type=Path,
        help="the folder of cifar10.npz (scripts/prepare_data.py)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument(
        "--epochs", type=float, default=None, help="tests only: fewer epochs than airbench94's 9.9"
    )
    parser.add_argument(
        "--max-batch", type=int, default=1024, help="tests only: smaller batches for tiny data"
    )
    args = parser.parse_args(argv)
    device = install_cpu_adapters()
    import airbench

    with tempfile.TemporaryDirectory(prefix="airbench-") as scratch:
        write_airbench_files(args.data_dir, Path(scratch) / "cifar10")
        os.chdir(scratch)  # airbench reads the relative path cifar10/
        facts = {
            "device": device,
            "cpu": cpu_name(),
            "threads": torch.get_num_threads(),
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "airbench": importlib.metadata.version("airbench"),
        }
        epochs = (
            airbench.lib_airbench94.hyp["opt"]["train_epochs"]
            if args.epochs is None
            else args.epochs
        )
        for seed in args.seeds:
            print(
                json.dumps(
                    {"system": "airbench94", **facts, **train_seed(seed, epochs, args.max_batch)}
                ),
                flush=True,
            )


def cpu_name():
    """The processor's model name (Linux), else what the platform module says."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return (
        f"{names[0]}, {len(names)} cores" if names else platform.processor() or platform.machine()
    )


if __name__ == "__main__":
    main()
