"""The README's first command, as a newcomer runs it in a fresh clone: `make notebook` writes into
build/ only.

Run by `make test-colab` (it needs the Colab environment that `make notebook` uses): the clone
borrows the running interpreter's environment instead of installing its own."""

import subprocess
import sys
from pathlib import Path

from fake_data import write_all
from notebook_tools import ROOT


def test_make_notebook_in_a_fresh_clone_leaves_the_tracked_files_untouched(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    (clone / ".venv-colab").symlink_to(Path(sys.prefix), target_is_directory=True)
    # the environment exists: make does not rebuild it
    (clone / ".venv-colab" / "installed").touch()
    write_all(tmp_path / "data")
    command = ["make", "notebook", "RUN_MODE=smoke", f"DATA_DIR={tmp_path / 'data'}"]
    subprocess.run(command, cwd=clone, check=True, capture_output=True, timeout=1800)
    assert (clone / "build" / "cifar10_classification.ipynb").exists()
    assert (clone / "build" / "results" / "experiments.csv").exists()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, check=True, capture_output=True, text=True
    )
    # the committed notebook, results/ and figures/ are as they were
    assert status.stdout == "", status.stdout
