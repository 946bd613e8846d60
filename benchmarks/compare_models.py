"""Train on the same data, in one run, the notebook's fast model, the course's final CNN and the
TensorFlow-tutorial CNN.

Prints one line per model: test accuracy, training seconds, training images per second, forward
FLOPs per image. The fast model runs with several seeds (`--seeds`, default 3) and is reported as
mean ± standard deviation; its first epoch (which includes graph tracing / compilation) is reported
apart from the later ones. The models, the training function and the data pipeline are the
notebook's own (its `definitions` cells).

    # 2-core CPU, sample
    python benchmarks/compare_models.py --data-dir ~/data/npz
    # GPU: + one epoch on 50,000 images
    KERAS_BACKEND=jax python benchmarks/compare_models.py --data-dir ... --full-size-epoch

--data-dir is a folder prepared by scripts/prepare_data.py (it holds cifar10.npz).
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from notebook_tools import load_definitions


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", required=True, help="folder of cifar10.npz (scripts/prepare_data.py)"
    )
    parser.add_argument(
        "--mode",
        default="quick",
        choices=["full", "quick", "smoke"],
        help="the notebook's RUN_MODE (sizes, epochs)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=42,
        help="seed of the course models and of the fast model's first run",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="how many seeds for the fast model (seed, seed + 1, ...)",
    )
    parser.add_argument(
        "--fast-only",
        action="store_true",
        help="train only the fast model (skip the two course CNNs)",
    )
    parser.add_argument(
        "--full-size-epoch",
        action="store_true",
        help="also time one epoch of the fast model on 50,000 images",
    )
    parser.add_argument("--json", type=Path, help="write the measurements there")
    args = parser.parse_args(argv)
    # registry and weights of this run, then deleted
    with tempfile.TemporaryDirectory(prefix="benchmark-") as scratch:
        run(args, Path(scratch))


def run(args, scratch):
    """Train the models in a scratch registry, print the table, write the JSON report."""
    nb = load_definitions(
        RUN_MODE=args.mode,
        DATA_DIR=args.data_dir,
        RESULTS_DIR=str(scratch / "results"),
        FIGURES_DIR=str(scratch / "figures"),
        SEED=args.seed,
        FORCE_RETRAIN=True,
    )
    keras = nb["keras"]
    folder = nb["data_folder"](args.data_dir, required=["cifar10.npz"])
    (train, test), _, source = nb["load_data"]("cifar10", folder)
    data = nb["make_dataset"](
        "cifar10", train, test, nb["CLASS_NAMES_FR"], nb["MAX_IMAGES"], args.seed
    )
    cfg = nb["CFG"]
    registry = nb["REGISTRY"]
    print(
        f"{nb['DEVICE_KIND']}: {nb['DEVICE_NAME']} · backend {keras.backend.backend()} · "
        f"{nb['FACTS']['versions']}"
    )
    print(
        f"data: {source} · {len(data.y_train)} train / {len(data.y_val)} validation / "
        f"{len(data.y_test)} test · mode {args.mode}"
    )

    runs = [
        (
            f"fast_cnn_seed{seed}",
            lambda seed=seed: nb["run_fast_model"](
                registry, data, f"fast_cnn_seed{seed}", "fast", "fast model", seed=seed
            ),
            lambda: nb["build_fast_cnn"](data),
        )
        for seed in range(args.seed, args.seed + args.seeds)
    ]
    course_runs = [
        (
            "course_final",
            lambda: nb["run_experiment"](
                registry,
                data,
                "course_final",
                "ladder",
                "course final CNN",
                nb["cnn_leaky"],
                epochs=cfg["epochs_tp56"],
                batch_size=nb["FINAL_BATCH_SIZE"],
            ),
            nb["cnn_leaky"],
        ),
        (
            "tf_tutorial_cnn",
            lambda: nb["run_experiment"](
                registry,
                data,
                "tf_tutorial_cnn",
                "tutorial",
                "TensorFlow tutorial CNN",
                nb["tf_tutorial_cnn"],
                epochs=cfg["epochs_tutorial"],
                batch_size=32,
            ),
            nb["tf_tutorial_cnn"],
        ),
    ]
    if not args.fast_only:
        runs += course_runs
    results = []
    for name, train_model, build in runs:
        train_model()
        record = registry.frame(names=[name]).iloc[0]  # one seed per name here
        epoch_seconds = registry.history(name, record["seed"])["epoch_seconds"]
        results.append(
            {
                "model": name,
                "test_acc": float(record["test_acc"]),
                "val_acc": float(record["val_acc"]),
                "train_acc": float(record["train_acc"]),
                "train_seconds": float(record["train_seconds"]),
                "first_epoch_seconds": float(epoch_seconds[0]),
                "later_epoch_seconds_median": float(np.median(epoch_seconds[1:]))
                if len(epoch_seconds) > 1
                else None,
                "epochs": int(record["epochs"]),
                "images_per_second": len(data.y_train)
                * int(record["epochs"])
                / float(record["train_seconds"]),
                "flops_per_image": nb["model_flops"](build()),
                "params": int(record["params"]),
            }
        )

    if args.full_size_epoch:
        keras.utils.set_random_seed(args.seed)
        rng = np.random.default_rng(args.seed)
        full = nb["Dataset"](
            "synthetic_full_size",
            rng.integers(0, 256, (50_000, 32, 32, 3), dtype=np.uint8),
            rng.integers(0, 10, 50_000),
            data.x_val[:1000],
            data.y_val[:1000],
            data.x_test[:1000],
            data.y_test[:1000],
            data.class_names,
        )
        widths = nb["MODES"]["full"]["fast_widths"]
        batch_size = nb["MODES"]["full"]["fast_batch"]
        model = nb["build_fast_cnn"](full, widths)
        steps = -(-50_000 // batch_size)
        full_mode = nb["MODES"]["full"]
        _, epoch_seconds = nb["compile_and_fit"](
            model,
            full,
            epochs=2,
            batch_size=batch_size,
            optimizer=nb["fast_optimizer"](
                steps, 2, full_mode["fast_learning_rate"], full_mode["fast_weight_decay"]
            ),
            label_smoothing=nb["FAST_RECIPE"]["label_smoothing"],
        )
        print(
            f"full-size epoch (50,000 random images, widths {widths}, batch {batch_size}, "
            f"policy {nb['mixed_precision_policy']()}): "
            f"first epoch {epoch_seconds[0]:.1f} s (includes compilation), "
            f"second epoch {epoch_seconds[1]:.2f} s = {50_000 / epoch_seconds[1]:,.0f} images/s"
        )
        results.append(
            {
                "model": "fast_cnn_full_size_epoch",
                "epoch_seconds": epoch_seconds,
                "widths": list(widths),
                "batch_size": batch_size,
                "images_per_second": 50_000 / epoch_seconds[1],
            }
        )

    print(
        f"\n{'model':<17} {'test acc':>8} {'train s':>8} {'img/s':>8} {'MFLOPs/img':>11} "
        f"{'params':>9} epochs"
    )
    for row in results:
        if "test_acc" in row:
            print(
                f"{row['model']:<17} {row['test_acc']:>8.3f} {row['train_seconds']:>8.1f} "
                f"{row['images_per_second']:>8.0f} "
                f"{row['flops_per_image'] / 1e6:>11.1f} {row['params']:>9} {row['epochs']:>6}"
            )
    fast_runs = [row for row in results if row["model"].startswith("fast_cnn_seed")]
    fast_summary = {
        key: summarise([row[key] for row in fast_runs])
        for key in (
            "test_acc",
            "val_acc",
            "train_acc",
            "train_seconds",
            "first_epoch_seconds",
            "later_epoch_seconds_median",
        )
    }
    fast_summary["seeds"] = len(fast_runs)
    acc = fast_summary["test_acc"]
    seconds = fast_summary["train_seconds"]
    print(
        f"\nfast_cnn over {len(fast_runs)} seed{'s' if len(fast_runs) > 1 else ''}: "
        f"test {100 * acc['mean']:.1f} ± {100 * (acc['std'] or 0):.1f} %, "
        f"training {seconds['mean']:.0f} ± {seconds['std'] or 0:.0f} s per seed "
        f"(first epoch, with compilation: {fast_summary['first_epoch_seconds']['mean']:.1f} s; "
        f"later epochs: {fast_summary['later_epoch_seconds_median']['mean']:.1f} s)"
    )
    final = next((row for row in results if row["model"] == "course_final"), None)
    if final is not None:
        print(
            "fast_cnn vs course_final: "
            f"{100 * (acc['mean'] - final['test_acc']):+.1f} points of test accuracy, "
            f"{seconds['mean'] / final['train_seconds']:.0%} of its training time"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "device": nb["DEVICE_NAME"],
                    "backend": keras.backend.backend(),
                    "versions": nb["VERSIONS"],
                    "python": platform.python_version(),
                    "data": source,
                    "mode": args.mode,
                    "date": time.strftime("%Y-%m-%d"),
                    "train_val_test": [len(data.y_train), len(data.y_val), len(data.y_test)],
                    "fast_cnn_summary": fast_summary,
                    "results": results,
                },
                indent=2,
            )
        )


def summarise(values):
    """Mean ± standard deviation between seeds (null for one seed), with the values, for the JSON
    report."""
    values = [float(value) for value in values if value is not None]
    std = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return {"mean": float(np.mean(values)), "std": std, "values": values}


if __name__ == "__main__":
    main()
