"""Phase-1 encoders: resolve a spec's base model to a directory, and build the offline tiny model.

`builtin:tiny-xlmr` is an XLM-R architecture with hidden size 32 and 2 layers and a BPE tokenizer
trained on the demo's own text: small enough to fine-tune on a laptop CPU in seconds, real enough
that every code path (tokenizer, encoder, head swap, checkpoints) is the one a hub model takes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from importlib import resources
from pathlib import Path

from xstore.errors import UserError
from xstore.schema import PretrainedModel

# Bump when the recipe below changes: the directory name, and so every run built on it, changes too.
TINY_VERSION = 1
TINY_CONFIG = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    # XLM-R numbers positions from padding_idx + 1, so 512 usable positions need 514 embeddings.
    "max_position_embeddings": 514,
    "type_vocab_size": 1,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
}
TINY_VOCAB = 4000
_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R's order: pad is id 1


def resolve(name: str, spec, artifacts: Path) -> tuple[str, PretrainedModel]:
    """The directory or hub id to load `name` from, and its `pretrained_model` row."""
    if name == "builtin:tiny-xlmr":
        path = build_tiny(artifacts / "pretrained" / f"tiny-xlmr-v{TINY_VERSION}")
        return str(path), _row(name, "builtin", path)
    base = spec.path.parent if spec.path else Path.cwd()
    local = (base / name).expanduser()
    if name.startswith((".", "/", "~")) or local.exists():
        if not (local / "config.json").is_file():
            raise UserError(f"model directory {local} has no config.json")
        if not any(local.glob("*.safetensors")) and not any(local.glob("*.bin")):
            raise UserError(f"model directory {local} has no weights (*.safetensors or *.bin)")
        return str(local), _row(name, "local", local)
    return name, _row(name, "hub", None)


def record_revision(row: PretrainedModel, config) -> PretrainedModel:
    """Record the hub commit a hub model was loaded at: transformers sets `config._commit_hash` on load."""
    if row.source == "hub":
        row.revision = getattr(config, "_commit_hash", None) or ""
    return row


def _row(name: str, source: str, path: Path | None) -> PretrainedModel:
    if path is None:
        return PretrainedModel(name=name, source=source, path=name, weights_sha256="", config={})
    config = json.loads((path / "config.json").read_text())
    return PretrainedModel(name=name, source=source, path=str(path), weights_sha256=weights_hash(path), config=config)


def weights_hash(directory: Path) -> str:
    """sha256 over the weight files of a model directory, in name order."""
    digest = hashlib.sha256()
    files = sorted(Path(directory).glob("*.safetensors")) or sorted(Path(directory).glob("*.bin"))
    for path in files:
        digest.update(path.name.encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_error(name: str, err: Exception) -> UserError:
    """A hub or directory load failure as one actionable message."""
    offline = " (HF_HUB_OFFLINE is set)" if os.environ.get("HF_HUB_OFFLINE") else ""
    return UserError(
        f"cannot load model {name!r}{offline}: {str(err).splitlines()[0]} — download it first "
        f"(`hf download {name} --local-dir models/{name.split('/')[-1]}`) and list that directory in grid.base_models"
    )


def _demo_corpus() -> list[str]:
    texts = []
    for filename in ("demo_nli.jsonl", "demo_sentiment.jsonl"):
        for line in resources.files("xstore.demo").joinpath(filename).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.extend(record[k] for k in ("premise", "hypothesis", "text") if k in record)
    return texts


def build_tiny(target: Path) -> Path:
    """Build the tiny model once (seeded, so every build is identical) and return its directory."""
    if (target / "model.safetensors").is_file():
        return target
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaForMaskedLM

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(_demo_corpus(), trainers.BpeTrainer(vocab_size=TINY_VOCAB, special_tokens=_SPECIALS, show_progress=False))
    # RoBERTa's templates: <s> A </s> and <s> A </s></s> B </s>.
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>", model_max_length=512,
    )
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), **TINY_CONFIG)
    model = XLMRobertaForMaskedLM(config)
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    # Several workers of one fill may build it at once: each builds in its own temporary folder and moves
    # it into place atomically; a later one finds the target taken and drops its copy (builds are seeded,
    # so identical), never removing a complete model another worker may be loading.
    try:
        os.replace(tmp, target)
    except OSError:
        if (target / "model.safetensors").is_file():
            shutil.rmtree(tmp, ignore_errors=True)
        else:  # an incomplete folder left by an older, killed build
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
    return target


def wordpiece_tokenizer(texts: list[str], vocab_size: int, lowercase: bool):
    """A BERT-style WordPiece tokenizer trained on `texts`, for BERT-family models built offline (tests,
    benchmarks): pairs are `[CLS] A [SEP] B [SEP]` with segment ids 0 for A and 1 for B, as BERT's own
    tokenizer makes them (Devlin et al. 2019, section 3)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], show_progress=False))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece()
    return BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                             sep_token="[SEP]", mask_token="[MASK]", model_max_length=512)
