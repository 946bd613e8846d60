"""Screenshot one section of the notebook as `make html` renders it (headless Chromium), to look at
it as a reader.

    python scripts/screenshot.py --section "3.2" --output shot.png
        [--cells 8] [--width 1100] [--height 1600]

The section's heading (the first markdown cell whose heading contains --section) and the cells
after it are rendered with nbconvert's HTML exporter, as `make html` does, then photographed by
Chromium. Needs Debian's `chromium`; with Debian's `libjs-mathjax` the formulas are typeset from
that local copy of MathJax (the page that `make html` writes loads MathJax from a CDN, which an
offline machine cannot reach: formulas would stay as $…$).

    apt-get install -y chromium libjs-mathjax fonts-mathjax
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "cifar10_classification.ipynb"
LOCAL_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
HEADING = re.compile(r"^#{1,6} ", re.MULTILINE)


def section_cells(notebook, section, count):
    """The first markdown cell with a heading containing `section`, and the `count - 1` cells after
    it."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and any(
            section in line for line in cell.source.splitlines() if HEADING.match(line)
        ):
            return notebook.cells[index : index + count]
    headings = [
        line
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
    ]
    raise SystemExit(
        f"no heading contains {section!r}; "
        f"headings: {[line for line in headings if HEADING.match(line)]}"
    )


def render(notebook, path):
    # As `make html`: the code of the cells tagged `plumbing` is hidden, their outputs are kept.
    exporter = HTMLExporter(
        config=Config(
            {"TagRemovePreprocessor": {"enabled": True, "remove_input_tags": ["plumbing"]}}
        )
    )
    if LOCAL_MATHJAX.exists():
        exporter.mathjax_url = f"{LOCAL_MATHJAX.as_uri()}?config=TeX-AMS_CHTML-full,Safe"
    else:
        print(
            f"{LOCAL_MATHJAX} missing (apt-get install libjs-mathjax): formulas need the CDN.",
            file=sys.stderr,
        )
    html, _ = exporter.from_notebook_node(notebook)
    path.write_text(html, encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--notebook", type=Path, default=NOTEBOOK)
    parser.add_argument(
        "--section", default="", help="text of a heading, e.g. '3.2' or 'Conv2D' (default: the top)"
    )
    parser.add_argument("--cells", type=int, default=8, help="how many cells from that heading on")
    parser.add_argument("--output", type=Path, default=Path("screenshot.png"))
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1600)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit(
            "Chromium not found: apt-get install -y chromium libjs-mathjax fonts-mathjax"
        )
    notebook = nbformat.read(args.notebook, as_version=4)
    notebook.cells = section_cells(notebook, args.section, args.cells)
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "section.html"
        render(notebook, page)
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--allow-file-access-from-files",
            "--virtual-time-budget=20000", f"--window-size={args.width},{args.height}",
            f"--screenshot={args.output.resolve()}", page.as_uri(),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=180)
    print(f"{args.output}: {len(notebook.cells)} cells from {args.section!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
