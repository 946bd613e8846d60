"""Where does an epoch of the fast model go? Time per step, memory and the machine's load, epoch by
epoch, for one way of feeding the data (a variant) per process.

    python benchmarks/profile_fast_epoch.py --data-dir build/data --variant arrays --epochs 4
    python benchmarks/profile_fast_epoch.py --data-dir build/data --variant dataset --epochs 4

--data-dir is a folder prepared by scripts/prepare_data.py. The model, its recipe and its size are
the notebook's (`full` mode: widths 64-256-256, batches of 1,024, all 50,000 training images).
Variants:
- arrays: model.fit on the NumPy arrays, as the notebook does (Keras builds its own pipeline);
- dataset: a tf.data.Dataset built once (shuffled each epoch, batched, prefetched);
- threads: `arrays`, with TensorFlow's thread pools set to the machine's cores (intra-op) and 1
  (inter-op);
- batches: a keras.utils.PyDataset that shuffles indices once per epoch and slices each batch with
  NumPy (no per-epoch pipeline to start).
Each epoch adds one row to the JSON report (--json): seconds, median / 90th percentile / slowest
step, resident memory, and the share of the CPU that other processes used meanwhile.
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from notebook_tools import load_definitions


def resident_megabytes():
    """Resident memory of this process (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_epoch_profiler(keras, other_processes_cpu, rows):
    """A callback that times every step and adds one row per epoch to `rows`. Put it last in the
    callback list: the work of the callbacks before it (Lookahead) is then charged to its step."""

    class EpochProfiler(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.steps = []
            self.others = other_processes_cpu().__enter__()
            self.epoch_started = time.perf_counter()
            self.step_started = self.epoch_started

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            self.steps.append(now - self.step_started)
            self.step_started = now

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.epoch_started
            self.others.__exit__(None, None, None)  # a context manager that spans one epoch
            steps = np.array(self.steps)
            row = {
                "epoch": epoch + 1,
                "seconds": round(seconds, 2),
                "steps": len(steps),
                "median_step": round(float(np.median(steps)), 3),
                "p90_step": round(float(np.percentile(steps, 90)), 3),
                "slowest_step": round(float(steps.max()), 3),
                "slowest_step_index": int(steps.argmax()),
                "rss_mb": round(resident_megabytes()),
                "shared_cpu": round(self.others.share, 3),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)

    return EpochProfiler()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True, help="folder of cifar10.npz")
    parser.add_argument(
        "--variant", default="arrays", choices=["arrays", "dataset", "threads", "batches"]
    )
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--mode", default="full", choices=["full", "quick", "smoke"])
    parser.add_argument("--json", type=Path, help="report to append this run to")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="profile-") as scratch:  # the registry, unused here
        profile(args, scratch)


def shuffled_batches(keras, images, targets, batch_size, seed):
    """A PyDataset of batches: a new order of the indices each epoch, each batch sliced by NumPy."""

    class ShuffledBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(targets))

        def __len__(self):
            return math.ceil(len(targets) / batch_size)

        def __getitem__(self, index):
            chosen = np.sort(self.order[index * batch_size : (index + 1) * batch_size])
            return images[chosen], targets[chosen]

        def on_epoch_end(self):
            self.order = self.rng.permutation(len(targets))

    return ShuffledBatches()


def profile(args, scratch):
    """Train the fast model args.epochs epochs, one row per epoch; append the run to args.json."""
    nb = load_definitions(
        RUN_MODE=args.mode,
        DATA_DIR=args.data_dir,
        RESULTS_DIR=f"{scratch}/results",
        FIGURES_DIR=f"{scratch}/figures",
    )
    keras = nb["keras"]
    if args.variant == "threads":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(os.cpu_count())
        tf.config.threading.set_inter_op_parallelism_threads(1)
    (train, test), _, source = nb["load_data"]("cifar10", nb["data_folder"](args.data_dir))
    monitor = slice(0, 1000)  # as benchmarks/airbench_vs_fast.py: no image held out
    data = nb["Dataset"](
        "cifar10_all_training_images",
        train[0],
        train[1],
        train[0][monitor],
        train[1][monitor],
        *test,
        nb["CLASS_NAMES_FR"],
    )
    cfg = nb["CFG"]
    keras.utils.set_random_seed(0)
    train_data, training = nb["fast_training"](
        data, 0, args.epochs, cfg["fast_batch"], nb["FAST_PIECES"]
    )
    model = nb["build_fast_cnn"](train_data, seed=0)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=training["label_smoothing"])
    model.compile(optimizer=training["optimizer"], loss=loss, metrics=["accuracy"])
    targets = keras.utils.to_categorical(train_data.y_train, data.num_classes)
    rows = []
    callbacks = [*training["callbacks"], make_epoch_profiler(keras, nb["OtherProcessesCpu"], rows)]
    if args.variant == "dataset":
        import tensorflow as tf

        inputs = tf.data.Dataset.from_tensor_slices((train_data.x_train, targets))
        inputs = inputs.shuffle(len(targets), seed=0, reshuffle_each_iteration=True)
        inputs = inputs.batch(cfg["fast_batch"]).prefetch(tf.data.AUTOTUNE)
        model.fit(inputs, epochs=args.epochs, verbose=0, callbacks=callbacks)
    elif args.variant == "batches":
        inputs = shuffled_batches(keras, train_data.x_train, targets, cfg["fast_batch"], 0)
        model.fit(inputs, epochs=args.epochs, verbose=0, callbacks=callbacks)
    else:
        model.fit(
            train_data.x_train,
            targets,
            epochs=args.epochs,
            batch_size=cfg["fast_batch"],
            verbose=0,
            callbacks=callbacks,
        )
    if args.json:
        report = json.loads(args.json.read_text()) if args.json.exists() else {"runs": []}
        report["runs"].append(
            {
                "variant": args.variant,
                "data": source,
                "device": f"{nb['DEVICE_KIND']}: {nb['DEVICE_NAME']}",
                "versions": nb["FACTS"]["versions"],
                "date": time.strftime("%Y-%m-%d %H:%M"),
                "epochs": rows,
            }
        )
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
