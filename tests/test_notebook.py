"""The notebook executed top to bottom in smoke mode, on generated data in the official layouts."""

import json
import re
import statistics

import nbformat
import pandas as pd

from notebook_tools import NOTEBOOK, outputs_text, read_notebook, tagged

EXPECTED_EXPERIMENTS = {
    "fashion_mnist": {
        "fashion_first_cnn",
        "fashion_dropout",
        "fashion_dense128",
        "fashion_dropout_long",
    },
    "baseline": {"dense_baseline"},
    "normalisation": {"first_cnn_raw", "first_cnn_scaled", "first_cnn_standardized"},
    "lr_sweep": {
        f"lr_{optimizer}_{rate:g}" for optimizer in ("adam", "sgd") for rate in (1e-3, 1e-2, 1e-1)
    },
    "batch_sweep": {"batch_32", "batch_128"},
    "epochs": {"epochs_long", "epochs_early_stopping"},
    "ladder": {
        "ladder_reference",
        "cnn_dropout05",
        "cnn_more_pooling",
        "cnn_conv_pairs",
        "cnn_same_padding",
        "cnn_dropout025",
        "cnn_third_block",
        "cnn_batchnorm",
        "cnn_batchnorm_tp55",
        "cnn_batchnorm_long",
        "cnn_leaky_long",
        "course_final",
        "cnn_augmentation",
    },
    "callbacks": {"cnn_augmentation_callbacks"},
    "fast_ablation": {
        "fast_ablation_before",
        "fast_ablation_epochs",
        "fast_ablation_altflip",
        "fast_ablation_lookahead",
        "fast_ablation_iterator",
        "fast_ablation_bfloat16",
        "fast_cnn_float32",
    },
    "fast": {"fast_cnn"},
    "tutorial": {"tf_tutorial_cnn"},
    "knn": {"knn_pixels"},
    "numpy_mlp": {"numpy_mlp_mse", "numpy_mlp_cross_entropy"},
    "cifar100": {"cifar100_fast"},
}
EXPECTED_FIGURES = {
    "fashion_first_9_images",
    "fashion_error_rates",
    "data_first_25_images",
    "data_class_distribution",
    "normalisation_curves",
    "training_noise_seeds",
    "layers_conv_feature_maps",
    "layers_activations",
    "learned_filters",
    "learned_feature_maps",
    "sweep_learning_rate",
    "sweep_batch_size",
    "sweep_epochs_early_stopping",
    "confusion_cnn_dropout05",
    "confusion_cnn_conv_pairs",
    "confusion_cnn_batchnorm",
    "batchnorm_epochs_curves",
    "augmentation_examples",
    "callbacks_curves",
    "ladder_curves",
    "ladder_accuracies",
    "errors_misclassified_examples",
    "errors_confusion_matrices",
    "best_model_curves",
    "knn_accuracy_by_k",
    "numpy_mlp_curves",
    "summary_comparison",
}
# Every explicit question of the TP (course document 004) has a marked answer in the notebook.
TP_QUESTIONS = [
    "1.2",
    "1.3",
    "2.1",
    "2.3",
    "2.4",
    "2.5",
    "2.6",
    "2.7",
    "3.2",
    "3.6",
    "3.7",
    "3.8",
    "3.10",
    "3.11",
    "4.1",
    "4.3",
    "4.6",
    "4.7",
    "5.2",
    "5.3",
    "5.4",
    "5.5",
    "5.6",
    "5.7",
]


def markdown_sources(notebook):
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def test_sections_are_numbered_in_order_and_match_the_objectives():
    notebook = read_notebook()
    headings = [
        line
        for source in markdown_sources(notebook)
        for line in source.splitlines()
        if line.startswith("## ")
    ]
    numbers = [int(heading.split()[1].rstrip(".")) for heading in headings]
    assert numbers == list(range(len(numbers))), headings
    objectives = notebook.cells[0].source
    for number in range(11):  # the objectives list announces sections 0 to 10
        assert f"\n{number}. " in objectives, number
    subsections = [
        line.split()[1]
        for source in markdown_sources(notebook)
        for line in source.splitlines()
        if line.startswith("### ")
    ]
    for section in {subsection.split(".")[0] for subsection in subsections}:
        ranks = [int(sub.split(".")[1]) for sub in subsections if sub.split(".")[0] == section]
        assert ranks == list(range(1, len(ranks) + 1)), (section, ranks)


