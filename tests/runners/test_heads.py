"""Every head kind trains and predicts on the tiny model, and its stored rows have the documented shape.

The tasks are tiny fixture entries (tests/runners/head_tasks.py) put into the catalogue per test, and
every run goes through the real fill path: load, train, predict cells, written to a real database.
"""

import json
import types

import numpy as np
import pytest

import head_tasks
from xstore.errors import UserError


def _fill(folder, monkeypatch, **spec):
    head_tasks.register(monkeypatch)
    return head_tasks.fill_spec(folder, **spec)


def _softmax(row):
    z = np.exp(np.asarray(row, dtype=np.float64) - np.max(row))
    return z / z.sum()


def _config(store, checkpoint):
    return json.loads((store.artifacts / checkpoint / "config.json").read_text())


def test_tagging_scores_each_word_within_max_length_at_its_first_sub_token(tmp_path, monkeypatch):
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    store = _fill(tmp_path, monkeypatch, targets=["fx-tag"])
    (key, path, metric, score, selected), = head_tasks.query(store, "SELECT key, checkpoint_path, dev_metric, dev_score, selected_step FROM training_run")
    assert _config(store, path)["architectures"] == ["XLMRobertaForTokenClassification"]
    checkpoint = store.artifacts / path
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForTokenClassification.from_pretrained(checkpoint).eval()
    examples = head_tasks.query(store, "SELECT id, fields, split FROM example WHERE split IN ('test', 'dev') ORDER BY id")
    rows = head_tasks.query(store, "SELECT example_id, unit, label, logits, pred_label, confidence FROM prediction ORDER BY example_id, unit")
    by_example = {}
    for row in rows:
        by_example.setdefault(row[0], []).append(row)
    cut, dev_hits, dev_words = 0, 0, 0
    for example_id, fields, split in examples:
        words, tags = json.loads(fields)["tokens"], json.loads(fields)["tags"]
        enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=16, return_tensors="pt")
        word_ids = enc.word_ids()
        firsts = {}
        for pos, word in enumerate(word_ids):
            if word is not None and word not in firsts:
                firsts[word] = pos
        with torch.no_grad():
            logits = model(**enc).logits[0].numpy()
        if split == "dev":  # what model selection scored: token accuracy on English dev
            dev_hits += sum(int(logits[pos].argmax() == tags[w]) for w, pos in firsts.items())
            dev_words += len(firsts)
            continue
        mine = by_example[example_id]
        assert [r[1] for r in mine] == sorted(firsts) == list(range(len(firsts)))  # one row per word kept
        assert [r[2] for r in mine] == [tags[w] for w in sorted(firsts)]  # label = gold tag
        stored = np.array([r[3] for r in mine])
        assert stored.shape == (len(firsts), 3)
        assert np.allclose(stored, logits[[firsts[w] for w in sorted(firsts)]], atol=1e-5)  # first sub-token's logits
        assert [r[4] for r in mine] == stored.argmax(axis=1).tolist()
        assert np.allclose([r[5] for r in mine], [_softmax(s).max() for s in stored])
        cut += len(firsts) < len(words)
    assert cut > 0  # some sentences were longer than max_length: their last words have no row
    steps = head_tasks.query(store, "SELECT step, dev_score FROM training_step WHERE run_key = ? ORDER BY step", [key])
    evaluated = [(s, d) for s, d in steps if d is not None]
    assert metric == "token_accuracy" and score == max(d for _, d in evaluated)
    assert selected == next(s for s, d in evaluated if d == score)
    assert score == pytest.approx(dev_hits / dev_words)  # the stored checkpoint is the selected one


