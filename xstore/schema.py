"""The tables of an xstore database, as SQLModel classes: the schema of record.

Migrations in `migrations/` create and change the tables; a test checks that the migrated database matches
these classes in full. Each class also says whose rows it holds (`__table_args__`), and the lists at the end
are derived from that. Keys are content hashes (see `xstore.keys`), never serials. Times are local and
naive (`TIMESTAMP`): SQLModel's default for `datetime` would say `TIMESTAMP WITH TIME ZONE`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column, DateTime, Double, Float, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel


def _cell_rows(column: str) -> dict:
    """`__table_args__` of a table whose rows a cell writes, in the transaction of its `cell` row;
    `column` holds that cell's key. Deleting the cell deletes them."""
    return {"info": {"rows": "cell", "cell_column": column}}


# `__table_args__` of a table of rows many cells may write (a task, a base model): the first writer's row stays.
_REFERENCE_ROWS = {"info": {"rows": "reference"}}


# `__table_args__` of a table of people's records about stored rows (judgements, `xstore annotate import`): no
# cell writes them, so deleting a cell leaves them.
_PEOPLE_ROWS = {"info": {"rows": "people"}}


def _about_cells(column: str) -> dict:
    """`__table_args__` of the fill's own records of cells (`cell`, `failure`): deleted with the cell."""
    return {"info": {"rows": "fill", "cell_column": column}}


class SchemaVersion(SQLModel, table=True):
    """One row per applied migration."""

    __tablename__ = "schema_version"
    # numbered by the migrations, not by the database (DuckDB has no SERIAL type: docs/dependencies.md)
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str
    applied_at: datetime = Field(sa_type=DateTime)


class Cell(SQLModel, table=True):
    """One row per computed cell: written in the same transaction as the cell's own rows."""

    __tablename__ = "cell"
    __table_args__ = _about_cells("key")
    key: str = Field(primary_key=True)
    kind: str  # load, train_intermediate, train_target, predict_clean, perturb, predict_perturbed, fit_calibration
    params: dict = Field(sa_column=Column(JSON, nullable=False))
    parents: list = Field(sa_column=Column(JSON, nullable=False))
    host: str
    pid: int
    started_at: datetime = Field(sa_type=DateTime)
    finished_at: datetime = Field(sa_type=DateTime)
    wall_seconds: float = Field(sa_type=Double)  # the runner's whole time: load + read + compute
    # Where the time went (migration 0007; NULL on cells stored before it): reading models and saved training
    # states from disk, reading inputs from the database, the rest of the runner's time, and writing the rows
    # (a worker's shard plus the transaction's inserts up to its commit; the commit itself is not timed).
    load_seconds: Optional[float] = Field(default=None, sa_type=Double)
    read_seconds: Optional[float] = Field(default=None, sa_type=Double)
    compute_seconds: Optional[float] = Field(default=None, sa_type=Double)
    write_seconds: Optional[float] = Field(default=None, sa_type=Double)
    # earlier, interrupted attempts this one went on from (a training's saved state), not in wall_seconds
    resumed_seconds: Optional[float] = Field(default=None, sa_type=Double)
    models_loaded: Optional[int] = None  # models read from disk, not found in the process's model cache


class Failure(SQLModel, table=True):
    """One row per failed attempt at a cell; kept after a later success, as history."""

    __tablename__ = "failure"
    __table_args__ = _about_cells("cell_key")
    cell_key: str = Field(primary_key=True)
    attempt: int = Field(primary_key=True)
    kind: str
    params: dict = Field(sa_column=Column(JSON, nullable=False))
    error: str
    traceback: str
    host: str
    pid: int
    failed_at: datetime = Field(sa_type=DateTime)


