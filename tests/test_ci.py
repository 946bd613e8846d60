"""CI runs what the README says: .ci/run runs the README's test command, GitLab's jobs run each of
its parts."""

import re
import shlex
import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from notebook_tools import ROOT

GITLAB_KEYWORDS = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
}
EXPOSE_AS = re.compile(r"\A\w[-\w ]*\Z", re.ASCII)  # GitLab's own rule for artifacts:expose_as


def readme_commands():
    """The commands of the README's fenced bash block under '## Les deux commandes', comments
    removed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Les deux commandes", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    return [
        line.split("#", 1)[0].strip()
        for line in block.splitlines()
        if line.split("#", 1)[0].strip()
    ]


def readme_test_command():
    run_notebook, test = readme_commands()
    assert run_notebook.startswith("make notebook")
    return test


def make_prerequisites(target):
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:([^\n=]*)$", makefile, re.MULTILINE)
    assert match, f"no target {target!r} in the Makefile"
    return match.group(1).split()


@pytest.fixture(scope="module")
def gitlab():
    return yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())


@pytest.fixture(scope="module")
def jobs(gitlab):
    return {
        name: job
        for name, job in gitlab.items()
        if name not in GITLAB_KEYWORDS and not name.startswith(".")
    }


def make_targets(job):
    """Every make target a job's script runs."""
    return {
        target
        for line in job["script"]
        if line.startswith("make ")
        for target in line.split()[1:]
        if "=" not in target
    }


def test_readme_has_two_commands_and_ci_runs_its_test_command():
    test = readme_test_command()
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [
        line
        for line in lines
        if line and not line.startswith("#") and not line.startswith(("set ", "cd "))
    ]
    assert commands == [test]


def test_gitlab_jobs_run_every_part_of_the_test_command(jobs):
    test = readme_test_command()
    assert test.startswith("make ") and len(test.split()) == 2, (
        "the README's test command should be one make target"
    )
    parts = make_prerequisites(test.split()[1])
    assert {"lint", "test", "test-colab", "html", "student-copy"} <= set(parts)
    run_by_jobs = set().union(*(make_targets(job) for job in jobs.values()))
    assert set(parts) <= run_by_jobs, (
        f"parts of `{test}` that no GitLab job runs: {set(parts) - run_by_jobs}"
    )
    assert make_targets(jobs["lint"]) == {"lint"}
    assert make_targets(jobs["test"]) == {"test"}
    assert make_targets(jobs["test-colab"]) == {"test-colab"}


def test_defaults_and_caches(gitlab, jobs):
    assert {"image", "cache", "before_script"} <= set(gitlab["default"])
    assert not {"image", "cache", "before_script"} & set(gitlab), "put them under default:"
    caches = [gitlab["default"]["cache"]] + [
        job["cache"] for job in jobs.values() if job.get("cache")
    ]
    for cache in caches:
        files = cache["key"]["files"]
        assert 1 <= len(files) <= 2, "GitLab accepts one or two files in cache:key:files"
        assert all((ROOT / name).is_file() for name in files)
        assert all(name.startswith("requirements") for name in files)
    assert "requirements-colab.txt" in jobs["test-colab"]["cache"]["key"]["files"]


def test_reports_and_exposed_artifacts(jobs):
    for name in ("test", "test-colab"):
        junit = jobs[name]["artifacts"]["reports"]["junit"]
        make_line = (ROOT / "Makefile").read_text().split(f"\n{name}:", 1)[1].split("\n\n", 1)[0]
        assert f"--junitxml={junit}" in make_line
    exposed = {
        name: job["artifacts"]
        for name, job in jobs.items()
        if "expose_as" in job.get("artifacts", {})
    }
    assert {"test", "render"} <= set(exposed)
    for artifacts in exposed.values():
        assert EXPOSE_AS.match(artifacts["expose_as"]) and len(artifacts["expose_as"]) <= 100
        assert all("*" not in path and not path.startswith("./") for path in artifacts["paths"])
    rendered = exposed["render"]["paths"]
    assert (
        "public/index.html" in rendered
        and "student/cifar10_classification_etudiant.ipynb" in rendered
    )
    assert "student/cifar10_classification_etudiant.ipynb" in (ROOT / "Makefile").read_text()


