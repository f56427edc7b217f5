"""What a fill prints per cell: one plain, complete line where output is not a terminal; a bar where it is."""

import io

from rich.console import Console

from xstore.progress import CellProgress


class _Cell:
    def __init__(self, kind, what):
        self.kind, self._what = kind, what

    def describe(self):
        return self._what


def test_plain_output_gets_one_complete_line_per_cell():
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=80)
    with CellProgress(console, 3) as progress:
        progress.working_on("[bold]load[/] demo-nli test de")  # shown on a live bar only
        progress.finished("stored", _Cell("load", "demo-nli test de"), 0.25)
        progress.finished("failed", _Cell("train_target", "builtin:tiny-xlmr none demo-nli seed 1"), 1.5,
                          "OSError: [Errno 28] No space left on device: '/very/long/path/to/a/checkpoint/folder'")
        progress.finished("blocked", _Cell("predict_clean", "builtin:tiny-xlmr none demo-nli none test de seed 1"))
    # wider than the 80 columns, and still one line each: nothing cut, nothing wrapped, brackets kept
    assert out.getvalue().splitlines() == [
        "[1/3] stored load demo-nli test de  0.2 s",
        "[2/3] failed train_target builtin:tiny-xlmr none demo-nli seed 1  1.5 s: "
        "OSError: [Errno 28] No space left on device: '/very/long/path/to/a/checkpoint/folder'",
        "[3/3] blocked predict_clean builtin:tiny-xlmr none demo-nli none test de seed 1",
    ]


def test_a_terminal_gets_a_bar_and_a_line_per_failure_only():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, color_system=None)
    with CellProgress(console, 2) as progress:
        progress.finished("stored", _Cell("load", "demo-nli test de"), 0.25)
        progress.finished("failed", _Cell("perturb", "demo-nli charnoise test de"), 0.1, "ValueError: [bad] rate")
    text = out.getvalue()
    assert "failed perturb demo-nli charnoise test de: ValueError: [bad] rate" in text  # markup-like text kept
    assert "2/2" in text and "stored load" not in text
