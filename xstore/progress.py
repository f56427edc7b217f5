"""What a fill shows while it works: a live bar on a terminal, one plain line per cell anywhere else.

A live bar redrawn in a log file, a CI page or a pipe comes out as cut-off fragments, so output that is
not a terminal gets one complete line per finished cell instead: `[12/58] stored predict_clean ... 0.4 s`
(with `(loading models 0.2 s)` after it when the cell loaded a model rather than finding it kept).
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class CellProgress:
    """Progress over `total` cells on `console`; use as a context manager."""

    def __init__(self, console: Console, total: int):
        self.console, self.total, self.done = console, total, 0
        self.live = console.is_terminal and not console.is_dumb_terminal
        self._bar = None
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("cells"),
                TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=console, transient=False)
            self.console = self._progress.console

    def __enter__(self) -> "CellProgress":
        if self.live:
            self._progress.__enter__()
            self._bar = self._progress.add_task("starting", total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self.live:
            self._progress.__exit__(*exc)

    def working_on(self, description: str) -> None:
        """What is computing now (shown on the live bar only)."""
        if self.live:
            self._progress.update(self._bar, description=description)

    def skip_to(self, done: int) -> None:
        """Count `done` cells as finished without a line each (stored by an earlier, interrupted run)."""
        self.done = done
        if self.live:
            self._progress.update(self._bar, completed=done)

    def finished(self, what: str, cell, seconds: float | None = None, detail: str | None = None,
                 loading: float | None = None) -> None:
        """One cell is over: `what` is "stored", "failed" or "blocked"; `detail` says why it failed;
        `loading` is the part of `seconds` spent loading models, when the cell loaded any."""
        self.done += 1
        took = f"  {seconds:.1f} s" if seconds is not None else ""
        if seconds is not None and loading is not None:
            took += f" (loading models {loading:.1f} s)"
        why = f": {detail}" if detail else ""
        if self.live:
            self._progress.advance(self._bar)
            if what == "failed":  # above the bar, which stays
                self.console.print(f"[red]failed[/] {escape(f'{cell.kind} {cell.describe()}{why}')}", highlight=False)
            return
        self.console.print(f"[{self.done}/{self.total}] {what} {cell.kind} {cell.describe()}{took}{why}",
                           markup=False, highlight=False, soft_wrap=True)