def test_span_rows_are_n_best_scores_with_consistent_answers(tmp_path, monkeypatch):
    from transformers import AutoTokenizer

    from xstore.runners.heads import span

    store = _fill(tmp_path, monkeypatch, targets=["fx-span"])
    (path, metric, steps), = head_tasks.query(store, "SELECT checkpoint_path, dev_metric, steps FROM training_run")
    assert metric == "f1" and steps == 6
    assert _config(store, path)["architectures"] == ["XLMRobertaForQuestionAnswering"]
    rows = head_tasks.query(store, """SELECT p.example_id, p.unit, p.label, p.logits, p.pred_label, p.confidence, s.answer,
                               s.answer_start, s.gold, s.candidates, s.exact_match, s.f1, e.text_b
                        FROM prediction p JOIN span_answer s USING (cell_key, example_id)
                        JOIN example e ON e.id = p.example_id""")
    assert len(rows) == head_tasks.query(store, "SELECT count(*) FROM example WHERE split = 'test'")[0][0] == 20
    assert head_tasks.query(store, "SELECT count(*) FROM prediction")[0][0] == 20  # one row per question
    for _, unit, label, logits, pred, confidence, answer, start, gold, candidates, em, f1, context in rows:
        gold, candidates = json.loads(gold), json.loads(candidates)
        assert unit == 0 and pred == 0 and 1 <= len(logits) <= span.N_BEST
        assert logits == sorted(logits, reverse=True) and len(candidates) == len(logits)
        assert confidence == pytest.approx(_softmax(logits)[0])
        assert answer == candidates[0] and context[start:start + len(answer)] == answer
        golds = {span.normalize_answer(g) for g in gold}
        matches = [k for k, c in enumerate(candidates) if span.normalize_answer(c) in golds]
        assert label == (matches[0] if matches else -1)
        assert em == float(span.normalize_answer(answer) in golds)
        assert 0 <= f1 <= 1 and (em == 0 or f1 == 1)
    # contexts longer than max_length (40) were cut into several windows, each labelled on the answer
    # (a window without the whole answer points at <s>)
    tokenizer = AutoTokenizer.from_pretrained(store.artifacts / path)
    examples = head_tasks._read_span(None, "test", "en", None).rows
    features = span.encode(tokenizer, examples, 40)
    assert len(features) > len(examples)
    for f in features:
        example = examples[f["example"]]
        if f["start_position"] != f["cls"]:
            found = example["text_b"][f["offsets"][f["start_position"]][0]:f["offsets"][f["end_position"]][1]]
            assert example["fields"]["answers"][0]["text"] in found  # the tokens that cover the answer
            assert len(found.strip()) < len(example["fields"]["answers"][0]["text"]) + 3


def test_n_best_merges_windows_and_adds_the_null_answer():
    from xstore.runners.heads import span

    context = "Paris is the capital of France."
    #          <s>   Paris   is      the      capital   of        France    .         </s>
    offsets = [None, (0, 5), (5, 8), (8, 12), (12, 20), (20, 23), (23, 30), (30, 31), None]
    f = {"offsets": offsets, "cls": 0}
    start1 = np.array([1.0, 4.0, 0, 0, 2.0, 0, 3.0, 0, 0])
    end1 = np.array([1.0, 5.0, 0, 0, 0, 0, 2.5, 0, 0])
    start2 = np.array([0.5, 4.5, 0, 0, 0, 0, 0, 0, 0])  # a second window scores "Paris" higher
    end2 = np.array([0.5, 5.0, 0, 0, 0, 0, 0, 0, 0])
    best = span.n_best(context, [(f, (start1, end1)), (f, (start2, end2))], with_null=False)
    # "Paris" de-duplicated, keeping the better window's score; then start and end of other spans
    assert best[:3] == [("Paris", 9.5, 0), ("Paris is the capital of France", 6.5, 0), ("France", 5.5, 24)]
    assert ("capital of France", 4.5, 13) in best and len(best) == span.N_BEST
    assert all(context[start:start + len(text)] == text for text, _, start in best)
    assert [s for _, s, _ in best] == sorted((s for _, s, _ in best), reverse=True)
    assert not any(text == "" for text, _, _ in best)
    with_null = span.n_best(context, [(f, (start1, end1)), (f, (start2, end2))], with_null=True)
    assert ("", 1.0, -1) in with_null  # start[<s>] + end[<s>] of the lowest-scoring window
    assert span.n_best(context, [({"offsets": [None] * 9, "cls": 0}, (start1, end1))], with_null=False) == [("", 2.0, -1)]


