"""Reading the alternatives' data: translate-train files (XTREME's and XNLI-MT's layouts), MLM text, and the
messages when they are missing."""

import gzip
import os
from pathlib import Path

import pytest

from conftest import real_data
from xstore.errors import UserError
from xstore.tasks.mlm import mlm_entry
from xstore.tasks.translated import TRANSLATIONS, translated_entry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_mnli_translations_in_xtreme_and_xnli_mt_layouts():
    entry = translated_entry("mnli@translated")
    assert entry.name == "mnli@translated" and entry.head == "classification" and entry.labels[2] == "contradiction"
    de = entry.read("train", "de", FIXTURES / "translated" / "mnli")  # XTREME: en-de-translated.tsv
    assert [r["label"] for r in de.rows] == [0, 2, 1, 0]  # "contradictory" is XNLI-MT's spelling of class 2
    assert de.rows[0]["text_a"] == "Die Katze schläft auf dem warmen Sofa." and de.rows[0]["text_b"] == "Ein Tier ruht sich aus."
    zh = entry.read("train", "zh", FIXTURES / "translated" / "mnli")  # XNLI-MT: multinli.train.zh.tsv, header skipped
    assert [r["text_a"] for r in zh.rows] == ["猫在温暖的沙发上睡觉。", "下了一整天的雨。"] and [r["idx"] for r in zh.rows] == [0, 1]
    assert de.origin == "local" and de.location.endswith("en-de-translated.tsv") and len(de.fingerprint) == 64


def test_gzipped_translations_and_a_missing_language(tmp_path):
    source = (FIXTURES / "translated" / "mnli" / "en-ru-translated.tsv").read_bytes()
    (tmp_path / "XNLI-Translated").mkdir()
    (tmp_path / "XNLI-Translated" / "en-ru-translated.tsv.gz").write_bytes(gzip.compress(source))
    entry = translated_entry("mnli@translated")
    assert len(entry.read("train", "ru", tmp_path).rows) == 3
    with pytest.raises(UserError, match="en-de-translated.tsv.*Expected layout: en-{lang}-translated.tsv"):
        entry.read("train", "de", tmp_path)
    with pytest.raises(UserError, match="no 'train' split in language 'ja'"):
        entry.read("train", "ja", tmp_path)


def test_squad_translations_are_squad_json_and_local_only():
    entry = translated_entry("squad@translated")
    rows = entry.read("train", "de", FIXTURES / "translated" / "squad").rows
    assert [r["fields"]["answers"] for r in rows] == [[{"text": "1902", "start": 30}], [{"text": "zwanzig Meter", "start": 50}]]
    with pytest.raises(UserError, match=r"\[translated.squad\] folder"):
        entry.read("train", "de", None)


def test_mnli_translations_offline_name_their_own_section(monkeypatch, tmp_path):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path))  # nothing cached
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError) as caught:
        translated_entry("mnli@translated").read("train", "de", None)
    message = str(caught.value)
    assert "facebook/xnli (de)" in message and "HF_HUB_OFFLINE" in message
    assert '[translated.mnli] folder = "path/to/folder"' in message and "[data]" not in message


def test_mlm_text_one_row_per_non_blank_line_up_to_the_cap():
    source = {"folder": True}
    en = mlm_entry(source, ["en", "de"], None).read("train", "en", FIXTURES / "mlm").rows
    lines = [line for line in (FIXTURES / "mlm" / "en.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [r["text_a"] for r in en] == lines and {r["label"] for r in en} == {-1}
    assert len(mlm_entry(source, ["en"], 2).read("train", "en", FIXTURES / "mlm").rows) == 2
    with pytest.raises(UserError, match="sw.txt"):
        mlm_entry(source, ["sw"], None).read("train", "sw", FIXTURES / "mlm")


def test_mlm_hub_corpus_offline_is_one_message(monkeypatch, tmp_path):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # datasets reads the variable at import
    entry = mlm_entry({"hub": "wikimedia/wikipedia", "config": "20231101.{lang}", "column": "text"}, ["de"], 10)
    with pytest.raises(UserError, match=r"cannot read hub corpus wikimedia/wikipedia \(20231101.de\).*\[mlm\] folder"):
        entry.read("train", "de", None)


def test_real_xnli_files_read_in_the_translate_train_layout(tmp_path):
    # XNLI's dev files have translate-train's shape (premise, hypothesis, label; no header): linked under the
    # translate-train names, every one of MNLI's 14 translation languages and scripts reads whole
    xnli = real_data("xnli")
    for language in TRANSLATIONS["mnli"].languages:
        os.symlink(xnli / f"dev-{language}.tsv.gz", tmp_path / f"en-{language}-translated.tsv.gz")
    entry = translated_entry("mnli@translated")
    for language in TRANSLATIONS["mnli"].languages:
        rows = entry.read("train", language, tmp_path).rows
        assert len(rows) == 2490, language  # the README of the data: 2490 rows, 830 per label
        assert [sum(r["label"] == k for r in rows) for k in range(3)] == [830, 830, 830], language
