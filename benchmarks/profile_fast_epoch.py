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
  NumPy (no per-epoch pipeline to start);
- threads_repeat: `threads`, fed by one repeated tf.data.Dataset whose iterator lives across epochs
  (Keras makes a new iterator each epoch otherwise);
- threads_nocallbacks: `threads` without the epoch-boundary callbacks (alternating flip, Lookahead);
- threads_generator: `threads`, fed by an endless Python generator of shuffled batches (the last
  one partial, as with arrays), so that one iterator lives across epochs.
Each epoch adds one row to the JSON report (--json): seconds, median / 90th percentile / slowest
step, resident memory, and the share of the CPU that other processes used meanwhile.

--step-costs times training steps instead (median of 8 after 3 warm-up steps, one batch, no
callbacks) for the model as it is and with one part swapped for a cheaper one (augmentation
layers removed, batch norm removed, GELU -> ReLU or its tanh approximation, whitening bias
frozen) or computed in bfloat16 (Keras' mixed_bfloat16 policy): where a step's time goes.
These variants are for measuring only; they are not the model.
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
        "--variant",
        default="arrays",
        choices=[
            "arrays",
            "dataset",
            "threads",
            "batches",
            "threads_repeat",
            "threads_nocallbacks",
            "threads_generator",
        ],
    )
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--mode", default="full", choices=["full", "quick", "smoke"])
    parser.add_argument("--json", type=Path, help="report to append this run to")
    parser.add_argument("--step-costs", action="store_true", help="time steps per model variant")
    parser.add_argument("--costs-of", nargs="+", help="--step-costs: only these variants")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="profile-") as scratch:  # the registry, unused here
        (step_costs if args.step_costs else profile)(args, scratch)


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


def cheaper_layers(layers, activations, swapped):
    """keras.layers, with BatchNormalization ("batch_norm") removed, or GELU made ReLU ("gelu") or
    its tanh approximation ("gelu_tanh")."""

    class Swapped:
        def __getattr__(self, name):
            return getattr(layers, name)

        def BatchNormalization(self, **kwargs):
            return (
                layers.Identity()
                if swapped == "batch_norm"
                else layers.BatchNormalization(**kwargs)
            )

        def Activation(self, activation, **kwargs):
            if swapped == "gelu" and activation == "gelu":
                activation = "relu"
            elif swapped == "gelu_tanh" and activation == "gelu":
                return layers.Lambda(lambda x: activations.gelu(x, approximate=True))
            return layers.Activation(activation, **kwargs)

    return Swapped()


def step_costs(args, scratch):
    """Median seconds of a training step for the model and for each cheaper variant."""
    nb, data = notebook_and_data(args, scratch)
    keras = nb["keras"]
    cfg = nb["CFG"]
    train_data, training = nb["fast_training"](data, 0, 10, cfg["fast_batch"], nb["FAST_PIECES"])
    images = train_data.x_train[: cfg["fast_batch"]]
    targets = keras.utils.to_categorical(train_data.y_train[: cfg["fast_batch"]], data.num_classes)
    originals = {name: nb[name] for name in ("RandomCropFlip", "AlternatingFlip", "layers")}

    def identity(*args, **kwargs):
        return keras.layers.Identity()

    rows = []
    variants = ["model", "no_augmentation", "batch_norm", "gelu", "gelu_tanh"]
    variants += ["whitening_bias_frozen", "mixed_bfloat16"]
    for variant in args.costs_of or variants:
        nb.update(originals)
        if variant == "no_augmentation":
            nb.update(RandomCropFlip=identity, AlternatingFlip=identity)
        elif variant in ("batch_norm", "gelu", "gelu_tanh"):
            nb["layers"] = cheaper_layers(originals["layers"], keras.activations, variant)
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        policy = "mixed_bfloat16" if variant == "mixed_bfloat16" else None
        model = nb["build_fast_cnn"](train_data, seed=0, dtype_policy=policy)
        if variant == "whitening_bias_frozen":
            model.get_layer("whitening_bias").trainable = False
        optimizer = nb["fast_optimizer"](49, 10)
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=training["label_smoothing"])
        model.compile(optimizer=optimizer, loss=loss)
        seconds = []
        for step in range(11):
            started = time.perf_counter()
            model.train_on_batch(images, targets)
            seconds.append(time.perf_counter() - started)
        row = {"variant": variant, "median_step": round(float(np.median(seconds[3:])), 3)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    nb.update(originals)
    if args.json:
        append_run(args.json, nb, {"variant": "step_costs", "data": data.name, "steps": rows})


def append_run(path, nb, run):
    report = json.loads(path.read_text()) if path.exists() else {"runs": []}
    facts = {
        "device": f"{nb['DEVICE_KIND']}: {nb['DEVICE_NAME']}",
        "versions": nb["FACTS"]["versions"],
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    report["runs"].append(run | facts)
    path.write_text(json.dumps(report, indent=1))


def notebook_and_data(args, scratch):
    """The notebook's definitions and all 50,000 training images (1,000 of them as a monitor)."""
    nb = load_definitions(
        RUN_MODE=args.mode,
        DATA_DIR=args.data_dir,
        RESULTS_DIR=f"{scratch}/results",
        FIGURES_DIR=f"{scratch}/figures",
    )
    if args.variant.startswith("threads"):
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(os.cpu_count())
        tf.config.threading.set_inter_op_parallelism_threads(1)
    folder = nb["data_folder"](args.data_dir, required=["cifar10.npz"])
    (train, test), _, source = nb["load_data"]("cifar10", folder)
    monitor = slice(0, 1000)  # as benchmarks/airbench_vs_fast.py: no image held out
    data = nb["Dataset"](
        source,
        train[0],
        train[1],
        train[0][monitor],
        train[1][monitor],
        *test,
        nb["CLASS_NAMES_FR"],
    )
    return nb, data


def profile(args, scratch):
    """Train the fast model args.epochs epochs, one row per epoch; append the run to args.json."""
    nb, data = notebook_and_data(args, scratch)
    keras = nb["keras"]
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
    callbacks = [] if args.variant == "threads_nocallbacks" else training["callbacks"]
    callbacks = [*callbacks, make_epoch_profiler(keras, nb["OtherProcessesCpu"], rows)]
    if args.variant in ("dataset", "threads_repeat"):
        import tensorflow as tf

        inputs = tf.data.Dataset.from_tensor_slices((train_data.x_train, targets))
        inputs = inputs.shuffle(len(targets), seed=0, reshuffle_each_iteration=True)
        repeat = args.variant == "threads_repeat"
        inputs = (inputs.repeat() if repeat else inputs).batch(cfg["fast_batch"])
        model.fit(
            inputs.prefetch(tf.data.AUTOTUNE),
            epochs=args.epochs,
            steps_per_epoch=math.ceil(len(targets) / cfg["fast_batch"]) if repeat else None,
            verbose=0,
            callbacks=callbacks,
        )
    elif args.variant == "threads_generator":
        steps = math.ceil(len(targets) / cfg["fast_batch"])
        inputs = nb["endless_batches"](train_data.x_train, targets, cfg["fast_batch"])
        model.fit(inputs, epochs=args.epochs, steps_per_epoch=steps, verbose=0, callbacks=callbacks)
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
        append_run(args.json, nb, {"variant": args.variant, "data": data.name, "epochs": rows})


if __name__ == "__main__":
    main()