class PretrainedModel(SQLModel, table=True):
    """A phase-1 encoder as resolved for a fill: hub id, local directory or built-in tiny model."""

    __tablename__ = "pretrained_model"
    __table_args__ = _REFERENCE_ROWS
    name: str = Field(primary_key=True)  # as written in the spec
    source: str  # "hub", "local" or "builtin"
    path: str  # where the weights were read from
    weights_sha256: str
    config: dict = Field(sa_column=Column(JSON, nullable=False))
    # hub commit of a hub model ("" for local and built-in models); migration 0003 added it with a default
    revision: str = Field(default="", sa_column_kwargs={"server_default": text("''")})


class Task(SQLModel, table=True):
    """A catalogue task at one version."""

    __tablename__ = "task"
    __table_args__ = _REFERENCE_ROWS
    name: str = Field(primary_key=True)
    version: int = Field(primary_key=True)
    role: str  # intermediate, target or both
    head: str  # classification, multiple_choice, tagging, span or retrieval
    labels: list = Field(sa_column=Column(JSON, nullable=False))
    text_fields: list = Field(sa_column=Column(JSON, nullable=False))
    languages: list = Field(sa_column=Column(JSON, nullable=False))


class Example(SQLModel, table=True):
    """One input of a task: written by a `load` cell, read by training, prediction and attacks."""

    __tablename__ = "example"
    __table_args__ = _cell_rows("cell_key")
    id: str = Field(primary_key=True)
    cell_key: str = Field(index=True)
    task: str
    task_version: int
    split: str
    language: str
    idx: int  # position in the source file or dataset
    text_a: str
    text_b: Optional[str] = None
    label: int  # index into task.labels; -1 where the answer lives in `fields` (tagging, span, retrieval)
    # The head-specific structure (see xstore.tasks): {"choices": [...]}, {"tokens": [...], "tags": [...]}
    # or {"answers": [{"text", "start"}]}; NULL for sentence classification.
    fields: Optional[dict] = Field(default=None, sa_column=Column(JSON, nullable=True))


class DataSource(SQLModel, table=True):
    """Where one `load` cell read its rows: every stored example traces back to exact inputs."""

    __tablename__ = "data_source"
    __table_args__ = _cell_rows("cell_key")
    cell_key: str = Field(primary_key=True)
    task: str
    task_version: int
    split: str
    language: str
    origin: str  # hub, local or packaged
    location: str  # hub dataset id and config, or the file(s) read
    revision: str  # hub commit of the dataset, "" when not from the hub
    fingerprint: str  # sha256 of the files read, or the datasets fingerprint
    n_rows: int


class TrainingRun(SQLModel, table=True):
    """A fine-tuning run: phase 2 (intermediate) or phase 3 (target)."""

    __tablename__ = "training_run"
    __table_args__ = _cell_rows("key")
    key: str = Field(primary_key=True)  # the train cell's key
    phase: str  # intermediate or target
    base_model: str
    intermediate: str  # "none", one task, or tasks joined by "+" (multitask)
    task: str  # the task this run trained on (for phase 2 the intermediate setting)
    seed: int
    parent_key: Optional[str] = None  # the phase-2 run this phase-3 run started from
    hparams: dict = Field(sa_column=Column(JSON, nullable=False))
    code_version: int
    task_versions: dict = Field(sa_column=Column(JSON, nullable=False))
    status: str
    checkpoint_path: str  # relative to the artifact folder beside the database (`<db>.xstore/`)
    checkpoint_sha256: str
    wall_seconds: float = Field(sa_type=Double)  # every attempt's, when a killed training was resumed or restarted
    steps: int
    train_examples: int
    dev_accuracy: Optional[float] = Field(default=None, sa_type=Double)
    # Model selection on English dev: the metric (accuracy, token_accuracy, f1...), the selected
    # checkpoint's score, and the optimizer step it was taken at.
    dev_metric: Optional[str] = None
    dev_score: Optional[float] = Field(default=None, sa_type=Double)
    selected_step: Optional[int] = None