def test_every_tp_question_has_a_marked_answer_and_a_row_in_the_table():
    sources = markdown_sources(read_notebook())
    answers = "\n".join(sources)
    table = next(
        source for source in sources if "Où trouver la réponse à chaque question" in source
    )
    for question in TP_QUESTIONS:
        assert f"**Réponse {question}" in answers, question
    for question in [
        f"{part}.{index}"
        for part, count in ((1, 6), (2, 7), (3, 11), (4, 7), (5, 7))
        for index in range(1, count + 1)
    ]:
        assert f"| TP {question} |" in table, question


def test_the_percentages_of_the_answers_are_printed_beside_them():
    """A number in an answer is read from the run: every "xx,x %" of a Réponse or Lecture paragraph
    is in an output (with or without its % sign: the seed tables print bare percentages)."""
    notebook = read_notebook()
    shown = outputs_text(notebook)
    shown += "\n".join(
        output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    shown = shown.replace("\xa0", " ")
    missing = []
    for source in markdown_sources(notebook):
        for paragraph in source.split("\n\n"):
            if paragraph.startswith(("**Réponse", "**Lecture")):
                missing += [
                    number for number in re.findall(r"(\d+,\d) %", paragraph) if number not in shown
                ]
    assert not missing, f"percentages in the answers that no output shows: {missing}"


def test_the_committed_run_is_the_tp_at_its_own_settings():
    """results/ holds one full-mode run on all of CIFAR-10, at the TP's epochs; the notebook shows
    its outputs."""
    results = NOTEBOOK.parent / "results"
    summary = json.loads((results / "run_summary.json").read_text())
    assert summary["run_mode"] == "full"
    assert (summary["train_images"], summary["val_images"], summary["test_images"]) == (
        45_000,
        5_000,
        10_000,
    )
    runs = pd.read_csv(results / "experiments.csv")
    # The registry may already hold seeds that the next run will use: read the run's own trainings
    used = pd.MultiIndex.from_frame(runs[["experiment", "seed"]])
    runs = runs[used.isin([tuple(pair) for pair in summary["trainings"]])]
    cifar = runs[runs["group"] != "fashion_mnist"]
    assert (
        (runs["run_mode"] == "full").all()
        and (cifar["val_images"] == 5_000).all()
        and (cifar["test_images"] == 10_000).all()
    )
    assert not runs.duplicated(["experiment", "seed"]).any()
    per_experiment = runs.groupby("experiment").agg(
        seeds=("seed", "nunique"), epochs=("epochs", "max")
    )
    three_seeds = [
        *EXPECTED_EXPERIMENTS["fashion_mnist"] - {"fashion_dropout_long"},
        "dense_baseline",
    ]
    three_seeds += [*EXPECTED_EXPERIMENTS["normalisation"], "ladder_reference", "fast_cnn"]
    three_seeds += ["fast_cnn_float32"]  # the full-width precision ablation (section 8.2)
    three_seeds += [*EXPECTED_EXPERIMENTS["ladder"], *EXPECTED_EXPERIMENTS["callbacks"]]
    # the TP's decisions: training noise measured
    assert (per_experiment.loc[three_seeds, "seeds"] == 3).all()
    # TP 2.6 and 3.7; the ladder
    assert (per_experiment.loc[three_seeds[:8], "epochs"] == [20] * 7 + [15]).all()
    assert per_experiment.loc["fashion_dropout_long", "epochs"] == 40  # TP 2.6: beyond 20 epochs
    ladder = [
        "cnn_dropout05",
        "cnn_more_pooling",
        "cnn_conv_pairs",
        "cnn_same_padding",
        "cnn_dropout025",
        "cnn_third_block",
    ]
    assert (per_experiment.loc[[*ladder, "cnn_batchnorm"], "epochs"] == 15).all()
    assert per_experiment.loc["cnn_batchnorm_tp55", "epochs"] == 20
    final = runs[runs["experiment"] == "course_final"]
    assert (final["epochs"] == 40).all() and (final["batch_size"] == 128).all()
    fast = runs[runs["group"] == "fast"]
    # widths 64-256-256
    assert len(fast) == 3 and fast["params"].nunique() == 1 and fast["params"].iloc[0] > 1_000_000
    shown = outputs_text(read_notebook())
    reread = re.search(r"\(float16\) : (\d+) entraînements sur (\d+) redonnent", shown)
    # § 10.1's table: every CIFAR-10 model but the ablation's
    in_summary = len(cifar[cifar["group"] != "fast_ablation"])
    assert reread and reread[1] == reread[2] == str(in_summary), (
        "saved test predictions must give the reported accuracies"
    )


def test_markdown_math_renders_on_gitlab():
    """GitLab's viewer leaves raw: math in table rows, inline $ right after "(", paragraphs that
    start with $."""
    for source in markdown_sources(read_notebook()):
        for line in source.splitlines():
            assert not (line.lstrip().startswith("|") and "$" in line), line
            assert "($" not in line.replace("$$", ""), line
        for paragraph in source.split("\n\n"):
            text = paragraph.strip()
            assert not (text.startswith("$") and not text.startswith("$$")), paragraph
            if "$$" in text:
                # display math alone in its paragraph
                assert text.startswith("$$") and text.endswith("$$"), paragraph


def code_lines(cell):
    return sum(1 for line in cell.source.splitlines() if line.strip())


def test_the_course_comes_first_and_cells_stay_short():
    """Title and objectives, the warning box, a short parameters form, one folded preparation cell,
    the banner, then § 1.

    The plumbing (readers, registry) is defined where it is first needed, folded in Colab (@title)
    and hidden from the published page (tag `plumbing`). Sizes are guarded by measures that joining
    lines cannot meet (ruff formats every line at 100 characters at most).
    """
    cells = read_notebook().cells
    assert cells[0].source.startswith("# ") and "Dans ce notebook nous allons" in cells[0].source
    assert "Déconnectez-vous" in cells[1].source and "banni" in cells[1].source
    parameters = next(index for index, cell in enumerate(cells) if tagged(cell, "parameters"))
    assert len(cells[parameters].source.splitlines()) <= 30
    assert "@param" in cells[parameters].source and cells[parameters].source.startswith("# @title")
    section_1 = next(
        index
        for index, cell in enumerate(cells)
        if cell.cell_type == "markdown" and cell.source.startswith("## 1.")
    )
    before = [cell for cell in cells[:section_1] if cell.cell_type == "code"]
    assert sum(code_lines(cell) for cell in before) <= 80
    assert any("RUN_BANNER = display" in cell.source for cell in before)
    code = [cell for cell in cells if cell.cell_type == "code"]
    plumbing = [cell for cell in code if tagged(cell, "plumbing")]
    # A cell that builds a Keras model; "def build" also matched layers' build methods and helpers
    models = ("Sequential(", "keras.Model(")
    long_cells = [
        cell for cell in code if code_lines(cell) > 30 and not any(m in cell.source for m in models)
    ]
    # The aims: 108,000 characters (whitespace removed), median cell 12 lines, 10 cells other than
    # models over 30 lines, plumbing 30 % of the characters, 80 code lines before section 1. All
    # but the characters are met since 2026-12-05: cells split where they did two things, the
    # offline reader split in two, the error-analysis and efficiency rules shown rather than
    # folded; the run's versions and the Drive folder set beside the registry that records them,
    # the figures' style beside save_figure, the GPU warning a row of the banner. Characters are a
    # ratchet at 122,762 (127,917 before those sessions): the code of four "pour aller plus loin"
    # demos of section 2 and of the optional Fashion-MNIST path went, compare_runs reads two
    # experiments from the registry, one atomic_write serves every file, helpers lost the
    # arguments and branches no caller used, and figures set their shared axis settings once.
    total = sum(characters(cell) for cell in code)
    assert total <= 122_765
    assert statistics.median(code_lines(cell) for cell in code) <= 12
    assert len(long_cells) <= 10
    assert sum(characters(cell) for cell in plumbing) <= 0.30 * total
    for cell in plumbing:  # folded in Colab, hidden on the published page
        assert (
            cell.source.startswith("# @title")
            and 'display-mode: "form"' in cell.source.splitlines()[0]
        )
    assert not any("boîte à outils" in cell.source.lower() for cell in cells)
    assert any(tagged(cell, "plumbing") and "class ResultsRegistry" in cell.source for cell in code)
    fit = next(cell for cell in code if "def compile_and_fit" in cell.source)
    # shown to the reader
    assert (
        not tagged(fit, "plumbing")
        and "model.compile(" in fit.source
        and "model.fit(" in fit.source
    )


def characters(cell):
    """Characters of a cell's source, whitespace removed: joining lines cannot shrink it."""
    return len(re.sub(r"\s", "", cell.source))


def test_committed_notebook_has_one_stream_output_per_cell():
    for cell in read_notebook().cells:
        names = [
            output.name for output in cell.get("outputs", []) if output.output_type == "stream"
        ]
        assert len(names) == len(set(names)), cell.source[:80]


def registry(run):
    return pd.read_csv(run.results_dir / "experiments.csv")


def test_exactly_one_parameters_cell_with_every_knob_documented():
    notebook = read_notebook()
    parameters = [
        cell for cell in notebook.cells if cell.cell_type == "code" and tagged(cell, "parameters")
    ]
    assert len(parameters) == 1
    lines = parameters[0].source.splitlines()
    for knob in (
        "RUN_MODE",
        "DATA_DIR",
        "RESULTS_DIR",
        "FIGURES_DIR",
        "SEED",
        "FORCE_RETRAIN",
        "USE_DRIVE",
        "RELEASE_RUNTIME_AT_END",
    ):
        index = next(index for index, line in enumerate(lines) if line.startswith(f"{knob} ="))
        assert "# @param" in lines[index], f"{knob} is not a Colab form field"
        assert any(
            line.startswith("# ") and "@" not in line for line in lines[index - 2 : index]
        ), f"{knob} has no explanation"


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
                assert "\r" not in output.text and "━" not in output.text, (
                    "progress bar in the committed outputs"
                )


def test_smoke_run_has_no_error_and_no_progress_bar(smoke_run):
    for cell in smoke_run.notebook.cells:
        names = [
            output.name for output in cell.get("outputs", []) if output.output_type == "stream"
        ]
        assert len(names) == len(set(names)), "streams are not coalesced"
        for output in cell.get("outputs", []):
            assert output.output_type != "error"
            if output.output_type == "stream":
                assert "\r" not in output.text and "━" not in output.text


def test_every_experiment_is_in_the_registry(smoke_run):
    frame = registry(smoke_run)
    for group, names in EXPECTED_EXPERIMENTS.items():
        assert set(frame.loc[frame["group"] == group, "experiment"]) == names, group
    assert not frame.duplicated(["experiment", "seed"]).any()
    seeds = frame.groupby("experiment")["seed"].nunique()
    tp = [
        *EXPECTED_EXPERIMENTS["normalisation"],
        "dense_baseline",
        "ladder_reference",
        "cnn_dropout05",
        "cnn_batchnorm",
    ]
    # smoke mode: two seeds where the TP decides
    assert (seeds[[*tp, "fashion_dropout", "fast_cnn", "fast_cnn_float32"]] == 2).all()
    for column in ("train_acc", "val_acc", "test_acc"):
        assert frame[column].between(0, 1).all()
    # every accuracy can show its interval
    assert (frame["val_images"] > 0).all() and (frame["test_images"] > 0).all()
    keras_models = frame[~frame["group"].isin(["knn", "numpy_mlp"])]
    assert (keras_models["trainable_params"] <= keras_models["params"]).all()
    assert (frame["train_seconds"] >= 0).all()
    assert pd.to_datetime(frame["trained_at"]).notna().all()
    assert frame["versions"].str.contains("keras").all()
    for name, seed in zip(frame["experiment"], frame["seed"]):
        assert (smoke_run.results_dir / "histories" / f"{name}_seed{seed}.json").exists()
        assert (smoke_run.results_dir / "predictions" / f"{name}_seed{seed}.npy").exists()
    keras_trainings = frame[~frame["group"].isin(["knn", "numpy_mlp"])]
    # whether each training had the machine to itself
    assert keras_trainings["shared_cpu"].between(0, 1).all()


def test_training_learns_well_above_chance(smoke_run):
    test = registry(smoke_run).groupby("experiment")["test_acc"].mean()  # over the seeds
    # 10 balanced classes: chance is 10 %. The generated classes differ by colour and stripe
    # orientation.
    assert test["first_cnn_scaled"] > 0.5
    assert test["fast_cnn"] > 0.5
    assert test["numpy_mlp_cross_entropy"] > 0.4
    history = json.loads(
        (smoke_run.results_dir / "histories" / "first_cnn_scaled_seed7.json").read_text()
    )
    assert history["loss"][-1] < history["loss"][0]


def test_figures_are_saved_under_stable_names(smoke_run):
    saved = {path.stem for path in smoke_run.figures_dir.glob("*.png")}
    assert EXPECTED_FIGURES <= saved
    assert all(path.stat().st_size > 5_000 for path in smoke_run.figures_dir.glob("*.png"))


def test_top_summary_is_completed_at_the_end(smoke_run):
    banner = next(
        cell
        for cell in smoke_run.notebook.cells
        if cell.cell_type == "code" and "RUN_BANNER = display" in cell.source
    )
    text = banner.outputs[0]["data"]["text/html"]
    assert "`smoke`" in text and "min" in text and "Durée" in text
    # generated data: fewer than 50,000 images, and the banner says so
    assert "échantillon de CIFAR-10" in text
    summary = json.loads((smoke_run.results_dir / "run_summary.json").read_text())
    assert summary["run_mode"] == "smoke" and summary["seconds"] > 0


def test_training_logs_are_compact(smoke_run):
    text = outputs_text(smoke_run.notebook)
    epoch_lines = [line for line in text.splitlines() if line.strip().startswith("époque")]
    assert epoch_lines, "no training log"
    assert "WARNING" not in text.upper().replace("⚠️", "")
