"""The benchmark script runs the notebook's models on the same data and prints one line per model."""

import json

from compare_models import main


def test_benchmark_prints_one_line_per_model(data_dir, tmp_path, capsys):
    output = tmp_path / "benchmark.json"
    main(["--data-dir", str(data_dir / "cifar-10-batches-py"), "--mode", "smoke", "--json", str(output)])
    printed = capsys.readouterr().out
    for model in ("fast_cnn", "seed004_final", "tf_tutorial_cnn"):
        assert any(line.startswith(model) for line in printed.splitlines())
    report = json.loads(output.read_text())
    assert [row["model"] for row in report["results"]] == ["fast_cnn", "seed004_final", "tf_tutorial_cnn"]
    assert all(row["flops_per_image"] > 0 and 0 <= row["test_acc"] <= 1 for row in report["results"])