class TrainingStep(SQLModel, table=True):
    """Training curves: one row per logged step of a run."""

    __tablename__ = "training_step"
    __table_args__ = _cell_rows("run_key")  # written by the training cell, whose key is the run's
    run_key: str = Field(primary_key=True)
    step: int = Field(primary_key=True)
    loss: float = Field(sa_type=Double)
    learning_rate: float = Field(sa_type=Double)
    dev_accuracy: Optional[float] = Field(default=None, sa_type=Double)
    dev_score: Optional[float] = Field(default=None, sa_type=Double)  # the run's dev_metric at this step


class Perturbation(SQLModel, table=True):
    """One attack attempt on one example."""

    __tablename__ = "perturbation"
    __table_args__ = _cell_rows("cell_key")
    id: str = Field(primary_key=True)
    cell_key: str = Field(index=True)
    example_id: str
    attack: str
    attack_version: int
    params: dict = Field(sa_column=Column(JSON, nullable=False))
    victim_run_key: Optional[str] = None  # None for model-independent attacks
    language: str
    text_a: str
    text_b: Optional[str] = None
    outcome: str  # perturbed, succeeded, failed, skipped
    queries: int
    words_changed: int
    chars_changed: int
    seed: int
    # Validity (runners/attacks/negation.py, meaning.py): the encoder similarity of perturbed to original text
    # (NULL when the text is unchanged or the cell sets no threshold); the negation markers of the original
    # and of the perturbed text (JSON lists, equal unless an attack broke its constraint); candidates each
    # constraint rejected, by name (JSON object). NULL in rows written before migration 6.
    similarity: Optional[float] = Field(default=None, sa_type=Double)
    negations: Optional[list] = Field(default=None, sa_column=Column(JSON, nullable=True))
    negations_after: Optional[list] = Field(default=None, sa_column=Column(JSON, nullable=True))
    rejected: Optional[dict] = Field(default=None, sa_column=Column(JSON, nullable=True))


class Annotation(SQLModel, table=True):
    """A person's judgement of one perturbation: does the gold label still hold? (`xstore annotate import`)

    Not written by a cell, so never removed with one: a recomputed perturb cell gives its rows the same ids,
    and their judgements apply again.
    """

    __tablename__ = "annotation"
    __table_args__ = _PEOPLE_ROWS
    perturbation_id: str = Field(primary_key=True)
    annotator: str = Field(primary_key=True)
    label_holds: str  # yes, no or unsure
    note: str = ""
    source_file: str  # the imported file's name and sha256
    imported_at: datetime = Field(sa_type=DateTime)


class Prediction(SQLModel, table=True):
    """One model output: the full logit vector for one input (an example or a perturbation).

    Written in bulk through Arrow, never one object at a time. `language`, `attack` and `label`
    repeat the input's values so that metric queries need no join on the hot path.

    The table has no primary key: an index over tens of millions of rows slows every bulk insert
    (docs/dependencies.md), and a cell's rows are written once, with its `cell` row. The mapper's key
    (which SQLAlchemy needs to map a class) is what identifies a row; the database does not check it.
    """

    __tablename__ = "prediction"
    __table_args__ = _cell_rows("cell_key")
    __mapper_args__ = {"primary_key": ["cell_key", "example_id", "unit"]}
    cell_key: str
    example_id: str
    perturbation_id: Optional[str] = None
    run_key: str
    task: str
    split: str
    language: str
    attack: str  # "none" for clean inputs
    label: int
    logits: list = Field(sa_column=Column(ARRAY(Float), nullable=False))
    pred_label: int
    confidence: float = Field(sa_type=Double)  # max softmax probability at temperature 1
    # the scored unit: word index for token tagging, 0 for other heads; migration 0003 added it with a default
    unit: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    # Whether the scored input differs from the clean example: False for clean inputs, and for perturbed
    # ones the attack left as they were (inputs a transfer reference already got wrong, noise that drew no
    # edit); None where it is not known (rows written without it).
    input_changed: Optional[bool] = None