def test_squad_exact_match_and_f1_by_hand():
    from xstore.runners.heads import span

    assert span.exact_match("The Eiffel Tower!", "eiffel  tower") == 1.0
    assert span.exact_match("Eiffel", "Eiffel Tower") == 0.0
    assert span.f1_score("in Paris, France", "Paris") == pytest.approx(0.5)  # P 1/3, R 1
    assert span.f1_score("the cat the cat sat", "cat sat sat") == pytest.approx(2 / 3)  # P 2/3, R 2/3
    assert span.f1_score("Berlin", "Paris") == 0.0
    assert span.f1_score("", "") == 1.0 and span.f1_score("", "Paris") == 0.0  # SQuAD v2's no-answer rule


def test_span_prediction_of_known_logits(tmp_path):
    """A stand-in model with hand-set start and end logits: the stored rows follow from them exactly."""
    import torch
    from transformers import AutoTokenizer

    from xstore.runners.heads import span
    from xstore.runners.models import build_tiny

    tokenizer = AutoTokenizer.from_pretrained(build_tiny(tmp_path / "tiny"))
    context = "Elena is older than Paul"
    examples = [{"text_a": "Who is older?", "text_b": context, "label": -1,
                 "fields": {"answers": [{"text": "Elena", "start": 0}, {"text": "Elena is", "start": 0}]}}]
    (feature,) = span.encode(tokenizer, examples, 64)
    where = {context[o[0]:o[1]].strip(): k for k, o in enumerate(feature["offsets"]) if o is not None}
    start, end = torch.zeros(len(feature["input_ids"])), torch.zeros(len(feature["input_ids"]))
    start[where["Paul"]], end[where["Paul"]] = 3.0, 3.0       # "Paul": 6
    start[where["Elena"]], end[where["Elena"]] = 2.0, 2.0     # "Elena": 4, "Elena ... Paul": 5
    assert (feature["start_position"], feature["end_position"]) == (where["Elena"], where["Elena"])

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def forward(self, input_ids, attention_mask):
            n = input_ids.shape[1]
            return types.SimpleNamespace(start_logits=start[None, :n], end_logits=end[None, :n])

    scored = span.predict(Fixed(), tokenizer, examples, [feature], batch_size=4)
    (answer,) = scored["span_answer"]
    logits = scored["logits"][0]
    assert answer["candidates"][:3] == ["Paul", "Elena is older than Paul", "Elena"]
    assert logits[:3].tolist() == [6.0, 5.0, 4.0]
    assert scored["label"][0] == 2  # "Elena" matches a gold answer, after two that do not
    assert answer["exact_match"] == 0.0 and answer["f1"] == 0.0 and answer["answer_start"] == context.index("Paul")


