"""The fixes ``overfitdoc rerun`` applies to any model, one module each, keyed by the id of
the advice rule it implements (``overfitdoc/advice``).

A fix changes the training recipe, never the user's file: it may pick the batch size or the
model's ``width`` before the model is built, or rebuild a copy of the built model by module
surgery (``smaller-model`` without a ``width`` keyword, ``batch-norm``: :mod:`..surgery`)
before the optimizer is made (:meth:`Fix.configure`), then install itself on
the variant's trainer (:meth:`Fix.install`): hooks on the model, another optimizer, another
training loss, a batch transform, a learning-rate scheduler, or an epoch callback. A fix that
cannot apply to the spec says why (:meth:`Fix.skip_reason`) and the variant is skipped.

Fixes combine with ``+`` (``weight-decay+dropout``); they install in the order of their
``order`` attribute, whatever order the user wrote.

When the advice chose the fixes (``--fixes auto``), each fix takes the strength its advice
entry computed for this run (``Fix.accepts`` names the ``params`` it reads: the early-stopping
patience from the validation noise, the dropout rate from how early the gap opened, the
decoupled weight decay the advice's snippet sets), so the rerun tests what the report
advises. Fixes named with ``--fixes`` use their own documented defaults.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import UsageError

if TYPE_CHECKING:
    from ..prepare import Prepared
    from ..trainer import Trainer


@dataclass
class Recipe:
    """What a fix may set before the model is built."""

    batch_size: int
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    #: module surgery on the built model, in install order: ``f(model, seed) -> model``
    model_surgery: list[Callable[[Any, int], Any]] = field(default_factory=list)


class Fix:
    """One fix. Subclasses set ``id`` (the advice rule id), ``title`` and ``order``, and say
    in their docstring what they do, with which strength, and why."""

    id: ClassVar[str]
    title: ClassVar[str]
    #: install order: 10 recipe, 20 model hooks, 30 optimizer, 40 loss, 50 batches,
    #: 60 schedulers, 80 weight averaging, 90 early stopping (it must see the final validation model)
    order: ClassVar[int] = 50
    #: the advice ``params`` this fix reads when the advice chose it; the rest are ignored
    accepts: ClassVar[tuple[str, ...]] = ()
    #: fixes that cannot share a variant with this one (each sets what the other sets), and why
    conflicts: ClassVar[dict[str, str]] = {}
    #: the advice's values for ``accepts`` (empty: the fix's own defaults)
    params: Mapping[str, Any] = {}

    def with_params(self, params: Mapping[str, Any] | None) -> Fix:
        """A copy of this fix that uses the advice's ``params`` it accepts."""
        taken = {k: params[k] for k in self.accepts if params and params.get(k) is not None}
        if not taken:
            return self
        fix = copy.copy(self)
        fix.params = taken
        return fix

    def skip_reason(self, prep: Prepared) -> str | None:
        """Why this fix cannot apply to the spec, or None when it can."""
        return None

    def describe(self, prep: Prepared) -> str:
        """What exactly it does for this spec, in a few words with the numbers."""
        return self.title

    def configure(self, recipe: Recipe, prep: Prepared) -> None:
        """Before the model is built: batch size, model keyword arguments, model surgery."""

    def install(self, trainer: Trainer) -> None:
        """After the model and the optimizer are built."""


FIXES: dict[str, Fix] = {}


def register(cls: type[Fix]) -> type[Fix]:
    FIXES[cls.id] = cls()
    return cls


# the modules register themselves on import, in the order the docs list them
from . import (  # noqa: E402,F401
    batch_norm,
    class_weights,
    data_augmentation,
    dropout,
    early_stopping,
    gradient_clipping,
    label_smoothing,
    learning_rate,
    lr_schedule,
    smaller_batch,
    smaller_model,
    swa,
    warmup,
    weight_decay,
)

#: advice rule ids that need a change to the model or the data, not to the training recipe
NOT_AUTOMATIC = {
    "more-data": "needs more training data; change data() and re-run",
    "clean-labels": "fixes the labels in the data; change data() and re-run",
    "feature-engineering": "changes the inputs; change data() and re-run",
    "transfer-learning": "starts from pretrained weights; change model() and re-run",
    "sgd-instead-of-adam": "replaces the spec's optimizer; change optimizer() and re-run",
    "train-longer": "set --epochs higher",
}

