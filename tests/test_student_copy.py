"""The students' copy: answers blanked (label kept), code outputs cleared, everything else
unchanged."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from notebook_tools import NOTEBOOK
from student_copy import main

HEADING_THEN_TWO_ANSWERS = (
    "### 6.5 Dropout 0,25 (TP 4.6)\n\n"
    "**Réponse 4.6, première partie — sur la partie *train* ?** L'écart se réduit.\n\n"
    "- un point\n\n"
    "**Réponse 4.6, seconde partie.** Non, et ce n'est pas le but.\n\n"
    "### 6.6 La suite\n\nUn paragraphe gardé."
)


def teacher_notebook():
    result = new_output("execute_result", data={"text/plain": "896"}, execution_count=4)
    figure = new_output(
        "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    )
    cells = [
        new_markdown_cell(
            "## 3. Les couches\n\n**Question 3.10.** Combien de paramètres a cette couche ?"
        ),
        new_code_cell("layer.count_params()", execution_count=4, outputs=[result]),
        new_markdown_cell(
            "**Réponse 3.10.** $3 \\times 3 \\times 3 \\times 32 + 32 = 896$ paramètres.\n\nDétail…"
        ),
        new_code_cell(
            "plt.plot(history['loss'])",
            execution_count=5,
            outputs=[new_output("stream", text="époque 1\n"), figure],
        ),
        new_markdown_cell("**Réponse 4.2.** Le taux trop grand fait diverger la perte."),
        new_markdown_cell("Une remarque qui cite la **Réponse 3.10.** sans en être une.\n"),
        new_markdown_cell(HEADING_THEN_TWO_ANSWERS),
        new_code_cell("x = 1", metadata={"tags": ["definitions"]}),
    ]
    notebook = new_notebook(
        cells=cells, metadata={"colab": {"gpuType": "T4"}, "accelerator": "GPU"}
    )
    nbformat.validate(notebook)
    return notebook


def make_copy(tmp_path, notebook):
    source = tmp_path / "teacher.ipynb"
    output = tmp_path / "student" / "copy.ipynb"
    nbformat.write(notebook, source)
    assert main(["--source", str(source), "--output", str(output)]) == 0
    copy = nbformat.read(output, as_version=4)
    nbformat.validate(copy)
    return copy


def test_answers_are_blanked_with_their_label_kept(tmp_path):
    copy = make_copy(tmp_path, teacher_notebook())
    assert copy.cells[2].source == "**Réponse 3.10.** *À rédiger.*"
    assert copy.cells[4].source == "**Réponse 4.2.** *À rédiger.*"
    # after a heading, two in one cell, the second one ended by the next heading
    assert copy.cells[6].source == (
        "### 6.5 Dropout 0,25 (TP 4.6)\n\n"
        "**Réponse 4.6, première partie — sur la partie *train* ?** *À rédiger.*\n\n"
        "**Réponse 4.6, seconde partie.** *À rédiger.*\n\n"
        "### 6.6 La suite\n\nUn paragraphe gardé."
    )
    text = "\n".join(cell.source for cell in copy.cells)
    for answered in ("= 896", "Détail", "diverger", "se réduit", "un point", "pas le but"):
        assert answered not in text


def test_questions_code_and_metadata_are_kept(tmp_path):
    teacher = teacher_notebook()
    copy = make_copy(tmp_path, teacher)
    assert [cell.cell_type for cell in copy.cells] == [cell.cell_type for cell in teacher.cells]
    for index in (0, 1, 3, 5, 7):  # questions, code, and a paragraph that only mentions an answer
        assert copy.cells[index].source == teacher.cells[index].source
    assert copy.cells[7].metadata["tags"] == ["definitions"]
    assert copy.metadata["colab"] == {"gpuType": "T4"} and copy.metadata["accelerator"] == "GPU"


def test_code_outputs_and_execution_counts_are_cleared(tmp_path):
    copy = make_copy(tmp_path, teacher_notebook())
    for cell in copy.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_copy_of_the_real_notebook(tmp_path):
    output = tmp_path / "copy.ipynb"
    assert main(["--output", str(output)]) == 0
    teacher = nbformat.read(NOTEBOOK, as_version=4)
    copy = nbformat.read(output, as_version=4)
    assert len(copy.cells) == len(teacher.cells)
    assert not any(cell.get("outputs") for cell in copy.cells)
    for cell in copy.cells:
        if cell.cell_type == "markdown":
            answers = [
                paragraph
                for paragraph in cell.source.split("\n\n")
                if paragraph.startswith("**Réponse ")
            ]
            assert all(paragraph.endswith("** *À rédiger.*") for paragraph in answers), answers