class SpanAnswer(SQLModel, table=True):
    """A span-extraction answer: the text predicted for one question and its scores against the gold."""

    __tablename__ = "span_answer"
    __table_args__ = _cell_rows("cell_key")
    cell_key: str = Field(primary_key=True)
    example_id: str = Field(primary_key=True)
    run_key: str
    language: str
    answer: str
    answer_start: int  # character offset in the context
    gold: list = Field(sa_column=Column(JSON, nullable=False))  # the gold answer texts
    candidates: list = Field(sa_column=Column(JSON, nullable=False))  # n-best texts, in prediction.logits order
    exact_match: float = Field(sa_type=Double)  # SQuAD v1.1 exact match, 0 or 1
    f1: float = Field(sa_type=Double)  # SQuAD v1.1 token F1, max over gold answers
    # Whose answer normalisation scored exact_match and f1: "squad-v1.1" (SQuAD, XQuAD, TyDi QA GoldP, as
    # XTREME scores them) or "mlqa-v1" (MLQA's official script: per-language articles and segmentation).
    normalization: str


class TagSentence(SQLModel, table=True):
    """One tagged sentence: the counts its task score sums (token accuracy; IOB2 entity micro F1)."""

    __tablename__ = "tag_sentence"
    __table_args__ = _cell_rows("cell_key")
    cell_key: str = Field(primary_key=True)
    example_id: str = Field(primary_key=True)
    run_key: str
    task: str
    split: str
    language: str
    attack: str  # "none": tagging inputs are never perturbed
    words: int  # gold words of the sentence
    scored_words: int  # words the model saw (the rest were cut off by max_length; they count as wrong)
    correct_words: int  # words whose predicted tag is the gold one
    # IOB2 entities as seqeval's get_entities finds them (Ramshaw & Marcus 1995 chunks; unscored words read "O");
    # NULL for a tag set that is not IOB2 (UD POS).
    gold_entities: Optional[int] = None
    predicted_entities: Optional[int] = None
    correct_entities: Optional[int] = None  # predicted entities with the gold one's type, start and end


class CellScore(SQLModel, table=True):
    """A prediction cell's task-score sums (migration 0008), so that a score is a sum over cells, not inputs.

    Written with the cell's rows, in its transaction, from the view cell_score_derived (xstore.labels.score_cell):
    `family` "accuracy" (classification, multiple choice, Tatoeba), "tagging" or "span"; BUCC has none (its
    threshold is tuned over its inputs)."""

    __tablename__ = "cell_score"
    __table_args__ = _cell_rows("cell_key")
    __mapper_args__ = {"primary_key": ["cell_key", "family"]}
    cell_key: str
    run_key: str
    split: str
    language: str
    attack: str
    family: str
    normalization: Optional[str] = None  # span: whose answer normalisation scored f1 and exact match
    n: int  # inputs, sentences or questions
    correct: Optional[int] = None  # accuracy: inputs right; tagging: correct IOB2 entities
    words: Optional[int] = None
    correct_words: Optional[int] = None
    iob2: Optional[int] = None  # sentences whose tag set is IOB2 (entity F1 applies)
    gold: Optional[int] = None  # gold IOB2 entities
    predicted: Optional[int] = None  # predicted IOB2 entities
    f1_sum: Optional[float] = Field(default=None, sa_type=Double)
    exact_match_sum: Optional[float] = Field(default=None, sa_type=Double)


class CalibrationFit(SQLModel, table=True):
    """A post-hoc calibration fitted for one run; applied to its logits in SQL."""

    __tablename__ = "calibration_fit"
    __table_args__ = _cell_rows("key")
    key: str = Field(primary_key=True)
    run_key: str
    method: str  # temperature
    temperature: float = Field(sa_type=Double)
    params: dict = Field(sa_column=Column(JSON, nullable=False))
    fit_task: str
    fit_split: str
    fit_language: str
    n_examples: int
    nll_before: float = Field(sa_type=Double)
    nll_after: float = Field(sa_type=Double)
    # The fitted T lies at or next to the limit of its search range (runners/calibrate.py): the data
    # pushed it as far as the search allows (e.g. a dev set the model gets all right), so T is not a minimum.
    at_bound: bool


