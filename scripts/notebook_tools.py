"""Use the notebook from Python: load its definitions as a namespace, or execute it in a fresh
kernel.

The notebook stays one self-contained file (Colab opens it alone). Its cells tagged
``definitions`` hold the imports, constants, functions and classes; ``load_definitions`` executes
those statements (and skips bare calls) so that tests and benchmarks use exactly the notebook's
code.
"""

import ast
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "cifar10_classification.ipynb"
KEPT_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
)


def read_notebook(path=NOTEBOOK):
    return nbformat.read(path, as_version=4)


def tagged(cell, tag):
    return tag in cell.get("metadata", {}).get("tags", [])


def load_definitions(path=NOTEBOOK, **parameters):
    """Namespace holding the parameters cell (overridden by `parameters`) and every `definitions`
    cell."""
    notebook = read_notebook(path)
    namespace = {"__name__": "cifar10_notebook"}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if tagged(cell, "parameters"):
            exec(compile(cell.source, f"<parameters cell {index}>", "exec"), namespace)
            namespace.update(parameters)
        elif tagged(cell, "definitions"):
            tree = ast.parse(cell.source)
            tree.body = [node for node in tree.body if isinstance(node, KEPT_STATEMENTS)]
            exec(compile(tree, f"<definitions cell {index}>", "exec"), namespace)
    return namespace


def execute_notebook(parameters, workdir, stop_after=None, timeout=1200, path=NOTEBOOK):
    """Run the notebook in a fresh kernel with injected parameters (papermill's convention).

    Returns the executed notebook. A failing cell raises nbclient's CellExecutionError. With
    `stop_after` (a piece of a code cell's source), execution stops after that cell, as if the
    kernel had died there.
    """
    # papermill's reader adds its metadata
    notebook = parameterize_notebook(load_notebook_node(str(path)), parameters)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
        coalesce_streams=True,  # one stream output per cell: GitLab draws each as its own box
        # as scripts/run_notebook.py: C/C++ libraries' own stderr (TensorFlow's graph-optimiser
        # notices) stays out of the outputs; Python warnings and errors are still captured
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )
    if stop_after is None:
        client.execute()
        return notebook
    last = cell_index(notebook, stop_after)
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells[: last + 1]):
            client.execute_cell(cell, index)
    return notebook


def cell_index(notebook, needle):
    """Index of the first code cell whose source contains `needle`."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and needle in cell.source:
            return index
    raise ValueError(f"no code cell contains {needle!r}")


def outputs_text(notebook):
    """Every stream, markdown and plain-text output, joined (for assertions on what the reader
    sees)."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type in ("display_data", "execute_result"):
                data = output.get("data", {})
                parts.append(data.get("text/markdown", "") or data.get("text/plain", ""))
            elif output.output_type == "error":
                parts.append("\n".join(output.traceback))
    return "\n".join(parts)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
