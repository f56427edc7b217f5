"""Migrations create the schema of record, record their version, and upgrade old databases."""

import duckdb
import pytest
from sqlmodel import SQLModel

import xstore.schema  # noqa: F401  (registers the tables on SQLModel.metadata)
from xstore.db import Store, latest_version
from xstore.errors import UserError
from xstore.migrations import MIGRATIONS

# Views of migrations 0004, 0005 and 0008: computed when read, so they hold no rows and have no SQLModel class
# (0008 renamed the label views to <label>_derived and keeps their rows in tables of the old names).
VIEWS = {"target_run_derived", "attack_setting_derived", "run_calibration", "baseline_run_derived",
         "calibrated_prediction", "cell_score_derived", "task_score", "task_score_vs_baseline"}


def _catalog(path) -> dict:
    """A database's schema as DuckDB describes it: per table, its columns (type, nullability, default),
    its primary key and its indexes (by column, whatever their names)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {}
        for table, column, data_type, nullable, default in con.execute(
                "SELECT table_name, column_name, data_type, is_nullable, column_default FROM duckdb_columns() "
                "WHERE NOT internal AND table_name IN (SELECT table_name FROM duckdb_tables()) "
                "ORDER BY table_name, column_index").fetchall():
            tables.setdefault(table, {"columns": [], "primary key": [], "indexes": []})
            tables[table]["columns"].append((column, data_type, "NULL" if nullable else "NOT NULL", default))
        for table, columns in con.execute("SELECT table_name, constraint_column_names FROM duckdb_constraints() "
                                          "WHERE constraint_type = 'PRIMARY KEY'").fetchall():
            tables[table]["primary key"] = columns
        for table, expressions, unique in con.execute(
                "SELECT table_name, expressions, is_unique FROM duckdb_indexes() ORDER BY ALL").fetchall():
            tables[table]["indexes"].append((expressions, unique))
        return tables
    finally:
        con.close()


def test_migrated_schema_matches_sqlmodel_classes_in_full(tmp_path):
    """Every migration applied gives exactly the database SQLModel would create from the classes:
    the same tables, columns in order, types, nullability, defaults, primary keys and indexes."""
    from sqlalchemy import create_engine

    Store(tmp_path / "migrated.duckdb").upgrade()
    engine = create_engine(f"duckdb:///{tmp_path / 'declared.duckdb'}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    migrated, declared = _catalog(tmp_path / "migrated.duckdb"), _catalog(tmp_path / "declared.duckdb")
    assert sorted(migrated) == sorted(declared)
    for table in declared:
        assert migrated[table] == declared[table], table


def test_prediction_has_no_primary_key_but_a_mapper_key(tmp_path):
    """No index slows prediction's bulk inserts; SQLAlchemy still maps the class, by (cell, example, unit)."""
    from xstore.schema import Prediction

    assert list(SQLModel.metadata.tables["prediction"].primary_key) == []
    assert [c.name for c in Prediction.__mapper__.primary_key] == ["cell_key", "example_id", "unit"]


