"""The run and attack labels (target_run, baseline_run, attack_setting): tables that every write keeps current.

Each label has one definition, the view `<label>_derived` (migrations 0004 and 0008); the table holds its rows as
of the last write, so questions read labels instead of deriving them (about 20 to 30 ms a question, whatever its
size). A label depends on other rows (a run's variant names the settings that differ between the runs of its
base model and target), so a refresh rewrites the whole table; it runs inside the writer's transaction, and a
reader sees the rows and their labels together or neither.
"""

from __future__ import annotations

#: The label tables (no SQLModel class): each is its view `<label>_derived`'s rows as of the last write.
LABELS: tuple[str, ...] = ("target_run", "baseline_run", "attack_setting")


#: Cell kinds whose rows can change a label: training runs (target_run, baseline_run, and attack_setting's victim
#: relation) and perturbed prediction cells (attack_setting).
LABELLED_KINDS: frozenset[str] = frozenset({"train_intermediate", "train_target", "predict_perturbed"})


def refresh(con) -> None:
    """Rewrite every label table from its definition, on `con`'s open transaction."""
    for name in LABELS:
        con.execute(f"DELETE FROM {name}").fetchall()
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {name}_derived").fetchall()


def stale(con) -> list[str]:
    """The label tables whose rows differ from their definition's (a database changed by hand), by name."""
    return [name for name in LABELS if con.execute(
        f"SELECT count(*) FROM ((FROM {name} EXCEPT ALL FROM {name}_derived) "
        f"UNION ALL (FROM {name}_derived EXCEPT ALL FROM {name}))").fetchall()[0][0]]
