"""Task heads: one module per head kind, each with the same few module-level functions.

`train.py` and `predict.py` look a task's head up here (`HEADS[task.head]`) and call, on its module:

- `TRAINED`: False for a head whose runs are not fine-tuned (retrieval uses the encoder as it is).
- `METRIC`: the name of the English dev score used for model selection.
- `PER_INPUT` (optional, default False): True where `encode` makes one feature per example and an example's
  scores depend on it alone, so a run's prediction cells may be scored in one length-sorted pass. Span
  extraction (its null answer depends on the whole set) and retrieval (nearest neighbours) are not.
- `model_class()`: the transformers Auto class to load (a fresh head on the encoder in phases 2 and 3).
- `model_kwargs(task)`: extra `from_pretrained` arguments (the label count, where there is one).
- `encode(tokenizer, examples, max_length)`: tokenized features, unpadded; an example is a dict with
  text_a, text_b, label and fields (the row shape of `xstore.tasks`).
- `collate(tokenizer, features)`: one padded batch as (model inputs, training targets), both dicts of tensors.
- `loss(model, inputs, targets, label_smoothing)`: the training loss of one batch.
- `predict(model, tokenizer, examples, features, batch_size)`: the scored rows, a dict of
  `example` (index into `examples`), `unit`, `label` and `logits` (a 2-D array, or one 1-D array per row),
  plus `span_answer` (one dict per example) for span extraction.
- `dev_score(scored)`: the `METRIC` of `predict`'s output.

What the XTREME task scores sum is computed beside two heads and called by `predict.py` for them:
`tagging.sentence_scores` (per sentence: words right, IOB2 entity counts) and `span.official_scores` (each QA
dataset's own exact match and F1).

Each module's docstring says how its confidence is defined, and where that definition comes from.
"""

from __future__ import annotations

from types import ModuleType

from xstore.errors import UserError
from xstore.runners.heads import classification, multiple_choice, retrieval, span, tagging

# Head kind -> its module: the one place a head kind is declared. A catalogue task names one (TaskEntry.head).
HEADS: dict[str, ModuleType] = {
    "classification": classification,
    "multiple_choice": multiple_choice,
    "tagging": tagging,
    "span": span,
    "retrieval": retrieval,
}


def head_module(head: str) -> ModuleType:
    """The module of head kind `head`."""
    if head not in HEADS:
        raise UserError(f"no runner for head kind {head!r}; known: {', '.join(HEADS)}")
    return HEADS[head]