# `__table_args__` of a label table: rows derived from the runs and cells (its view `<name>_derived`), rewritten
# whole by every write that can change them (xstore.labels); no cell owns them, deleting cells refreshes them.
_LABEL_ROWS = {"info": {"rows": "label"}}


class TargetRun(SQLModel, table=True):
    """Each target run and its variant: the settings of its key (hyperparameters, code and task versions, and
    its intermediate run's) that differ between the runs of its base model and target; "default" when none does."""

    __tablename__ = "target_run"
    __table_args__ = _LABEL_ROWS
    __mapper_args__ = {"primary_key": ["run_key"]}  # no index: a refresh deletes and re-inserts every row
    run_key: str
    base_model: str
    intermediate: str
    target: str
    variant: str
    seed: int
    parent_key: Optional[str] = None


class BaselineRun(SQLModel, table=True):
    """Each target run and its baseline: intermediate "none", same base model, target, seed and target-phase
    settings (Phang et al. 2020's comparison); a run with no intermediate task is its own baseline."""

    __tablename__ = "baseline_run"
    __table_args__ = _LABEL_ROWS
    __mapper_args__ = {"primary_key": ["run_key"]}
    run_key: str
    baseline_key: str


class AttackSetting(SQLModel, table=True):
    """Each perturbed prediction cell and its attack setting: the attack, with the parameters of its perturb
    cell's key that differ between that attack's settings for the target (budget, rate, seed, version, protocol
    and reference run); the bare name when the attack has one setting."""

    __tablename__ = "attack_setting"
    __table_args__ = _LABEL_ROWS
    __mapper_args__ = {"primary_key": ["cell_key"]}
    cell_key: str
    run_key: str
    attack: Optional[str] = None  # as the queries' attack column shows it
    attack_name: Optional[str] = None
    target: Optional[str] = None
    perturb_key: Optional[str] = None
    described: Optional[str] = None  # every parameter, whether it differs or not


def _tables(rows: str) -> dict[str, str]:
    """Table name -> the column naming the cell, of every table whose `info` says it holds `rows`."""
    return {t.name: t.info.get("cell_column", "") for t in SQLModel.metadata.sorted_tables if t.info.get("rows") == rows}


#: Every table a database of this schema holds, by name (SQLAlchemy `Table`s: their columns say what it must have).
TABLES: dict = {t.name: t for t in SQLModel.metadata.sorted_tables}
#: The views of migrations 0004, 0005 and 0008, computed when read (no SQLModel class): the calibration queries
#: read calibrated_prediction, the task-score queries task_score and task_score_vs_baseline; `<label>_derived`
#: defines each label table (xstore.labels).
VIEWS: tuple[str, ...] = ("target_run_derived", "attack_setting_derived", "run_calibration", "baseline_run_derived",
                          "calibrated_prediction", "cell_score_derived", "task_score", "task_score_vs_baseline")
#: Tables whose rows a cell writes, with the column that names the cell.
CELL_TABLES: dict[str, str] = _tables("cell")
#: Tables of rows that many cells may write; inserting one that is there already keeps the first.
REFERENCE_TABLES: tuple[str, ...] = tuple(_tables("reference"))
#: Every table with rows that belong to one cell, with the column naming it: what deleting a cell removes.
CELL_COLUMNS: dict[str, str] = {**CELL_TABLES, **_tables("fill")}
#: Tables of people's records about stored rows (judgements): no cell writes them; deleting a cell keeps them.
PEOPLE_TABLES: tuple[str, ...] = tuple(_tables("people"))
#: The label tables (xstore.labels): a derived view's rows, rewritten by every write that can change them.
LABEL_TABLES: tuple[str, ...] = tuple(_tables("label"))
#: Tables of results, whose rows `xstore status` counts: all but the fill's records of cells and schema_version.
DATA_TABLES: tuple[str, ...] = (*CELL_TABLES, *REFERENCE_TABLES, *PEOPLE_TABLES)
