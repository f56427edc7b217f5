"""Every named query documents itself: a grain in its header, a comment on every output column, its
parameters declared and used; and every query runs on an empty migrated database."""

from __future__ import annotations

import re

import pytest

from xstore import named
from xstore.errors import UserError

from querydb import qdb  # noqa: F401  (qdb is a fixture)

QUERIES = sorted(named.available())
EXPECTED_QUERIES = {
    "accuracy_by_language", "confidence_by_language", "ece_by_language", "calibration_summary",
    "overconfidence_by_language", "ece_equal_mass_by_language", "mce_by_language", "classwise_ece_by_language",
    "brier_by_language", "nll_by_language", "auroc_by_language", "aurc_by_language", "reliability_bins",
    "metrics_over_seeds", "metrics_bootstrap", "delta_vs_baseline", "attack_success_rate", "confidence_shift",
    "confidence_on_successful_attacks", "ece_perturbed_vs_clean", "compute_cost",
}


def _header(sql: str) -> list[str]:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line)
    return lines


def _final_select_lines(sql: str) -> list[str]:
    """The lines between the last top-level `SELECT` line and the `FROM` line that follows it."""
    lines = sql.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"SELECT\b", line)]
    assert starts, "no top-level SELECT line"
    start = starts[-1]
    end = next(i for i in range(start + 1, len(lines)) if re.match(r"FROM\b", lines[i]))
    return [line for line in lines[start + 1:end] if line.strip()]


def _output_name(expression: str) -> str:
    """`r.task AS target` -> target; `p.language` -> language."""
    expression = expression.strip().rstrip(",").strip()
    alias = re.search(r"\bAS\s+(\w+)$", expression, flags=re.IGNORECASE)
    if alias:
        return alias.group(1)
    assert re.fullmatch(r"(\w+\.)?\w+", expression), f"an unnamed expression needs AS: {expression!r}"
    return expression.rsplit(".", 1)[-1]


def test_the_known_queries_are_found():
    assert EXPECTED_QUERIES <= set(QUERIES)


@pytest.mark.parametrize("name", QUERIES)
def test_header_names_grain_and_reads(name):
    header = _header(named.get(name).sql)
    assert header and header[0].startswith(f"-- {name}:"), "first line: '-- <name>: <question>'"
    summary = named.get(name).summary
    assert summary.endswith(("?", ".", ")")), f"summary cut short: {summary!r}"  # the whole question, continued lines too
    assert "--" not in summary and "  " not in summary
    grain = [line for line in header if line.startswith("-- Grain:")]
    assert len(grain) == 1 and len(grain[0]) > len("-- Grain: one row"), "header must name the grain"
    assert any(line.startswith("-- Reads:") for line in header)


@pytest.mark.parametrize("name", QUERIES)
def test_every_output_column_has_a_trailing_comment(qdb, name):
    columns = _final_select_lines(named.get(name).sql)
    names = []
    for line in columns:
        expression, sep, comment = line.partition("--")
        assert sep and comment.strip(), f"output column without a trailing comment: {line.strip()!r}"
        names.append(_output_name(expression))
    # the parsed columns are exactly the result's columns, in order
    assert qdb.query(name).columns.tolist() == names


@pytest.mark.parametrize("name", QUERIES)
def test_parameters_declared_and_used(name):
    query = named.get(name)
    used = set(re.findall(r"\$(\w+)", "\n".join(l for l in query.sql.splitlines() if not l.startswith("--"))))
    assert used == set(query.params)
    header = "\n".join(_header(query.sql))
    if query.params:
        assert "-- Parameters:" in header
    else:
        assert "-- Parameters: none." in header


@pytest.mark.parametrize("name", QUERIES)
def test_runs_on_an_empty_database(qdb, name):
    frame = qdb.query(name)
    assert len(frame) == 0
    assert len(frame.columns) >= 5


@pytest.mark.parametrize("name", QUERIES)
def test_runs_with_runs_but_no_predictions(qdb, name):
    """Runs and fits alone give no rows (no division by an empty group, no 'none' rows from nothing)."""
    qdb.add_run("r")
    qdb.add_fit("r", 1.5)
    assert len(qdb.query(name)) == 0


@pytest.mark.parametrize("name", QUERIES)
def test_numeric_parameters_declare_their_range(name):
    for param in named.get(name).params.values():
        if param.type in ("INTEGER", "DOUBLE"):
            assert param.low is not None, f"${param.name} declares no range: `$name TYPE in [low, high] = default`"
            assert param.cast(param.default) == param.default


def test_header_ranges_are_parsed_with_their_ends():
    sql = ("-- q: a test\n--   $k INTEGER in [1, 5] = 2  closed\n--   $p DOUBLE in (0, 1) = 0.5  open\n"
           "--   $s VARCHAR = x  no range\nSELECT $k, $p, $s\n")
    query = named._parse("q", sql)
    k, p, s = query.params["k"], query.params["p"], query.params["s"]
    assert (k.domain, p.domain, s.domain) == ("INTEGER in [1, 5]", "DOUBLE in (0, 1)", "VARCHAR")
    assert [k.cast(v) for v in ("1", "5", 3)] == [1, 5, 3]
    assert p.cast("0.25") == 0.25
    for param, value in ((k, "0"), (k, "6"), (p, "0"), (p, 1.0), (p, "-inf")):
        with pytest.raises(UserError):
            param.cast(value)
    assert query.bind({"k": "4"}) == {"k": 4, "p": 0.5, "s": "x"}


def test_a_default_outside_its_range_is_a_mistake_in_the_file():
    with pytest.raises(ValueError, match="queries/q.sql: default"):
        named._parse("q", "-- q: x\n--   $k INTEGER in [1, 5] = 9  bins\nSELECT $k\n")


def test_a_varchar_may_list_its_only_values():
    query = named._parse("q", "-- q: a test\n--   $m VARCHAR in {holm, bh} = holm  method\nSELECT $m\n")
    m = query.params["m"]
    assert m.domain == "VARCHAR in {holm, bh}" and m.cast("bh") == "bh"
    with pytest.raises(UserError, match=r"'m' must be VARCHAR in \{holm, bh\}, got 'Holm'"):
        m.cast("Holm")
    with pytest.raises(ValueError, match="queries/q.sql: default"):
        named._parse("q", "-- q: x\n--   $m VARCHAR in {holm, bh} = bonferroni  method\nSELECT $m\n")


def test_get_reads_one_file_as_available_reads_them_all():
    everything = named.available()
    assert all(named.get(name) == query for name, query in everything.items())
    for wrong, hint in (("xtreme_scor", "did you mean 'xtreme_score'?"), ("../queries/xtreme_score", "no query named"),
                        ("", "no query named ''")):
        with pytest.raises(UserError, match=re.escape(hint)):
            named.get(wrong)
