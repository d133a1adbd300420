"""A benchmark's report: the lines a run generates, then the hand-written
analysis kept beside it in NAME.notes.md. Every run rewrites NAME.md; the
notes file is never written by a run, so what people wrote survives."""
import pathlib


def write_report(results, name, lines):
    """Writes results/NAME.md from lines and results/NAME.notes.md."""
    out = pathlib.Path(results)
    text = "\n".join(lines).rstrip("\n") + "\n"
    notes = out / f"{name}.notes.md"
    if notes.exists():
        text += (f"\n<!-- The section below is kept in {name}.notes.md: edit it there, this file is rewritten. -->\n\n"
                 + notes.read_text().rstrip("\n") + "\n")
    (out / f"{name}.md").write_text(text)
