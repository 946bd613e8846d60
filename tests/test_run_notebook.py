"""scripts/run_notebook.py: a long run done in parts stops before a given cell, and resumes from
its registry later."""

import pytest

from notebook_tools import read_notebook
from run_notebook import truncated_before


def test_stop_before_keeps_everything_up_to_the_given_cell():
    notebook = read_notebook()
    total = len(notebook.cells)
    kept = truncated_before(read_notebook(), "run_fast_model(REGISTRY, DATA")
    assert 0 < len(kept.cells) < total
    assert not any(
        "run_fast_model(REGISTRY, DATA" in cell.source
        for cell in kept.cells
        if cell.cell_type == "code"
    )
    # the TP's models all come before
    assert any("cnn_augmentation_callbacks" in cell.source for cell in kept.cells)
    with pytest.raises(SystemExit, match="no code cell contains"):
        truncated_before(read_notebook(), "text that is in no cell")


def test_a_truncated_run_is_never_written_over_the_committed_notebook(capsys):
    from run_notebook import main

    before = read_notebook()
    with pytest.raises(SystemExit):
        main(["--run-mode", "smoke", "--stop-before", "run_fast_model(REGISTRY, DATA"])
    assert "--stop-before needs --output" in capsys.readouterr().err
    assert len(read_notebook().cells) == len(before.cells)