def test_retrieval_runs_copy_nothing_and_rank_the_gold_translation(tmp_path, monkeypatch):
    import torch
    from transformers import AutoModel, AutoTokenizer

    from xstore.runners.heads.retrieval import TEMPERATURE, layer_index
    from xstore.runners.models import weights_hash

    store = _fill(tmp_path, monkeypatch, intermediate=["none", "fx-tag"], targets=["fx-ret"], languages=["de", "fr"])
    runs = {r[0]: r for r in head_tasks.query(store, """SELECT intermediate, key, checkpoint_path, checkpoint_sha256, steps,
                                          train_examples, selected_step, parent_key FROM training_run WHERE task = 'fx-ret'""")}
    inter = head_tasks.query(store, "SELECT key, checkpoint_path, checkpoint_sha256 FROM training_run WHERE phase = 'intermediate'")[0]
    assert all(r[4] == 0 and r[5] == 0 and r[6] == 0 for r in runs.values())
    assert runs["fx-tag"][7] == inter[0] and runs["fx-tag"][2:4] == inter[1:3]  # the intermediate encoder, not a copy
    assert runs["none"][2] == f"runs/{runs['none'][1]}" and weights_hash(store.artifacts / runs["none"][2]) == runs["none"][3]
    assert _config(store, runs["none"][2])["architectures"] == ["XLMRobertaModel"]
    assert head_tasks.query(store, "SELECT count(*) FROM training_step WHERE run_key IN (?, ?)", [runs["none"][1], runs["fx-tag"][1]]) == [(0,)]

    for run in runs.values():
        checkpoint = store.artifacts / run[2]
        tokenizer, model = AutoTokenizer.from_pretrained(checkpoint), AutoModel.from_pretrained(checkpoint).eval()
        for language in ("de", "fr"):
            pairs = head_tasks.query(store, "SELECT id, text_a, text_b FROM example WHERE language = ? ORDER BY idx", [language])

            def embed(texts):
                enc = tokenizer(texts, padding=True, return_tensors="pt")
                with torch.no_grad():
                    states = model(**enc, output_hidden_states=True).hidden_states[layer_index(2)]
                mask = enc["attention_mask"].unsqueeze(-1).float()
                vectors = ((states * mask).sum(1) / mask.sum(1)).numpy().astype(np.float64)
                return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

            sims = embed([p[1] for p in pairs]) @ embed([p[2] for p in pairs]).T
            rows = dict((r[0], r[1:]) for r in head_tasks.query(store, """SELECT example_id, label, logits, pred_label, confidence, unit
                                                           FROM prediction WHERE run_key = ? AND language = ?""", [run[1], language]))
            assert len(rows) == len(pairs) == 15
            for i, (example_id, _, _) in enumerate(pairs):
                label, logits, pred, confidence, unit = rows[example_id]
                order = np.argsort(-sims[i], kind="stable")
                assert len(logits) == 15 and unit == 0 and pred == 0
                assert np.allclose(np.array(logits) * TEMPERATURE, sims[i][order], atol=1e-4)
                assert label == int(np.where(order == i)[0][0])  # the gold translation's rank
                assert confidence == pytest.approx(_softmax(logits)[0])


def test_retrieval_rank_keeps_the_top_100():
    from xstore.runners.heads.retrieval import TEMPERATURE, rank

    rng = np.random.default_rng(0)
    target = rng.normal(size=(150, 8))
    source = target + rng.normal(scale=np.r_[np.full(50, 0.01), np.full(100, 10.0)][:, None], size=(150, 8))
    scored = rank(source, target)
    assert scored["logits"].shape == (150, 100)
    cos = (source / np.linalg.norm(source, axis=1, keepdims=True)) @ (target / np.linalg.norm(target, axis=1, keepdims=True)).T
    gold_rank = (cos > np.diag(cos)[:, None]).sum(axis=1)
    assert scored["label"].tolist() == np.where(gold_rank < 100, gold_rank, -1).tolist()
    assert (scored["label"][:50] == 0).all() and (scored["label"] == -1).sum() > 0
    assert np.allclose(scored["logits"][:, 0] * TEMPERATURE, cos.max(axis=1), atol=1e-6)


def test_multitask_over_two_heads_trains_one_shared_encoder(tmp_path, monkeypatch):
    from xstore.runners import train
    from xstore.runners.heads import multiple_choice, tagging

    shared, calls = [], {"multiple_choice": 0, "tagging": 0}
    real_share = train._share_encoder

    def spy_share(models):
        shared.append(dict(models))
        return real_share(models)

    def counting(name, loss):
        def wrapped(*args):
            calls[name] += 1
            return loss(*args)
        return wrapped

    monkeypatch.setattr(train, "_share_encoder", spy_share)
    monkeypatch.setattr(multiple_choice, "loss", counting("multiple_choice", multiple_choice.loss))
    monkeypatch.setattr(tagging, "loss", counting("tagging", tagging.loss))
    store = _fill(tmp_path, monkeypatch, intermediate=[["fx-choice", "fx-tag"]], targets=["fx-tag"], languages=["en"],
                  intermediate_steps=8)
    inter_models = shared[0]
    assert set(inter_models) == {"fx-choice", "fx-tag"}
    assert inter_models["fx-choice"].base_model is inter_models["fx-tag"].base_model
    assert inter_models["fx-tag"].base_model.pooler is not None  # kept for the multiple-choice head
    assert calls["multiple_choice"] > 0 and calls["tagging"] > 8  # both heads trained it (then phase 3)
    inter, target = head_tasks.query(store, """SELECT key, checkpoint_path, dev_metric, dev_score, selected_step, parent_key
                                 FROM training_run ORDER BY phase""")
    assert inter[2] == "mean(fx-choice:accuracy, fx-tag:token_accuracy)"
    assert inter[3] == max(d for (d,) in head_tasks.query(store, "SELECT dev_score FROM training_step WHERE run_key = ? AND dev_score IS NOT NULL", [inter[0]]))
    assert _config(store, inter[1])["architectures"] == ["XLMRobertaModel"]  # the heads are discarded
    assert target[5] == inter[0]


