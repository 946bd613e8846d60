"""The notebook executed top to bottom in smoke mode, on generated data in the official layouts."""

import json

import nbformat
import pandas as pd
import pytest

from notebook_tools import NOTEBOOK, outputs_text, read_notebook, tagged

EXPECTED_EXPERIMENTS = {
    "normalisation": {"norm_raw", "norm_scale", "norm_standardize"},
    "baseline": {"dense_baseline", "seed_cnn"},
    "lr_sweep": {f"lr_{optimizer}_{rate:g}" for optimizer in ("adam", "sgd") for rate in (1e-3, 1e-2, 1e-1)},
    "batch_sweep": {"batch_32", "batch_128"},
    "epochs": {"epochs_long", "epochs_early_stopping"},
    "ladder": {"ladder_1_dropout", "ladder_2_dense128", "ladder_3_dropout05", "ladder_4a_more_pooling",
               "ladder_4b_conv_pairs", "ladder_5_same_padding", "ladder_6_dropout025", "ladder_7_third_block",
               "ladder_8_batchnorm", "seed004_final", "ladder_10_augmentation"},
    "callbacks": {"seed004_callbacks"},
    "best": {"fast_cnn_seed0", "fast_cnn_seed1", "tf_tutorial_cnn"},
    "knn": {"knn_pixels"},
    "numpy_mlp": {"numpy_mlp_mse", "numpy_mlp_cross_entropy"},
    "fashion_mnist": {"fashion_cnn"},
    "cifar100": {"cifar100_fast"},
    "transfer": {"transfer_frozen", "transfer_finetuned"},
}
EXPECTED_FIGURES = {
    "data_first_25_images", "data_class_distribution", "normalisation_curves", "layers_conv_feature_maps",
    "layers_activations", "baselines_curves", "sweep_learning_rate", "sweep_batch_size", "sweep_epochs_early_stopping",
    "augmentation_examples", "ladder_curves", "ladder_accuracies", "callbacks_curves", "errors_confusion_matrices",
    "errors_misclassified_examples", "best_model_curves", "knn_accuracy_by_k", "numpy_mlp_curves",
    "fashion_first_9_images", "summary_comparison",
}


def registry(run):
    return pd.read_csv(run.results_dir / "experiments.csv")


def test_exactly_one_parameters_cell_with_every_knob_documented():
    notebook = read_notebook()
    parameters = [cell for cell in notebook.cells if cell.cell_type == "code" and tagged(cell, "parameters")]
    assert len(parameters) == 1
    source = parameters[0].source
    for knob in ("RUN_MODE", "DATA_DIR", "RESULTS_DIR", "FIGURES_DIR", "SEED", "FORCE_RETRAIN", "USE_DRIVE"):
        line = next(line for line in source.splitlines() if line.startswith(f"{knob} ="))
        assert "#" in line, f"{knob} has no comment saying what it means"


def test_committed_notebook_is_clean_for_gitlab_and_colab():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert "widgets" not in notebook.metadata
    assert not any(tagged(cell, "injected-parameters") for cell in notebook.cells)
    assert NOTEBOOK.stat().st_size < 5 * 2**20
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error"
            if output.output_type == "stream":
                assert "\r" not in output.text and "━" not in output.text, "progress bar in the committed outputs"


def test_smoke_run_has_no_error_and_no_progress_bar(smoke_run):
    for cell in smoke_run.notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error"
            if output.output_type == "stream":
                assert "\r" not in output.text and "━" not in output.text


def test_every_experiment_is_in_the_registry(smoke_run):
    frame = registry(smoke_run)
    for group, names in EXPECTED_EXPERIMENTS.items():
        assert set(frame.loc[frame["group"] == group, "experiment"]) == names, group
    assert frame["experiment"].is_unique
    for column in ("train_acc", "val_acc", "test_acc"):
        assert frame[column].between(0, 1).all()
    assert (frame["train_seconds"] >= 0).all()
    assert pd.to_datetime(frame["trained_at"]).notna().all()
    assert frame["versions"].str.contains("keras").all()
    for name in frame["experiment"]:
        assert (smoke_run.results_dir / "histories" / f"{name}.json").exists()
        assert (smoke_run.results_dir / "predictions" / f"{name}.npy").exists()


def test_training_learns_well_above_chance(smoke_run):
    frame = registry(smoke_run).set_index("experiment")
    # 10 balanced classes: chance is 10 %. The generated classes differ by colour and stripe orientation.
    assert frame.loc["seed_cnn", "test_acc"] > 0.5
    assert frame.loc[["fast_cnn_seed0", "fast_cnn_seed1"], "test_acc"].mean() > 0.5
    assert frame.loc["numpy_mlp_cross_entropy", "test_acc"] > 0.4
    history = json.loads((smoke_run.results_dir / "histories" / "seed_cnn.json").read_text())
    assert history["loss"][-1] < history["loss"][0]


def test_figures_are_saved_under_stable_names(smoke_run):
    saved = {path.stem for path in smoke_run.figures_dir.glob("*.png")}
    assert EXPECTED_FIGURES <= saved
    assert all(path.stat().st_size > 5_000 for path in smoke_run.figures_dir.glob("*.png"))


def test_top_summary_is_completed_at_the_end(smoke_run):
    banner = smoke_run.notebook.cells[next(i for i, cell in enumerate(smoke_run.notebook.cells)
                                           if cell.cell_type == "code" and "RUN_BANNER = display" in cell.source)]
    text = banner.outputs[0]["data"]["text/markdown"]
    assert "`smoke`" in text and "min" in text and "en cours" not in text
    assert "échantillon réduit" in text  # generated data: fewer than 50,000 images
    summary = json.loads((smoke_run.results_dir / "run_summary.json").read_text())
    assert summary["run_mode"] == "smoke" and summary["seconds"] > 0


def test_training_logs_are_compact(smoke_run):
    text = outputs_text(smoke_run.notebook)
    epoch_lines = [line for line in text.splitlines() if line.strip().startswith("époque")]
    assert epoch_lines, "no training log"
    assert "WARNING" not in text.upper().replace("⚠️", "")
