"""Each table is declared once, as a SQLModel class that says whose rows it holds; the rest follows from it."""

import re

from sqlmodel import SQLModel

from conftest import ROOT, run_cli
from xstore.db import Store
from xstore import labels
from xstore.schema import CELL_COLUMNS, CELL_TABLES, DATA_TABLES, LABEL_TABLES, PEOPLE_TABLES, REFERENCE_TABLES


def test_every_table_says_whose_rows_it_holds():
    roles = {table.name: table.info.get("rows") for table in SQLModel.metadata.sorted_tables}
    assert roles.pop("schema_version") is None  # the migrations' own record: no cell's
    assert set(roles.values()) == {"cell", "reference", "fill", "people", "label"}
    assert set(LABEL_TABLES) == set(labels.LABELS) == {n for n, role in roles.items() if role == "label"}
    assert set(CELL_TABLES) == {name for name, role in roles.items() if role == "cell"}
    assert set(REFERENCE_TABLES) == {"task", "pretrained_model"}
    assert PEOPLE_TABLES == ("annotation",)  # judgements: no cell writes them, delete keeps them
    assert set(DATA_TABLES) == set(roles) - {"cell", "failure"} - set(LABEL_TABLES)  # labels: derived rows
    assert set(CELL_COLUMNS) == set(CELL_TABLES) | {"cell", "failure"}
    for table, column in CELL_COLUMNS.items():  # the column named is the table's own
        assert column in SQLModel.metadata.tables[table].columns, (table, column)


def test_a_fill_writes_only_cell_reference_and_label_tables_and_status_counts_every_data_table(filled_small, capsys):
    with Store(filled_small / "small.duckdb").connect(read_only=True) as con:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SQLModel.metadata.tables}
        # every row of a cell table names a stored cell
        for table, column in CELL_TABLES.items():
            assert con.execute(f"SELECT count(*) FROM {table} WHERE {column} NOT IN (SELECT key FROM cell)").fetchone() == (0,)
    written = {t for t, n in counts.items() if n} - {"cell", "schema_version"}
    assert written <= set(CELL_TABLES) | set(REFERENCE_TABLES) | set(LABEL_TABLES)
    code, out, _ = run_cli(["status", filled_small / "small.duckdb"], capsys)
    assert code == 0
    shown = dict(re.findall(r"(\w+) (\d+)", " ".join(out.split()).split("rows: ")[1].split(" no open")[0]))
    assert shown == {t: str(counts[t]) for t in DATA_TABLES}
    assert "annotation" in shown


def test_readme_lists_every_table():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The tables", 1)[1].split("\n## ", 1)[0]
    tables, views = section.split("Views, computed when read", 1)
    listed = re.findall(r"^\| `(\w+)` \|", tables, flags=re.M)
    assert sorted(listed) == sorted(SQLModel.metadata.tables)
    from xstore.schema import VIEWS

    assert sorted(re.findall(r"^\| `(\w+)` \|", views, flags=re.M)) == sorted(VIEWS)