def test_tables_are_the_sqlmodel_classes_and_views_the_documented_ones(tmp_path):
    store = Store(tmp_path / "x.duckdb")
    store.upgrade()
    with store.connect(read_only=True) as con:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        macros = {r[0] for r in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_type = 'macro' AND NOT internal").fetchall()}
    assert {t for t, kind in kinds.items() if kind == "BASE TABLE"} == set(SQLModel.metadata.tables)
    assert {t for t, kind in kinds.items() if kind == "VIEW"} == VIEWS
    assert {"bootstrap_key", "poisson_weight", "bootstrap_weight"} <= macros


def test_new_database_records_every_migration(tmp_path):
    store = Store(tmp_path / "x.duckdb")
    assert store.upgrade() == list(MIGRATIONS)
    assert MIGRATIONS[:3] == ("0001_initial", "0002_add_training_step", "0003_structured_tasks")
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall() == [
            (i, name) for i, name in enumerate(MIGRATIONS, start=1)]
        assert store.check_version(con) == latest_version() == len(MIGRATIONS)
    assert store.upgrade() == []  # nothing pending


def test_database_from_migration_one_is_refused_then_upgraded(tmp_path):
    store = Store(tmp_path / "old.duckdb")
    store.upgrade(target=1)
    with store.connect(read_only=True) as con:
        assert store.schema_version(con) == 1
        with pytest.raises(UserError, match="xstore db upgrade"):
            store.check_version(con)
        # a row written under version 1 survives the upgrade
    with store.connect() as con:
        con.execute("INSERT INTO task VALUES ('t', 1, 'target', 'classification', '[]', '[]', '[]')")
    with pytest.raises(UserError, match="xstore db upgrade"):
        store.create_or_check()
    assert store.upgrade() == list(MIGRATIONS[1:])
    with store.connect(read_only=True) as con:
        assert store.check_version(con) == len(MIGRATIONS)
        assert con.execute("SELECT count(*) FROM training_step").fetchone() == (0,)
        assert con.execute("SELECT name FROM task").fetchall() == [("t",)]


def test_newer_schema_is_refused(tmp_path):
    store = Store(tmp_path / "new.duckdb")
    store.upgrade()
    with store.connect() as con:
        con.execute("INSERT INTO schema_version VALUES (99, '0099_future', now())")
    with pytest.raises(UserError, match="newer than this xstore"):
        store.create_or_check()
    with pytest.raises(UserError, match="newer"):
        store.upgrade()


def test_failed_migration_leaves_database_unchanged(tmp_path, monkeypatch):
    store = Store(tmp_path / "x.duckdb")
    store.upgrade(target=1)
    import importlib

    module = importlib.import_module("xstore.migrations.0002_add_training_step")

    def broken(con):
        con.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "up", broken)
    with pytest.raises(RuntimeError):
        store.upgrade()
    with store.connect(read_only=True) as con:
        assert store.schema_version(con) == 1
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "half_done" not in tables and "training_step" not in tables


def test_not_a_duckdb_file(tmp_path):
    path = tmp_path / "x.duckdb"
    path.write_text("this is a text file, not a database\n" * 50)
    with pytest.raises(UserError, match="not a DuckDB database"):
        Store(path).create_or_check()


def test_foreign_duckdb_file(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE mine (x INTEGER)")
    con.close()
    with pytest.raises(UserError, match="not an xstore database"):
        Store(path).create_or_check()


def test_upgrade_to_structured_tasks_keeps_predictions_as_unit_zero(tmp_path):
    store = Store(tmp_path / "v2.duckdb")
    store.upgrade(target=2)
    with store.connect() as con:
        con.execute("INSERT INTO prediction VALUES ('c', 'e', NULL, 'r', 't', 'test', 'de', 'none', 1, [0.5, 1.5], 1, 0.73)")
        con.execute("INSERT INTO pretrained_model VALUES ('m', 'local', '/m', 'abc', '{}')")
    assert store.upgrade(target=3) == ["0003_structured_tasks"]
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT unit, label FROM prediction").fetchall() == [(0, 1)]
        assert con.execute("SELECT revision FROM pretrained_model").fetchall() == [("",)]
        assert con.execute("SELECT count(*) FROM span_answer").fetchone() == (0,)


def test_upgrade_to_perturbation_validity_marks_old_attempts_unchecked(tmp_path):
    """Perturbations stored before the validity columns keep their rows, with no similarity, markers or rejection
    counts, which perturbation_validity counts as unchecked rather than as negation kept."""
    from xstore import named
    from xstore.db import _insert_row

    store = Store(tmp_path / "v3.duckdb")
    store.upgrade(target=3)
    with store.connect() as con:
        _insert_row(con, "example", {"id": "e", "cell_key": "l", "task": "xnli", "task_version": 1, "split": "test",
                                     "language": "de", "idx": 0, "text_a": "Er kam nicht.", "text_b": None, "label": 0})
        _insert_row(con, "perturbation", {
            "id": "p", "cell_key": "c", "example_id": "e", "attack": "charnoise", "attack_version": 1,
            "params": {"rate": 0.1, "seed": 0}, "victim_run_key": None, "language": "de", "text_a": "Er kam nich.",
            "text_b": None, "outcome": "perturbed", "queries": 0, "words_changed": 1, "chars_changed": 1, "seed": 0})
    assert store.upgrade() == list(MIGRATIONS[3:]) and "0006_perturbation_validity" in MIGRATIONS[3:]
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT similarity, negations, negations_after, rejected FROM perturbation").fetchall() == [
            (None, None, None, None)]
        result = named.run(con, "perturbation_validity")
        row = dict(zip([c[0] for c in result.description], result.fetchone()))
        assert (row["n"], row["changed"], row["unchecked"], row["negation_touched"]) == (1, 1, 1, 0)
        assert con.execute("SELECT count(*) FROM annotation").fetchone() == (0,)
