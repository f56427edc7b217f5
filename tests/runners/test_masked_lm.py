"""The MLM head masks as BERT does, and the alternate mixing rule puts every second batch on MLM."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def test_bert_masking_at_the_cells_rate(tmp_path):
    from transformers import AutoTokenizer

    from xstore.runners.heads.masked_lm import MaskedLMHead
    from xstore.runners.models import build_tiny

    tokenizer = AutoTokenizer.from_pretrained(build_tiny(tmp_path / "tiny"))
    lines = [{"text_a": f"the {i} quick brown foxes jump over {i % 7} lazy dogs near the river bank today"}
             for i in range(400)]
    head = MaskedLMHead(0.15)
    features = head.encode(tokenizer, lines, 64)
    torch.manual_seed(0)
    inputs, targets = head.collate(tokenizer, features)
    original = torch.nn.utils.rnn.pad_sequence([torch.tensor(f["input_ids"]) for f in features], batch_first=True,
                                               padding_value=tokenizer.pad_token_id)
    special = original.eq(tokenizer.pad_token_id) | original.eq(tokenizer.cls_token_id) | original.eq(tokenizer.sep_token_id)
    chosen = targets["labels"].ne(-100)
    assert not (chosen & special).any()  # <s>, </s> and padding are never chosen
    assert torch.equal(targets["labels"][chosen], original[chosen])  # the targets are the original tokens
    share = chosen.sum().item() / (~special).sum().item()
    masked = inputs["input_ids"][chosen].eq(tokenizer.mask_token_id).float().mean().item()
    kept = inputs["input_ids"][chosen].eq(original[chosen]).float().mean().item()
    # thousands of tokens: the binomial standard errors are under 0.01 for the share and 0.02 for the splits
    assert abs(share - 0.15) < 0.02 and abs(masked - 0.8) < 0.05 and 0.05 < kept < 0.2
    assert torch.equal(inputs["input_ids"][~chosen], original[~chosen])  # nothing else changes


def test_a_batch_without_a_chosen_token_has_zero_loss_not_nan(tmp_path):
    from transformers import AutoModelForMaskedLM

    from xstore.runners.heads.masked_lm import MaskedLMHead
    from xstore.runners.models import build_tiny

    model = AutoModelForMaskedLM.from_pretrained(build_tiny(tmp_path / "tiny"))
    inputs = {"input_ids": torch.tensor([[0, 100, 2]]), "attention_mask": torch.ones(1, 3, dtype=torch.long)}
    loss = MaskedLMHead.loss(model, inputs, {"labels": torch.full((1, 3), -100)}, 0.0)
    assert loss.item() == 0.0 and loss.requires_grad


def test_alternate_mixing_and_the_plain_draws():
    from xstore.runners.phase2 import epoch_batches, picker

    rng = np.random.default_rng(0)
    alternate = {"mixing": "alternate"}
    pick = picker(["mnli", "mlm"], np.array([0.1, 0.9]), rng, alternate, accumulation=4)
    assert [pick(step, micro) for step in (1, 2) for micro in range(4)] == ["mnli", "mlm"] * 4
    assert epoch_batches({"mnli": range(3), "mlm": range(50)}, alternate) == 6
    assert epoch_batches({"mnli": range(3), "mlm": range(50)}, {"mixing": "proportional"}) == 53
    # without MLM (or with proportional mixing) the draws are the multitask draws train.py always made
    mix = np.array([0.25, 0.75])
    plain = picker(["mnli", "qqp"], mix, np.random.default_rng(7), None, 1)
    expected = np.random.default_rng(7)
    assert [plain(s, 0) for s in range(1, 50)] == [["mnli", "qqp"][int(expected.choice(2, p=mix))] for _ in range(49)]


def test_a_task_with_mlm_trains_with_the_tasks_own_settings():
    from xstore.runners.phase2 import defaults_task
    from xstore.spec import TrainSettings
    from xstore.tasks import get_task

    squad, mnli = get_task("squad"), get_task("mnli")
    assert defaults_task({"squad": squad, "mlm": object()}) is squad and defaults_task({"squad": squad}) is squad
    assert defaults_task({"squad": squad, "mnli": mnli}) is None  # several tasks: the phase fallbacks
    # SQuAD's own accumulation (4, jiant's QA setting) holds for "squad+mlm" as for "squad"
    assert TrainSettings().for_task(defaults_task({"squad": squad, "mlm": object()})).grad_accum_steps == 4
