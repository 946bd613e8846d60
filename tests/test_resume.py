"""Resume after a disconnect, and reproducibility: same seed, same numbers."""

import re
import shutil

import pandas as pd

from conftest import smoke_parameters
from notebook_tools import execute_notebook, outputs_text

SCORES = ["experiment", "seed", "group", "params", "epochs", "train_acc", "val_acc", "test_acc"]


def trained_and_reloaded(notebook):
    text = outputs_text(notebook)
    return set(re.findall(r"^▶ (\S+)", text, re.MULTILINE)), set(
        re.findall(r"^↺ (\S+)", text, re.MULTILINE)
    )


def test_rerun_retrains_nothing_and_gives_identical_tables(smoke_run, tmp_path):
    workdir = tmp_path / "rerun"
    shutil.copytree(smoke_run.workdir, workdir)
    before = pd.read_csv(workdir / "results" / "experiments.csv")
    notebook = execute_notebook(
        smoke_parameters(smoke_run.parameters["DATA_DIR"], workdir), workdir
    )
    trained, reloaded = trained_and_reloaded(notebook)
    assert trained == set()
    assert reloaded == set(before["experiment"])
    after = pd.read_csv(workdir / "results" / "experiments.csv")
    # trained_at and timings included: nothing was retrained
    pd.testing.assert_frame_equal(before, after)

    def html_tables(nb):
        return [
            o["data"]["text/html"]
            for c in nb.cells
            for o in c.get("outputs", [])
            if o.get("output_type") == "display_data" and "text/html" in o.get("data", {})
        ]

    assert len(html_tables(notebook)) == len(html_tables(smoke_run.notebook))


def test_interrupted_run_retrains_only_the_rest_and_one_seed_gives_one_result(smoke_run, tmp_path):
    workdir = tmp_path / "interrupted"
    workdir.mkdir()
    parameters = smoke_parameters(smoke_run.parameters["DATA_DIR"], workdir)
    # The kernel "dies" right after the batch-size sweep: the experiments before it are finished
    # and recorded.
    execute_notebook(parameters, workdir, stop_after='for batch_size in CFG["batch_grid"]')
    finished = pd.read_csv(workdir / "results" / "experiments.csv")
    # (the ladder's reference is trained in section 4, where it shows the training noise)
    assert set(finished["group"]) == {
        "fashion_mnist",
        "normalisation",
        "baseline",
        "ladder",
        "lr_sweep",
        "batch_sweep",
    }

    notebook = execute_notebook(parameters, workdir)
    trained, reloaded = trained_and_reloaded(notebook)
    assert reloaded == set(finished["experiment"])
    assert trained and not trained & reloaded
    final = pd.read_csv(workdir / "results" / "experiments.csv").set_index(["experiment", "seed"])
    kept = final.loc[list(zip(finished["experiment"], finished["seed"])), "trained_at"]
    assert (kept.values == finished["trained_at"].values).all()
    banner = "".join(
        output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    assert f"rechargés : {len(finished)}" in banner  # the banner counts the reloaded trainings

    # Two runs with the same seed (the uninterrupted smoke run, and this one) give the same numbers.
    reference = pd.read_csv(smoke_run.results_dir / "experiments.csv")[SCORES]
    reference = reference.sort_values(["experiment", "seed"]).reset_index(drop=True)
    resumed = final.reset_index()[SCORES].sort_values(["experiment", "seed"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(reference, resumed)


def test_force_retrain_retrains_the_named_experiments(smoke_run, tmp_path):
    workdir = tmp_path / "forced"
    shutil.copytree(smoke_run.workdir, workdir)
    before = pd.read_csv(workdir / "results" / "experiments.csv").set_index(["experiment", "seed"])
    parameters = smoke_parameters(
        smoke_run.parameters["DATA_DIR"], workdir, FORCE_RETRAIN=["first_cnn_scaled"]
    )
    notebook = execute_notebook(parameters, workdir)
    trained, _ = trained_and_reloaded(notebook)
    assert trained == {"first_cnn_scaled"}
    after = pd.read_csv(workdir / "results" / "experiments.csv").set_index(["experiment", "seed"])
    assert (
        after.loc["first_cnn_scaled", "trained_at"] >= before.loc["first_cnn_scaled", "trained_at"]
    ).all()
    assert len(after.loc["first_cnn_scaled"]) == 2  # both seeds of smoke mode retrained
    # same seeds
    assert after.loc["first_cnn_scaled", "test_acc"].equals(
        before.loc["first_cnn_scaled", "test_acc"]
    )
