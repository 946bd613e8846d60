"""The README's results table, generated from the committed registry (results/experiments.csv).

    python scripts/results_table.py          # print the table (Markdown)
    python scripts/results_table.py --write  # replace the table between the README's two markers

One row per experiment: the mean over its seeds, ± the standard deviation between seeds where there
are several, else ± the 95 % interval of the sampling of the images (binomial). A test checks that
the README holds this output.
"""

import argparse
import json
import math
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START = "<!-- results-table:start -->"
END = "<!-- results-table:end -->"
SHOWN = [  # (experiment, label): the models the README summarises, in the notebook's order
    ("fashion_first_cnn", "Fashion-MNIST : premier CNN du TP"),
    ("fashion_dropout", "Fashion-MNIST : + dropout 0,2"),
    ("fashion_dense128", "Fashion-MNIST : + dense 128"),
    ("dense_baseline", "réseau dense 512-256"),
    ("first_cnn_raw", "premier CNN, pixels bruts"),
    ("first_cnn_scaled", "premier CNN, pixels / 255"),
    ("ladder_reference", "premier CNN / 255, 15 époques (départ de l'échelle)"),
    ("cnn_dropout05", "(3.9) deux dropout 0,5"),
    ("cnn_conv_pairs", "(4.2) convolutions 3 × 3 par paires"),
    ("cnn_same_padding", "(4.5) padding same"),
    ("cnn_dropout025", "(4.6) dropout 0,25"),
    ("cnn_third_block", "(5.1) troisième bloc"),
    ("cnn_batchnorm", "(5.2) batch-norm"),
    ("cnn_batchnorm_tp55", "(5.5) batch-norm, 20 époques"),
    ("cnn_batchnorm_long", "batch-norm, 40 époques"),
    ("cnn_leaky_long", "(5.6) LeakyReLU, 40 époques, lots de 64"),
    ("course_final", "(5.6) modèle final du cours"),
    ("cnn_augmentation", "+ augmentation (taux fixe)"),
    ("cnn_augmentation_callbacks", "+ augmentation et callbacks"),
    ("fast_cnn", "modèle rapide (§ 8)"),
    ("knn_pixels", "kNN sur les pixels"),
]


def french(value, decimals=1):
    return f"{value:.{decimals}f}".replace(".", ",")


def accuracy(values, count):
    """'62,3 % ± 0,8' (std between seeds) or, for one seed, '62,3 % ± 1,3 (IC)' (95 % sampling
    interval)."""
    mean = values.mean()
    if len(values) > 1:
        return f"{french(100 * mean)} % ± {french(100 * values.std(ddof=1))}"
    return f"{french(100 * mean)} % ± {french(196 * math.sqrt(mean * (1 - mean) / count))} (IC)"


def table(results=ROOT / "results"):
    """The Markdown table of the trainings that the committed run used (run_summary.json).

    The registry may hold more seeds than that run used (a long run carried across sessions):
    they wait for the next run of the notebook, and stay out of the README until then.
    """
    runs = pd.read_csv(results / "experiments.csv")
    used = json.loads((results / "run_summary.json").read_text()).get("trainings")
    if used is not None:
        keys = pd.MultiIndex.from_frame(runs[["experiment", "seed"]])
        runs = runs[keys.isin([tuple(pair) for pair in used])]
    lines = [
        "| modèle | expérience | graines | époques | validation | test |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, label in SHOWN:
        rows = runs[runs["experiment"] == name]
        if rows.empty:
            continue
        val = accuracy(rows["val_acc"], rows["val_images"].iloc[0])
        test = accuracy(rows["test_acc"], rows["test_images"].iloc[0])
        lines.append(
            f"| {label} | `{name}` | {len(rows)} | {rows['epochs'].max()} | {val} | {test} |"
        )
    return "\n".join(lines)


def with_table(readme_text, markdown):
    before, rest = readme_text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{markdown}\n{END}{after}"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="update the table in README.md")
    args = parser.parse_args(argv)
    if args.write:
        README.write_text(with_table(README.read_text(encoding="utf-8"), table()), encoding="utf-8")
    else:
        print(table())


if __name__ == "__main__":
    main()
