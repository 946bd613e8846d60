"""The benchmark script runs the notebook's models on the same data and prints one line per
model."""

import json
import subprocess
from pathlib import Path

import pytest

import airbench_vs_fast
from compare_models import main


def test_benchmark_prints_one_line_per_model(data_dir, tmp_path, capsys):
    output = tmp_path / "benchmark.json"
    main(["--data-dir", str(data_dir), "--mode", "smoke", "--seeds", "2", "--json", str(output)])
    printed = capsys.readouterr().out
    for model in ("fast_cnn_seed42", "fast_cnn_seed43", "course_final", "tf_tutorial_cnn"):
        assert any(line.startswith(model) for line in printed.splitlines())
    assert "fast_cnn over 2 seeds" in printed
    report = json.loads(output.read_text())
    models = ["fast_cnn_seed42", "fast_cnn_seed43", "course_final", "tf_tutorial_cnn"]
    assert [row["model"] for row in report["results"]] == models
    assert all(
        row["flops_per_image"] > 0 and 0 <= row["test_acc"] <= 1 for row in report["results"]
    )
    assert all(row["first_epoch_seconds"] > 0 for row in report["results"])
    summary = report["fast_cnn_summary"]
    accuracies = [row["test_acc"] for row in report["results"][:2]]
    assert summary["seeds"] == 2
    assert summary["test_acc"]["values"] == accuracies
    assert summary["test_acc"]["mean"] == pytest.approx(sum(accuracies) / 2)
    assert summary["test_acc"]["std"] == pytest.approx(abs(accuracies[0] - accuracies[1]) / 2**0.5)
    assert sum(report["train_val_test"]) > 0


def test_benchmark_fast_only_trains_only_the_fast_model(data_dir, tmp_path, capsys):
    output = tmp_path / "benchmark.json"
    main(
        ["--data-dir", str(data_dir), "--mode", "smoke", "--seeds", "1", "--fast-only"]
        + ["--json", str(output)]
    )
    printed = capsys.readouterr().out
    assert "fast_cnn over 1 seed:" in printed and "course_final" not in printed
    report = json.loads(output.read_text())
    assert [row["model"] for row in report["results"]] == ["fast_cnn_seed42"]
    assert report["fast_cnn_summary"]["test_acc"]["std"] is None  # one seed: no spread to report


AIRBENCH_PYTHON = Path(__file__).resolve().parents[1] / ".venv-airbench" / "bin" / "python"


def airbench_missing():
    """Why the airbench side cannot run here (its environment is made by
    `make .venv-airbench/installed`), or ''."""
    if not AIRBENCH_PYTHON.exists():
        return f"airbench's environment {AIRBENCH_PYTHON.parent.parent.name} is not installed"
    probe = (
        "import airbench_runner; airbench_runner.install_cpu_adapters(); "
        "import airbench.lib_airbench94"
    )
    benchmarks = AIRBENCH_PYTHON.parents[2] / "benchmarks"
    found = subprocess.run(
        [str(AIRBENCH_PYTHON), "-c", probe], cwd=benchmarks, check=False, capture_output=True
    )
    return "" if found.returncode == 0 else "the package airbench does not import in .venv-airbench"


def test_fast_model_side_resumes_from_its_report(data_dir, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    arguments = [
        "--data-dir",
        str(data_dir),
        "--mode",
        "smoke",
        "--systems",
        "fast_cnn",
        "--json",
        str(report_path),
    ]
    report = airbench_vs_fast.main([*arguments, "--seeds", "0"])
    run = report["runs"][0]
    # every training image, none held out
    assert run["system"] == "fast_cnn" and run["train_images"] == 750
    assert 0 <= run["test_acc"] <= 1 and run["train_seconds"] >= run["first_epoch_seconds"] > 0
    assert len(run["epoch_seconds"]) == run["epochs"]
    # seed 0 is read back, only seed 1 trains
    again = airbench_vs_fast.main([*arguments, "--seeds", "0", "1"])
    assert "fast_cnn seed 0: already in report.json, skipped" in capsys.readouterr().out
    assert [run["seed"] for run in again["runs"]] == [0, 1]
    summary = again["summary"][airbench_vs_fast.cpu_name()]["fast_cnn"]
    accuracies = [run["test_acc"] for run in again["runs"]]
    assert summary["test_acc"]["mean"] == pytest.approx(sum(accuracies) / 2)
    assert summary["test_acc"]["std"] == pytest.approx(abs(accuracies[0] - accuracies[1]) / 2**0.5)


@pytest.mark.skipif(bool(airbench_missing()), reason=airbench_missing() or "airbench is installed")
def test_airbench_and_fast_model_side_by_side(data_dir, tmp_path):
    report_path = tmp_path / "report.json"
    arguments = [
        "--data-dir",
        str(data_dir),
        "--mode",
        "smoke",
        "--seeds",
        "0",
        "--airbench-epochs",
        "1",
    ]
    report = airbench_vs_fast.main(
        [*arguments, "--airbench-python", str(AIRBENCH_PYTHON), "--json", str(report_path)]
    )
    assert [run["system"] for run in report["runs"]] == ["airbench94", "fast_cnn"]
    # the same 50,000-image role, here 750 images
    assert {run["train_images"] for run in report["runs"]} == {750}
    assert all(0 <= run["test_acc"] <= 1 and run["train_seconds"] > 0 for run in report["runs"])
    assert report["summary"][airbench_vs_fast.cpu_name()]["fast_cnn_time_ratio"] > 0
    assert json.loads(report_path.read_text()) == report


def test_epoch_profile_records_each_epoch(data_dir, tmp_path):
    import profile_fast_epoch

    report_path = tmp_path / "profile.json"
    for variant in ("arrays", "dataset", "batches"):
        arguments = ["--data-dir", str(data_dir), "--mode", "smoke", "--variant", variant]
        profile_fast_epoch.main([*arguments, "--epochs", "2", "--json", str(report_path)])
    profile_fast_epoch.main(
        ["--data-dir", str(data_dir), "--mode", "smoke", "--step-costs", "--json", str(report_path)]
    )
    *runs, costs = json.loads(report_path.read_text())["runs"]
    assert [run["variant"] for run in runs] == ["arrays", "dataset", "batches"]
    assert [row["variant"] for row in costs["steps"]] == [
        "model",
        "no_augmentation",
        "batch_norm",
        "gelu",
        "gelu_tanh",
        "whitening_bias_frozen",
        "mixed_bfloat16",
    ]
    assert all(row["median_step"] > 0 for row in costs["steps"])
    for run in runs:
        assert [row["epoch"] for row in run["epochs"]] == [1, 2]
        assert all(row["seconds"] > 0 and row["steps"] > 0 for row in run["epochs"])
        assert all(row["rss_mb"] > 0 and row["median_step"] > 0 for row in run["epochs"])