#: --fixes auto without advice entries: the order tried for each verdict, best first
OVERFIT_ORDER = (
    "early-stopping",
    "weight-decay",
    "dropout",
    "data-augmentation",
    "label-smoothing",
    "swa",
    "smaller-model",
    "smaller-batch",
    "lr-schedule",
)
DEFAULT_ORDER: dict[str, tuple[str, ...]] = {
    "overfitting": OVERFIT_ORDER,
    # high bias too: regularize without cutting capacity
    "overfitting_and_underfitting": (
        "data-augmentation",
        "weight-decay",
        "early-stopping",
        "lr-schedule",
        "swa",
        "label-smoothing",
        "dropout",
    ),
    "good_fit": ("swa", "lr-schedule", "weight-decay", "early-stopping", "label-smoothing", "data-augmentation"),
    "still_improving": ("lr-schedule", "swa", "weight-decay", "early-stopping"),
    "underfitting": ("lr-schedule", "higher-lr", "smaller-batch"),
    "not_learning": ("higher-lr", "lr-schedule", "smaller-batch"),
    "unstable": ("lower-lr", "gradient-clipping", "warmup", "lr-schedule", "swa"),
    "insufficient_data": OVERFIT_ORDER,
}


@dataclass(frozen=True)
class Variant:
    """One recipe to train: the baseline (no fixes), one fix, or fixes combined with ``+``."""

    name: str
    fixes: tuple[Fix, ...] = ()

    @property
    def is_baseline(self) -> bool:
        return not self.fixes

    @property
    def ids(self) -> tuple[str, ...]:
        """The fix ids as the user wrote them (``fixes`` is in install order)."""
        return tuple(self.name.split("+")) if self.fixes else ()


BASELINE = Variant("baseline")


def parse_fixes(text: str) -> list[list[str]]:
    """``"weight-decay,dropout+swa"`` -> ``[["weight-decay"], ["dropout", "swa"]]``; UsageError
    for an id that is not a fix. ``none`` (or nothing) is the baseline alone."""
    out: list[list[str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part or part == "none":
            continue
        ids = [p.strip() for p in part.split("+") if p.strip()]
        for i in ids:
            if i not in FIXES:
                why = f" ({NOT_AUTOMATIC[i]})" if i in NOT_AUTOMATIC else ""
                raise UsageError(f"--fixes: {i!r} is not a fix rerun can apply{why}; the fixes are: {', '.join(FIXES)}")
        if len(set(ids)) != len(ids):
            raise UsageError(f"--fixes: {part!r} names a fix twice")
        for i in ids:
            for j, why in FIXES[i].conflicts.items():
                if j in ids:
                    raise UsageError(f"--fixes: {part!r} combines {i} and {j}: {why}; name one of them")
        out.append(ids)
    return out


def make_variant(ids: list[str], params: Mapping[str, Mapping[str, Any]] | None = None) -> Variant:
    """The variant of ``ids``; ``params``: the advice's params per fix id, where it chose them."""
    params = params or {}
    fixes = tuple(sorted((FIXES[i].with_params(params.get(i)) for i in ids), key=lambda f: f.order))
    return Variant("+".join(ids), fixes)


def skip_reason(ids: list[str], prep: Prepared) -> str | None:
    """Why the variant made of ``ids`` cannot run on this spec, or None."""
    for i in ids:
        reason = FIXES[i].skip_reason(prep)
        if reason:
            return reason if len(ids) == 1 else f"{i}: {reason}"
    return None


def advice_entries(diagnosis, context: dict) -> list[tuple[str, dict]]:
    """The advice for a diagnosis, ranked: (rule id, its params) pairs."""
    from ...advice import advise

    return [(e.id, dict(e.params)) for e in advise(diagnosis, context)]


def choose_auto(diagnosis, prep: Prepared, top: int) -> tuple[list[str], list[tuple[str, str]], str, dict]:
    """``--fixes auto``: the top ``top`` applicable fixes for a diagnosis.

    -> (chosen ids, skipped (id, reason) pairs, where the ranking came from, the advice's
    params per chosen id)."""
    context = {"train_size": prep.n_train, "params": prep.param_count, "framework": "pytorch"}
    if prep.input_kinds == ("image",):
        context["task"] = "image"
    entries = advice_entries(diagnosis, context)
    ranked = [i for i, _ in entries]
    params = dict(entries)  # one entry per rule id
    source = "the advice"
    if not ranked:
        ranked = list(DEFAULT_ORDER.get(diagnosis.verdict, OVERFIT_ORDER))
        source = f"the default order for {diagnosis.verdict.replace('_', ' ')}"
    chosen: list[str] = []
    skipped: list[tuple[str, str]] = []
    for i in dict.fromkeys(ranked):
        if len(chosen) >= top:
            break
        if i not in FIXES:
            skipped.append(
                (i, f"not automatic: {NOT_AUTOMATIC.get(i, 'changes the model or the data, not the training recipe')}")
            )
            continue
        reason = FIXES[i].with_params(params.get(i)).skip_reason(prep)
        if reason:
            skipped.append((i, reason))
        else:
            chosen.append(i)
    return chosen, skipped, source, {i: params[i] for i in chosen if i in params}
