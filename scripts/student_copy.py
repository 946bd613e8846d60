"""Write the students' copy of the notebook: no outputs, no answers, every question kept.

    python scripts/student_copy.py [--output student/cifar10_classification_etudiant.ipynb]

An answer starts with a paragraph that begins with ``**Réponse `` (for example
``**Réponse 3.10.** Le noyau…``) and runs to the end of its markdown cell, or to the next heading of
that cell. It becomes ``**Réponse 3.10.** *À rédiger.*`` (the bold label is kept, so that the
student sees where to answer). Every code cell loses its outputs and its execution count.
Everything else (questions, headings, code, tags, metadata) is kept.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "cifar10_classification.ipynb"
OUTPUT = ROOT / "student" / "cifar10_classification_etudiant.ipynb"
ANSWER_START = "**Réponse "
# "**Réponse 3.10.**", "**Réponse 4.6 — sur la partie *train* ?**"
ANSWER_LABEL = re.compile(r"\*\*Réponse .*?\*\*")
HEADING = re.compile(r"#{1,6} ")
TO_WRITE = "*À rédiger.*"


def blank_answers(source):
    """Markdown source with every answer replaced by its label + TO_WRITE; returns (source, number
    of answers)."""
    lines = source.splitlines()
    kept = []
    answers = 0
    in_answer = False
    for index, line in enumerate(lines):
        if line.startswith(ANSWER_START) and (index == 0 or not lines[index - 1].strip()):
            label = ANSWER_LABEL.match(line)
            if kept and kept[-1].strip():
                kept.append("")
            kept.append(f"{label.group(0) if label else '**Réponse**'} {TO_WRITE}")
            answers, in_answer = answers + 1, True
        elif in_answer and HEADING.match(line):
            kept += ["", line]
            in_answer = False
        elif not in_answer:
            kept.append(line)
    return "\n".join(kept), answers


def student_copy(notebook):
    """Blank the answers and clear the code outputs of `notebook` (in place); return (answers, code
    cells) counts."""
    answers = code_cells = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            source, found = blank_answers(cell.source)
            if not found:
                continue
            cell.source = source
            answers += found
            if "attachments" in cell:  # images pasted into an answer go with it
                cell.attachments = {
                    name: data for name, data in cell.attachments.items() if name in cell.source
                }
                if not cell.attachments:
                    del cell["attachments"]
        elif cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            code_cells += 1
    return answers, code_cells


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--source", type=Path, default=NOTEBOOK, help="the teacher's notebook (with answers)"
    )
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help="where to write the students' copy"
    )
    args = parser.parse_args(argv)
    notebook = nbformat.read(args.source, as_version=4)
    answers, code_cells = student_copy(notebook)
    nbformat.validate(notebook)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, args.output)
    print(
        f"{args.output}: {answers} answers blanked, outputs of {code_cells} code cells cleared.",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