def test_multiple_choice_pads_questions_with_fewer_choices(tmp_path):
    from transformers import AutoModelForMultipleChoice, AutoTokenizer

    from xstore.runners.heads import multiple_choice
    from xstore.runners.models import build_tiny

    path = build_tiny(tmp_path / "tiny")
    tokenizer = AutoTokenizer.from_pretrained(path)
    examples = head_tasks._read_choice(None, "dev", "en", None).rows[:3]
    assert [len(e["fields"]["choices"]) for e in examples] == [2, 3, 3]
    features = multiple_choice.encode(tokenizer, examples, 64)
    inputs, targets = multiple_choice.collate(tokenizer, features)
    assert inputs["input_ids"].shape[:2] == (3, 3)
    assert targets["choice_mask"].tolist() == [[True, True, False], [True, True, True], [True, True, True]]
    model = AutoModelForMultipleChoice.from_pretrained(path)
    assert np.isfinite(multiple_choice.loss(model, inputs, targets, 0.0).item())
    scored = multiple_choice.predict(model, tokenizer, examples, features, batch_size=2)
    assert [len(row) for row in scored["logits"]] == [2, 3, 3] and scored["label"].tolist() == [0, 1, 2]
    with pytest.raises(UserError, match="no choices"):
        multiple_choice.encode(tokenizer, [{**examples[0], "fields": None}], 64)


def test_ragged_rows_with_nan_fail_the_cell():
    import pyarrow as pa

    from xstore.planner import CellSpec
    from xstore.runners.predict import scored_table

    cell = CellSpec("k", "predict_clean", {"task": "t", "split": "test", "language": "de", "attack": "none"}, {"run": "r"})
    inputs = pa.table({"example_id": ["a", "b"], "perturbation_id": pa.array([None, None], pa.string()), "label": [-1, -1]})
    scored = {"example": np.arange(2), "unit": np.zeros(2), "label": np.array([0, -1]),
              "logits": [np.array([3.0, 1.0, 0.5], np.float32), np.array([2.0], np.float32)]}
    table = scored_table(cell, inputs, scored)
    assert table.column("logits").to_pylist() == [[3.0, 1.0, 0.5], [2.0]]
    assert table.column("confidence").to_pylist() == pytest.approx([_softmax([3.0, 1.0, 0.5])[0], 1.0])
    scored["logits"][1] = np.array([np.nan, 1.0], np.float32)
    with pytest.raises(UserError, match="1 of 2 inputs gave NaN or infinite logits"):
        scored_table(cell, inputs, scored)


def test_hub_models_record_their_revision():
    from xstore.runners.models import record_revision
    from xstore.schema import PretrainedModel

    hub = PretrainedModel(name="xlm-roberta-large", source="hub", path="xlm-roberta-large", weights_sha256="", config={})
    assert record_revision(hub, types.SimpleNamespace(_commit_hash="abc123")).revision == "abc123"
    local = PretrainedModel(name="m", source="local", path="m", weights_sha256="x", config={})
    assert record_revision(local, types.SimpleNamespace(_commit_hash="abc123")).revision == ""


def test_every_catalogue_task_names_a_head_kind_with_a_module():
    from xstore.runners.heads import HEADS, head_module
    from xstore.tasks import TASKS

    assert {task.head for task in TASKS.values()} == set(HEADS)
    for head in HEADS:
        module = head_module(head)
        assert all(callable(getattr(module, name)) for name in ("model_class", "encode", "collate", "predict", "dev_score"))
    with pytest.raises(UserError, match="no runner for head kind 'ranking'"):
        head_module("ranking")
