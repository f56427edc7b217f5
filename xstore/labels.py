"""Derived rows stored as tables that every write keeps current: the run and attack labels (target_run,
baseline_run, attack_setting), and each prediction cell's task-score sums (cell_score).

Each label has one definition, the view `<label>_derived` (migrations 0004 and 0008); the table holds its rows as
of the last write, so questions read labels instead of deriving them (about 20 to 30 ms a question, whatever its
size). A label depends on other rows (a run's variant names the settings that differ between the runs of its
base model and target), so a refresh rewrites the whole table; it runs inside the writer's transaction, and a
reader sees the rows and their labels together or neither. A cell's score sums depend on its own rows only, so
they are written once, with them (score_cell).
"""

from __future__ import annotations

#: The label tables (no SQLModel class): each is its view `<label>_derived`'s rows as of the last write.
LABELS: tuple[str, ...] = ("target_run", "baseline_run", "attack_setting")


#: Cell kinds whose rows can change a label, and the labels they can change: a training run changes variants,
#: baselines and attack_setting's victim relation; a perturbed prediction cell only its own attack setting.
LABELLED_KINDS: dict[str, tuple[str, ...]] = {"train_intermediate": LABELS, "train_target": LABELS,
                                              "predict_perturbed": ("attack_setting",)}
#: Tables whose rows make a cell's task-score sums (cell_score_derived reads them).
SCORED_TABLES: frozenset[str] = frozenset({"prediction", "tag_sentence", "span_answer"})


def _rewrite(con, table: str) -> None:
    con.execute(f"DELETE FROM {table}").fetchall()
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {table}_derived").fetchall()


def refresh(con, names: tuple[str, ...] = LABELS) -> None:
    """Rewrite label tables (default: all) from their definitions, on `con`'s open transaction."""
    for name in names:
        _rewrite(con, name)


def differs(con, table: str) -> bool:
    """Whether a stored table's rows differ from its definition's, the view `<table>_derived`."""
    return bool(con.execute(f"SELECT count(*) FROM ((FROM {table} EXCEPT ALL FROM {table}_derived) "
                            f"UNION ALL (FROM {table}_derived EXCEPT ALL FROM {table}))").fetchall()[0][0])


def stale(con) -> list[str]:
    """The label tables whose rows differ from their definition's (a database changed by hand), by name."""
    return [name for name in LABELS if differs(con, name)]


def score_cell(con, key: str) -> None:
    """Store cell `key`'s task-score sums from its rows, on `con`'s open transaction (after its `cell` row)."""
    con.execute("INSERT INTO cell_score BY NAME SELECT * FROM cell_score_derived WHERE cell_key = ?", [key]).fetchall()


def refresh_scores(con) -> None:
    """Rewrite every cell's task-score sums (for rows inserted other than through Store.write_cell: tests)."""
    _rewrite(con, "cell_score")
