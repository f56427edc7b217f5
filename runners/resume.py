"""Resumable training: the states a training cell leaves on disk, so a killed fill goes on where it stopped.

Every `checkpoint_every` optimizer steps the whole training state is written to
`runs/<key>.resume/state-<step>/`: every head model's weights with the shared encoder once
(model.safetensors), AdamW and LR-scheduler state (optimizer.pt), torch's CPU and CUDA RNG states
(rng.pt), and in trainer.json the step, the running loss, the training_step rows so far, the model
selection state, Python's `random` state, the numpy Generator that draws batches and tasks, and every
task's queue of batches left in the current pass. The folder is written as `state-<step>.partial-<pid>`,
its manifest.json (file sizes) last, each file fsynced, then renamed: a state is complete or absent.
Model-selection checkpoints live beside it, `best-<step>/`, so the best model survives a kill too; a
state names the one it selected, and older states and checkpoints no state needs are deleted. A training
that finds a complete state of its cell key restores it and goes on from the next step, and ends with
the model, rows and logits of an uninterrupted run (on CPU bit for bit; CUDA kernels may differ); any
other leftovers are removed and it starts at step 0. The folder is deleted when the training ends.

Time: after every optimizer step `spent.json` records the seconds of this attempt so far plus those of the
attempts before it, states or no states, so a training killed and resumed (or started again) reports the
time of all its attempts (`training_run.wall_seconds`; the cell's `resumed_seconds` is the earlier part).
What an attempt ran after its last step is lost with it: at most one optimizer step.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

_MANIFEST = "manifest.json"
_SPENT = "spent.json"


@dataclass
class Progress:
    """What the training loop carries from one optimizer step to the next, and what a state saves of it."""

    step: int = 0  # the last optimizer step taken
    running: float = 0.0  # the loss summed since the last logged row
    logged: int = 0  # the step of the last logged row
    best: Optional[tuple[float, int]] = None  # (dev score, step) of the model-selection checkpoint kept
    rows: list[dict] = field(default_factory=list)  # training_step rows so far


class Resume:
    """`runs/<key>.resume/` of one training cell: its states and its model-selection checkpoints.

    Args:
        folder: the resume folder.
        every: write a state every this many optimizer steps (0: never).
        total: the training's optimizer steps; a state of another length is not this training's.
        started: `time.perf_counter()` when this attempt began (the training cell's start; default: now).
    """

    def __init__(self, folder: Path, every: int, total: int, started: Optional[float] = None):
        self.folder, self.every, self.total = folder, every, total
        self.started = time.perf_counter() if started is None else started
        # Model-selection checkpoints go beside the states when there are any, so they survive a kill.
        self.resumable = every > 0
        self._stated_best: Optional[int] = None  # the checkpoint the newest state selected
        self.earlier = 0.0  # seconds of the attempts before this one (set by `restore`)

    def seconds(self) -> float:
        """Seconds of every attempt so far, this one included."""
        return self.earlier + time.perf_counter() - self.started

    def restore(self, models: dict, optimizer, schedule, rng, batches: dict, device) -> Progress:
        """The newest complete state restored into the freshly built training, or a fresh start (with any
        leftovers removed) when there is none. Either way the earlier attempts' time is kept (`earlier`)."""
        self.earlier = self._spent()
        path = self._latest()
        if path is None:
            shutil.rmtree(self.folder, ignore_errors=True)  # an attempt killed before its first state
            self._record_spent()
            return Progress()
        try:
            saved = _load_state(path, models, optimizer, schedule, rng, batches, device)
        except Exception as err:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise RuntimeError(f"the resumable state {path} could not be read ({err}); it was removed, so "
                               "`xstore fill --retry-failed` trains this cell again from step 0") from err
        progress = Progress(step=saved["step"], running=saved["running"], logged=saved["logged"],
                            best=tuple(saved["best"]) if saved["best"] is not None else None, rows=saved["rows"])
        self.resumable = True
        self._stated_best = progress.best[1] if progress.best else None
        self._prune(keep_state=progress.step, keep_best=self._stated_best)
        self._record_spent()
        return progress

    def best_folder(self, step: int, fallback: Path) -> Path:
        """Where the model-selection checkpoint of `step` is saved: beside the states, or `fallback` (the
        final checkpoint's temporary folder) when the training writes none."""
        return self.folder / f"best-{step}" if self.resumable else fallback

    def selected(self, step: int) -> None:
        """The checkpoint of `step` is the new best: drop older ones that no state needs."""
        if self.resumable:
            self._prune(keep_best={step, self._stated_best})

    def after_step(self, progress: Progress, models: dict, optimizer, schedule, rng, batches: dict) -> None:
        """Record the time spent so far; write a state when one is due (never after the last step: the run
        itself is stored then)."""
        self._record_spent()
        step = progress.step
        if not self.every or step % self.every or step >= self.total:
            return
        trainer = {"step": step, "total": self.total, "running": progress.running, "logged": progress.logged,
                   "best": progress.best, "rows": progress.rows}
        _write_state(self.folder, trainer, models, optimizer, schedule, rng, batches)
        self._stated_best = progress.best[1] if progress.best else None
        self._prune(keep_state=step, keep_best=self._stated_best)

    def finish(self, progress: Progress, final: Path) -> bool:
        """Move the selected checkpoint (if it is here) to `final`, and remove the folder. False when there
        is no selected checkpoint, and the caller saves the last model instead."""
        if progress.best is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return False
        if self.resumable:
            shutil.rmtree(final, ignore_errors=True)
            os.replace(self.best_folder(progress.best[1], final), final)
        shutil.rmtree(self.folder, ignore_errors=True)
        return True

    def abandon(self) -> None:
        """Remove every state and checkpoint (the training failed for good)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _spent(self) -> float:
        """The seconds recorded by earlier attempts (0 when there were none, or their record is unreadable)."""
        try:
            return float(json.loads((self.folder / _SPENT).read_text())["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0.0

    def _record_spent(self) -> None:
        """Write `spent.json` whole (a temporary file renamed over it): a kill leaves the old or the new one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{_SPENT}.{os.getpid()}"
        tmp.write_text(json.dumps({"seconds": self.seconds()}))
        os.replace(tmp, self.folder / _SPENT)

    def _latest(self) -> Optional[Path]:
        """The newest complete state that belongs to this training, or None."""
        if not self.folder.is_dir():
            return None
        done = sorted((int(path.name.removeprefix("state-")), path) for path in self.folder.glob("state-*")
                      if path.name.removeprefix("state-").isdigit() and (path / _MANIFEST).is_file())
        if not done:
            return None
        step, path = done[-1]
        try:
            manifest = json.loads((path / _MANIFEST).read_text())
            complete = all((path / name).is_file() and (path / name).stat().st_size == size
                           for name, size in manifest["files"].items())
            chosen = manifest["best"]
            if manifest["step"] != step or manifest["total"] != self.total or not complete:
                return None
        except (ValueError, KeyError, AttributeError):
            return None
        # the state's model-selection checkpoint is gone if a kill came after the last one was moved out
        return path if chosen is None or (self.folder / f"best-{chosen}").is_dir() else None

    def _prune(self, keep_state: Optional[int] = None, keep_best: int | set | None = None) -> None:
        """Delete the model-selection checkpoints not in `keep_best`, and, when `keep_state` is given,
        every other state (complete or partial)."""
        keep = keep_best if isinstance(keep_best, set) else {keep_best}
        for path in self.folder.glob("*"):
            kind, _, rest = path.name.partition("-")
            if (kind == "best" and int(rest) not in keep) or (
                    kind == "state" and keep_state is not None and rest != str(keep_state)):
                shutil.rmtree(path, ignore_errors=True)


def _write_state(folder: Path, trainer: dict, models: dict, optimizer, schedule, rng, batches: dict) -> None:
    """Write everything the rest of the training depends on as `state-<step>/`, all or nothing."""
    import torch
    from safetensors.torch import save_model

    step = trainer["step"]
    part = folder / f"state-{step}.partial-{os.getpid()}"
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    # one module over every head model: save_model stores the shared encoder's tensors once
    save_model(torch.nn.ModuleDict({str(i): m for i, m in enumerate(models.values())}), str(part / "model.safetensors"))
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": schedule.state_dict()}, part / "optimizer.pt")
    torch.save({"torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}, part / "rng.pt")
    trainer = {**trainer, "python_random": random.getstate(), "numpy": rng.bit_generator.state,
               "queues": {name: stream.queue for name, stream in batches.items()}}
    (part / "trainer.json").write_text(json.dumps(trainer))
    files = {path.name: path.stat().st_size for path in part.iterdir()}
    best = trainer["best"]
    manifest = {"step": step, "total": trainer["total"], "best": best[1] if best else None, "files": files}
    (part / _MANIFEST).write_text(json.dumps(manifest))
    for path in part.iterdir():  # on disk before the rename makes the state visible (a power cut, not only a kill)
        _fsync(path)
    final = folder / f"state-{step}"
    shutil.rmtree(final, ignore_errors=True)
    os.replace(part, final)
    _fsync(folder)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _load_state(folder: Path, models: dict, optimizer, schedule, rng, batches: dict, device) -> dict:
    """Restore a state written by _write_state into the freshly built training; returns trainer.json."""
    import torch
    from safetensors.torch import load_model

    load_model(torch.nn.ModuleDict({str(i): m for i, m in enumerate(models.values())}), folder / "model.safetensors",
               device=str(device))
    saved = torch.load(folder / "optimizer.pt", map_location=device, weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["scheduler"])
    rngs = torch.load(folder / "rng.pt", weights_only=True)
    torch.set_rng_state(rngs["torch"])
    if rngs["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rngs["cuda"])
    trainer = json.loads((folder / "trainer.json").read_text())
    version, internal, gauss = trainer["python_random"]
    random.setstate((version, tuple(internal), gauss))
    rng.bit_generator.state = trainer["numpy"]
    for name, queue in trainer["queues"].items():
        batches[name].queue = queue
    return trainer
