"""airbench94 and the notebook's fast model side by side: same training images (all 50,000), same
test set, same machine.

    # both systems, seeds 0 and 1
    make benchmark-airbench DATA_DIR=~/data
    # a third seed for each
    python benchmarks/airbench_vs_fast.py --data-dir ... --seeds 0 1 2

--data-dir is a folder prepared by scripts/prepare_data.py (it holds cifar10.npz); both systems
read that file.

airbench94 runs in its own environment (requirements-airbench.txt, `--airbench-python`), through
benchmarks/airbench_runner.py; the fast model runs here, with the notebook's own definitions (its
final recipe). Every finished seed is written at once to the JSON report; running the command again
skips the seeds the report already holds for this processor, so a long comparison survives an
interruption. The report gives, for each processor and system, the test accuracy per seed and
mean ± std, the training seconds (first epoch apart), epochs, device and versions.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from notebook_tools import load_definitions

DEFAULT_REPORT = ROOT / "benchmarks" / "results_cpu_airbench94_vs_fast_cifar10_jpeg75.json"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir",
        required=True,
        type=Path,
        help="folder of cifar10.npz (scripts/prepare_data.py)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="seeds of each system")
    parser.add_argument(
        "--systems",
        nargs="+",
        default=["airbench94", "fast_cnn"],
        choices=["airbench94", "fast_cnn"],
    )
    parser.add_argument(
        "--airbench-python", default=str(ROOT / ".venv-airbench" / "bin" / "python")
    )
    parser.add_argument(
        "--mode", default="full", choices=["full", "quick", "smoke"], help="the notebook's RUN_MODE"
    )
    parser.add_argument(
        "--airbench-epochs", type=float, help="tests only: fewer epochs than airbench94's 9.9"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_REPORT,
        help="the report (read to resume, rewritten per seed)",
    )
    args = parser.parse_args(argv)
    data_dir = args.data_dir
    report = json.loads(args.json.read_text()) if args.json.exists() else {"runs": []}
    fast = FastModel(data_dir, args.mode) if "fast_cnn" in args.systems else None
    for system in args.systems:
        for seed in args.seeds:
            if any(
                run["system"] == system and run["seed"] == seed and run["cpu"] == cpu_name()
                for run in report["runs"]
            ):
                print(f"{system} seed {seed}: already in {args.json.name}, skipped", flush=True)
                continue
            run = fast.train(seed) if system == "fast_cnn" else run_airbench(args, data_dir, seed)
            report["runs"].append(
                run
                | {"date": time.strftime("%Y-%m-%d %H:%M"), "load_average": list(os.getloadavg())}
            )
            # One summary per processor: times and even accuracies differ from one to another
            report["summary"] = {
                cpu: summarise([run for run in report["runs"] if run["cpu"] == cpu])
                for cpu in sorted({run["cpu"] for run in report["runs"]})
            }
            write_atomically(args.json, json.dumps(report, indent=1))
    print_summary(report.get("summary", {}).get(cpu_name(), {}))
    return report


def run_airbench(args, data_dir, seed):
    """One airbench94 training in its own environment; its log is shown as it goes."""
    if not Path(args.airbench_python).exists():
        sys.exit(
            f"airbench's environment is missing ({args.airbench_python}): "
            "make .venv-airbench/installed"
        )
    command = [
        args.airbench_python,
        str(ROOT / "benchmarks" / "airbench_runner.py"),
        "--data-dir",
        str(data_dir),
    ]
    command += ["--seeds", str(seed)]
    if args.airbench_epochs:
        command += ["--epochs", str(args.airbench_epochs), "--max-batch", "128"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        lines = []
        for line in process.stdout:
            print(line, end="", flush=True) if not line.startswith("{") else lines.append(
                json.loads(line)
            )
    if process.returncode or not lines:
        sys.exit(f"airbench94 failed (exit status {process.returncode})")
    return lines[0]


def summarise(runs):
    """Per system: mean ± std (between seeds) of test accuracy and training seconds, and the ratio
    of times."""
    summary = {}
    for system in sorted({run["system"] for run in runs}):
        chosen = [run for run in runs if run["system"] == system]
        summary[system] = {
            "seeds": [run["seed"] for run in chosen],
            "cpu": sorted({run["cpu"] for run in chosen}),
        }
        for key in (
            "test_acc",
            "train_seconds",
            "first_epoch_seconds",
            "later_epoch_seconds_median",
        ):
            values = np.array([run[key] for run in chosen], dtype=float)
            std = float(values.std(ddof=1)) if len(values) > 1 else None
            summary[system][key] = {
                "mean": float(values.mean()),
                "std": std,
                "values": values.tolist(),
            }
    if {"airbench94", "fast_cnn"} <= set(summary):
        ours = summary["fast_cnn"]
        theirs = summary["airbench94"]
        summary["fast_cnn_minus_airbench94_points"] = 100 * (
            ours["test_acc"]["mean"] - theirs["test_acc"]["mean"]
        )
        summary["fast_cnn_time_ratio"] = (
            ours["train_seconds"]["mean"] / theirs["train_seconds"]["mean"]
        )
    return summary


def print_summary(summary):
    print(
        f"\n{'system':<12} {'seeds':>5} {'test accuracy (%)':>18} {'training (s)':>14} "
        f"{'first epoch (s)':>16}"
    )
    for system in ("airbench94", "fast_cnn"):
        if system in summary:
            row = summary[system]
            acc = row["test_acc"]
            seconds = row["train_seconds"]

            def spread(item, scale):
                return f" ± {scale * item['std']:.2f}" if item["std"] is not None else ""

            print(
                f"{system:<12} {len(row['seeds']):>5} "
                f"{100 * acc['mean']:>10.2f}{spread(acc, 100):<8} "
                f"{seconds['mean']:>8.0f}{spread(seconds, 1):<6} "
                f"{row['first_epoch_seconds']['mean']:>16.1f}"
            )
    if "fast_cnn_time_ratio" in summary:
        print(
            f"fast_cnn − airbench94: {summary['fast_cnn_minus_airbench94_points']:+.2f} points, "
            f"{summary['fast_cnn_time_ratio']:.2f} × its training time"
        )


def write_atomically(path, text):
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def cpu_name():
    """The processor's model name (Linux), the same text as airbench_runner.py writes."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return f"{names[0]}, {len(names)} cores" if names else "unknown processor"