def test_pages_publishes_the_html_from_the_default_branch_only(jobs):
    assert make_targets(jobs["render"]) >= {"html", "student-copy"}
    # public/index.html
    assert (
        "nbconvert --to html --output-dir public --output index " in (ROOT / "Makefile").read_text()
    )
    pages = jobs["pages"]
    assert pages["needs"] == ["render"]
    assert pages["artifacts"]["paths"] == ["public"]
    assert [rule["if"] for rule in pages["rules"]] == ["$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"]
    for name, job in jobs.items():
        if name != "pages":
            assert "rules" not in job and "only" not in job, f"{name} should run in every pipeline"


def test_html_render_keeps_formulas_and_table_colours():
    """What `make html` publishes: MathJax typesets $…$ and $$…$$ in the browser, pandas Styler
    colours stay."""
    styled = (
        '<style type="text/css">\n#T_1_row0_col0 {\n  background-color: #00441b;\n}\n</style>\n'
        '<table id="T_1"></table>'
    )
    notebook = new_notebook(
        cells=[
            new_markdown_cell(
                "Sortie : $o = \\lfloor (n + 2p - k) / s \\rfloor + 1$.\n\n$$y = \\varphi(Wx + b)$$"
            ),
            new_code_cell(
                "table.style",
                outputs=[
                    new_output("display_data", data={"text/html": styled, "text/plain": "<Styler>"})
                ],
            ),
        ]
    )
    html, _ = HTMLExporter().from_notebook_node(notebook)
    assert re.search(r'<script src="[^"]*mathjax[^"]*"', html, re.IGNORECASE)
    assert "inlineMath: [ ['$','$']" in html and "displayMath: [ ['$$','$$']" in html
    assert (
        "$o = \\lfloor (n + 2p - k) / s \\rfloor + 1$" in html
        and "$$y = \\varphi(Wx + b)$$" in html
    )
    assert "#T_1_row0_col0 {\n  background-color: #00441b;" in html


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_html_hides_the_code_of_plumbing_cells(tmp_path):
    """`make html`'s own nbconvert command, on a two-cell notebook: a `plumbing` cell keeps its
    output, not its code."""
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/installed", "html"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    [command] = [shlex.split(line) for line in dry_run.stdout.splitlines() if " nbconvert " in line]
    assert command[-1] == "cifar10_classification.ipynb" and "--output-dir" in command
    notebook = new_notebook(
        cells=[
            new_code_cell(
                "plumbing_code = 1",
                metadata={"tags": ["plumbing"]},
                outputs=[new_output("stream", name="stdout", text="plumbing output\n")],
            ),
            new_code_cell(
                "teaching_code = 2",
                outputs=[new_output("stream", name="stdout", text="teaching output\n")],
            ),
        ]
    )
    nbformat.write(notebook, tmp_path / "tiny.ipynb")
    command[command.index("--output-dir") + 1] = str(tmp_path / "public")
    command = [sys.executable, "-m", *command[command.index("nbconvert") :]]
    command[-1] = str(tmp_path / "tiny.ipynb")
    subprocess.run(command, cwd=tmp_path, capture_output=True, check=True)
    html = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "plumbing_code" not in html and "plumbing output" in html
    assert "teaching_code" in html and "teaching output" in html


def test_the_readme_results_table_is_generated_from_the_registry():
    """The README's results come from results/experiments.csv:
    `python scripts/results_table.py --write` wrote them."""
    from results_table import END, START, table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert block == table(), "run: python scripts/results_table.py --write"


def test_the_readme_stays_short_and_starts_with_how_to_run_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 12_000
    headings = [line for line in readme.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Démarrer"
    assert "make notebook" in readme.split("## Démarrer", 1)[1].split("\n## ", 1)[0]
