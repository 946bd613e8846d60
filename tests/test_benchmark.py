"""The benchmark script runs the notebook's models on the same data and prints one line per model."""

import json

import pytest

from compare_models import main


def test_benchmark_prints_one_line_per_model(data_dir, tmp_path, capsys):
    output = tmp_path / "benchmark.json"
    main(["--data-dir", str(data_dir / "cifar-10-batches-py"), "--mode", "smoke", "--seeds", "2", "--json", str(output)])
    printed = capsys.readouterr().out
    for model in ("fast_cnn_seed42", "fast_cnn_seed43", "course_final", "tf_tutorial_cnn"):
        assert any(line.startswith(model) for line in printed.splitlines())
    assert "fast_cnn over 2 seeds" in printed
    report = json.loads(output.read_text())
    models = ["fast_cnn_seed42", "fast_cnn_seed43", "course_final", "tf_tutorial_cnn"]
    assert [row["model"] for row in report["results"]] == models
    assert all(row["flops_per_image"] > 0 and 0 <= row["test_acc"] <= 1 for row in report["results"])
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
        ["--data-dir", str(data_dir / "cifar-10-batches-py"), "--mode", "smoke", "--seeds", "1", "--fast-only"]
        + ["--json", str(output)]
    )
    printed = capsys.readouterr().out
    assert "fast_cnn over 1 seed:" in printed and "course_final" not in printed
    report = json.loads(output.read_text())
    assert [row["model"] for row in report["results"]] == ["fast_cnn_seed42"]
    assert report["fast_cnn_summary"]["test_acc"]["std"] is None  # one seed: no spread to report