class FastModel:
    """The notebook's fast model (its definitions, its final recipe and size of `mode`), on all
    50,000 training images.

    compile_and_fit validates after each epoch; here on 1,000 of the training images (a monitor
    only, about 1 % of an epoch's time, counted in our training seconds), so that no image is held
    out and the test set is read once.
    """

    def __init__(self, data_dir, mode):
        # the notebook's registry and figures, unused here
        scratch = tempfile.mkdtemp(prefix="airbench-vs-fast-")
        self.nb = load_definitions(
            RUN_MODE=mode,
            DATA_DIR=str(data_dir),
            RESULTS_DIR=f"{scratch}/results",
            FIGURES_DIR=f"{scratch}/figures",
        )
        folder = self.nb["data_folder"](str(data_dir), required=["cifar10.npz"])
        (train, test), _, self.source = self.nb["load_data"]("cifar10", folder)
        x_train, y_train = train
        monitor = slice(0, min(1000, len(y_train)))
        self.data = self.nb["Dataset"](
            "cifar10_all_training_images",
            x_train,
            y_train,
            x_train[monitor],
            y_train[monitor],
            *test,
            self.nb["CLASS_NAMES_FR"],
        )

    def train(self, seed):
        nb = self.nb
        data = self.data
        cfg = self.nb["CFG"]
        keras = nb["keras"]
        pieces = nb["FAST_PIECES"]
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        print(
            f"fast_cnn seed {seed}: {len(data.y_train)} training images, "
            f"widths {cfg['fast_widths']}",
            flush=True,
        )
        started = time.perf_counter()
        train_data, training = nb["fast_training"](
            data, seed, cfg["fast_epochs"], cfg["fast_batch"], pieces
        )
        model = nb["build_fast_cnn"](train_data, seed=seed, pieces=pieces)
        # includes the whitening (eigenvectors of the patch covariance)
        build_seconds = time.perf_counter() - started
        _, epoch_seconds = nb["compile_and_fit"](model, train_data, **training)
        started = time.perf_counter()
        probabilities = nb["predict_probabilities"](model, data.x_test, pieces["tta"])
        tta_seconds = time.perf_counter() - started
        no_tta = nb["predict_probabilities"](model, data.x_test)
        train_seconds = build_seconds + sum(epoch_seconds)
        return {
            "system": "fast_cnn",
            "device": nb["DEVICE_KIND"].lower(),
            "cpu": cpu_name(),
            "backend": keras.backend.backend(),
            "versions": nb["VERSIONS"],
            "seed": seed,
            "test_acc": nb["accuracy_of"](probabilities, data.y_test),
            "test_acc_no_tta": nb["accuracy_of"](no_tta, data.y_test),
            "train_seconds": train_seconds,
            "first_epoch_seconds": build_seconds
            + epoch_seconds[0],  # with the whitening, like airbench's first epoch
            "later_epoch_seconds_median": float(np.median(epoch_seconds[1:] or epoch_seconds)),
            "epoch_seconds": epoch_seconds,
            "total_seconds": train_seconds
            + tta_seconds,  # like airbench's own timer: + test-time augmentation
            "epochs": cfg["fast_epochs"],
            "batch_size": cfg["fast_batch"],
            "widths": list(cfg["fast_widths"]),
            "pieces": dict(pieces),  # the recipe's switches: one data iterator, bfloat16 on AMX...
            "dtype_policy": model.dtype_policy.name,
            "train_images": len(data.y_train),
            "data": self.source,
        }


if __name__ == "__main__":
    main()
