"""Execute cifar10_classification.ipynb top to bottom in a fresh kernel and save it in place, with
its outputs.

    # Keras downloads CIFAR-10
    python scripts/run_notebook.py --run-mode quick
    # offline
    python scripts/run_notebook.py --run-mode quick --data-dir ~/data/npz --fresh

--data-dir is a folder that scripts/prepare_data.py wrote (cifar10.npz...); without it, Keras
downloads the data.
--results-dir and --figures-dir (default results, figures; relative to the repository) say where
the experiment registry and the figures go; --fresh deletes both first, so that everything is
retrained.
--stop-before TEXT runs the notebook only up to the first code cell containing TEXT (a long run
done in parts: its registry keeps every finished experiment, and the next call resumes from it).

papermill injects the parameters as a cell after the `parameters` cell; that cell is removed from
the saved notebook so that it still opens in Colab with its default parameters. The outputs
themselves (the summary at the top) state the run mode, the data, the backend, the device and the
total duration of the run.
"""

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "cifar10_classification.ipynb"


def strip_run_metadata(notebook):
    """Drop papermill's injected cell and its bookkeeping metadata; keep outputs and tags."""
    notebook.cells = [
        cell
        for cell in notebook.cells
        if "injected-parameters" not in cell.metadata.get("tags", [])
    ]
    for cell in notebook.cells:
        cell.metadata = {
            key: value for key, value in cell.metadata.items() if key == "tags" and value
        }
    notebook.metadata.pop("papermill", None)
    notebook.metadata.pop("widgets", None)
    return notebook


def truncated_before(notebook, text):
    """The notebook's cells up to, not including, the first code cell whose source contains
    `text`."""
    index = next(
        (
            i
            for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and text in cell.source
        ),
        None,
    )
    if index is None:
        raise SystemExit(f"--stop-before: no code cell contains {text!r}")
    notebook.cells = notebook.cells[:index]
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run-mode", default="full", choices=["full", "quick", "smoke"])
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder of the .npz files of scripts/prepare_data.py (offline)",
    )
    parser.add_argument(
        "--output", type=Path, default=NOTEBOOK, help="where to save the executed notebook"
    )
    parser.add_argument(
        "--results-dir",
        default="results",
        help="registry of finished experiments (resumed if present)",
    )
    parser.add_argument("--figures-dir", default="figures", help="where the figures are saved")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="delete the results and figures folders first (retrain everything)",
    )
    parser.add_argument(
        "--stop-before", metavar="TEXT", help="stop before the first code cell containing TEXT"
    )
    args = parser.parse_args(argv)
    if args.stop_before and args.output.resolve() == NOTEBOOK.resolve():
        # A truncated run written in place would delete every cell after TEXT
        parser.error("--stop-before needs --output (the committed notebook stays whole)")
    # papermill prints each cell's outputs as it runs
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    if args.fresh:
        for folder in (args.results_dir, args.figures_dir):
            shutil.rmtree(ROOT / folder, ignore_errors=True)
    parameters = {
        "RUN_MODE": args.run_mode,
        "RESULTS_DIR": args.results_dir,
        "FIGURES_DIR": args.figures_dir,
    }
    if args.data_dir:
        parameters["DATA_DIR"] = args.data_dir
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        executed = Path(scratch) / NOTEBOOK.name
        source = NOTEBOOK
        if args.stop_before:
            source = Path(scratch) / "input.ipynb"
            nbformat.write(
                truncated_before(nbformat.read(NOTEBOOK, as_version=4), args.stop_before), source
            )
        try:
            execute(source, executed, parameters)
        except papermill.PapermillExecutionError:
            # Keep what ran, outputs and traceback included, beside the notebook asked for
            failed = args.output.with_name(f"{args.output.stem}.failed.ipynb")
            shutil.copy(executed, failed)
            print(f"The run failed: executed cells kept in {failed}.", file=sys.stderr)
            raise
        notebook = strip_run_metadata(nbformat.read(executed, as_version=4))
    nbformat.validate(notebook)
    nbformat.write(notebook, args.output)
    print(
        f"{args.output} executed in {time.perf_counter() - started:.0f} s ({args.run_mode} mode).",
        file=sys.stderr,
    )


def execute(source, executed, parameters):
    """papermill, in a fresh kernel, with one stream output per cell."""
    papermill.execute_notebook(
        source,
        executed,
        parameters=parameters,
        cwd=ROOT,
        kernel_name="python3",
        progress_bar=False,
        log_output=True,
        coalesce_streams=True,  # one stream output per cell (GitLab draws each as its own box)
        # C/C++ libraries' own stderr lines (TensorFlow's oneDNN start-up notice, which
        # TF_CPP_MIN_LOG_LEVEL does not silence) go to this terminal, not into the saved
        # outputs; Python warnings and errors are still captured in the notebook.
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )


if __name__ == "__main__":
    main()
