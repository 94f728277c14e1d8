"""Which columns are training series, which are validation series, and which way is better.

Every reader hands its column names to :func:`find_pairs`; nothing else in overfitdoc
guesses at names. The rules, in order:

* A name is normalised: CamelCase split (``TrainLoss`` -> ``train_loss``), lower-cased,
  spaces, dashes, dots and slashes turned into ``_`` (``train/box_loss`` -> ``train_box_loss``,
  ``Validation Loss`` -> ``validation_loss``).
* A leading or trailing split word marks the side: ``train``, ``training``, ``tr`` for the
  training side; ``val``, ``valid``, ``validation``, ``eval``, ``dev`` for validation; ``test``
  counts as the held-out side only for a metric that has no validation series.
  A name with no split word is a training series when the validation side has the same
  metric (Keras: ``loss`` and ``val_loss``; Hugging Face: ``loss`` and ``eval_loss``).
* Lightning's ``_epoch`` and ``_step`` suffixes are stripped; the epoch-level series wins.
* Exactly one training loss and one validation loss with different names and no loss pair
  otherwise (``train/nll_loss``, ``val/rmse_loss``) are paired as ``nll_loss_vs_rmse_loss``,
  with a note that they are different quantities.
* The metric's direction comes from its name: loss-like words (loss, error, mae, mse, rmse,
  perplexity, wer, cer, nll, ...) mean lower is better; score words (accuracy, auc, f1,
  precision, recall, iou, dice, r2, map, cosine, ...) mean higher is better.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

TRAIN_WORDS = ("training", "train", "tr")
VAL_WORDS = ("validation", "valid", "val", "eval", "dev")
TEST_WORDS = ("test",)
#: columns that are bookkeeping, never metrics
META_WORDS = {
    "epoch",
    "epochs",
    "step",
    "steps",
    "global_step",
    "iteration",
    "iter",
    "time",
    "timestamp",
    "lr",
    "learning_rate",
    "learning_rates",
    "wall_time",
    "runtime",
    "epoch_time",
    "epoch_seconds",
}
LOWER_IS_BETTER = (
    "loss",
    "error",
    "err",
    "mae",
    "mse",
    "rmse",
    "msle",
    "mape",
    "perplexity",
    "ppl",
    "wer",
    "cer",
    "nll",
    "ce",
    "distance",
    "dist",
    "hinge",
    "kld",
    "kl",
    "huber",
    "logcosh",
    "bpc",
    "bpd",
)
HIGHER_IS_BETTER = (
    "acc",
    "accuracy",
    "auc",
    "auroc",
    "f1",
    "fscore",
    "precision",
    "prec",
    "recall",
    "iou",
    "dice",
    "r2",
    "map",
    "map50",
    "jaccard",
    "cos",
    "cosine",
    "similarity",
    "spearman",
    "pearson",
    "corr",
    "bleu",
    "rouge",
    "rouge1",
    "rouge2",
    "rougel",
    "acc1",
    "acc5",
    "top1",
    "top5",
    "mcc",
    "kappa",
    "sensitivity",
    "specificity",
    "psnr",
    "ssim",
    "score",
)
#: names users type for ``--monitor`` that mean the same metric
ALIASES = {"acc": "accuracy", "error_rate": "error"}
LIGHTNING_SUFFIXES = ("_epoch", "_step")


@dataclass(frozen=True)
class MetricPair:
    """A metric with both a training and a validation series.

    ``train`` and ``val`` are column names exactly as in the file; ``metric`` is the shared
    name without the split word (``loss``, ``accuracy``, ``box_loss``); ``mode`` is ``"min"``
    when lower is better and ``"max"`` when higher is better.
    """

    metric: str
    train: str
    val: str
    mode: str
    note: str = ""


_CACHE: dict[str, str] | None = None  # while reading or diagnosing: each name normalised once


def normalise(name: str) -> str:
    """``'Validation Loss'`` -> ``'validation_loss'``; ``'TrainLoss'`` -> ``'train_loss'``.

    Inside :func:`normalising_once` (reading a file, diagnosing a history) a name is
    normalised once however often it is asked for: a log with 10^6 columns asked ~24 times
    per name and spent minutes in the regular expressions."""
    cache = _CACHE
    if cache is None:
        return _normalise(name)
    got = cache.get(name)
    if got is None:
        got = cache[name] = _normalise(name)
    return got


@contextmanager
def normalising_once() -> Iterator[None]:
    """Cache :func:`normalise` for the duration (re-entrant; the cache goes at the outer end,
    so nothing is kept between files). Usable as a decorator."""
    global _CACHE
    if _CACHE is not None:
        yield
        return
    _CACHE = {}
    try:
        yield
    finally:
        _CACHE = None


def _normalise(name: str) -> str:
    s = name.strip()
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = s.lower()
    s = re.sub(r"[^a-z0-9]+", "_", s)
    return s.strip("_")


def _split(norm: str) -> tuple[str | None, str, str]:
    """-> (side, metric, granularity) of a normalised name; side None when no split word."""
    granularity = ""
    for suffix in LIGHTNING_SUFFIXES:
        if norm.endswith(suffix) and len(norm) > len(suffix):
            granularity = suffix[1:]
            norm = norm[: -len(suffix)]
            break
    for side, words in (("train", TRAIN_WORDS), ("val", VAL_WORDS), ("test", TEST_WORDS)):
        for w in words:
            if norm.startswith(w + "_") and len(norm) > len(w) + 1:
                return side, norm[len(w) + 1 :], granularity
            if norm.endswith("_" + w) and len(norm) > len(w) + 1:
                return side, norm[: -len(w) - 1], granularity
    return None, norm, granularity


def metric_mode(metric: str) -> str | None:
    """``'min'`` for loss-like names, ``'max'`` for scores, None when the name says neither."""
    tokens = normalise(metric).replace("io_u", "iou").split("_")
    # the last token that names a direction decides ('dice_loss' is a loss, 'loss_acc' a score)
    for tok in reversed(tokens):
        for form in (tok, re.sub(r"\d+$", "", tok)):  # 'f1' as is, 'acc5' -> 'acc'
            if form in LOWER_IS_BETTER:
                return "min"
            if form in HIGHER_IS_BETTER:
                return "max"
    return None


def is_meta(name: str) -> bool:
    """Bookkeeping columns (epoch, step, time, learning rates, gradient norms), never metrics."""
    n = normalise(name)
    return (
        n in META_WORDS
        or n.startswith(("lr_", "x_lr", "grad_norm", "unnamed"))
        or re.fullmatch(r"lr\d*", n) is not None
        or n.endswith(("_runtime", "_per_second", "_lr"))
    )


_GRANULARITY_RANK = {"epoch": 0, "": 1, "step": 2}


def find_pairs(columns: list[str]) -> list[MetricPair]:
    """Every metric with a training and a held-out series, in the order of first appearance.

    >>> [p.metric for p in find_pairs(["epoch", "accuracy", "loss", "val_accuracy", "val_loss"])]
    ['accuracy', 'loss']
    >>> find_pairs(["Epoch", "Training Loss", "Validation Loss"])[0].val
    'Validation Loss'
    """
    train: dict[str, list[tuple[int, int, str]]] = {}
    bare: dict[str, list[tuple[int, int, str]]] = {}
    held: dict[str, dict[str, list[tuple[int, int, str]]]] = {"val": {}, "test": {}}
    order: dict[str, int] = {}
    for pos, col in enumerate(columns):
        if not isinstance(col, str) or is_meta(col):
            continue
        side, metric, gran = _split(normalise(col))
        if not metric:
            continue
        entry = (_GRANULARITY_RANK[gran], pos, col)
        target = (train if side == "train" else bare) if side in ("train", None) else held[side]
        target.setdefault(metric, []).append(entry)
        order.setdefault(metric, pos)
    pairs = []
    for metric in sorted(order, key=order.__getitem__):
        val_side = held["val"].get(metric) or held["test"].get(metric)
        train_side = train.get(metric) or bare.get(metric)
        if not val_side or not train_side:
            continue
        t = min(train_side)[2]
        v = min(val_side)[2]
        mode = metric_mode(metric) or "min"
        note = (
            "" if metric_mode(metric) else f"direction of '{metric}' not known from its name; assumed lower is better"
        )
        pairs.append(MetricPair(metric=metric, train=t, val=v, mode=mode, note=note))
    lone = _different_losses(train, held, {p.metric for p in pairs})
    if lone is not None and not any(metric_mode(p.metric) == "min" for p in pairs):
        pairs.append(lone)
    return pairs


def _different_losses(train: dict, held: dict, paired: set[str]) -> MetricPair | None:
    """Exactly one training loss and one validation loss with different names (Lightning's
    ``train/nll_loss`` and ``val/rmse_loss``): the only comparison the file offers, paired
    with a note that the two are different quantities."""
    side = held["val"] or held["test"]
    t_only = [m for m in train if m not in paired and metric_mode(m) == "min"]
    v_only = [m for m in side if m not in paired and metric_mode(m) == "min"]
    if len(t_only) != 1 or len(v_only) != 1:
        return None
    tm, vm = t_only[0], v_only[0]
    t, v = min(train[tm])[2], min(side[vm])[2]
    note = (
        f"{t} and {v} are different quantities ({tm}, {vm}), paired as the only training and "
        f"validation losses: compare their trends, not their values"
    )
    return MetricPair(metric=f"{tm}_vs_{vm}", train=t, val=v, mode="min", note=note)


def pick_monitor(pairs: list[MetricPair], monitor: str | None = None) -> MetricPair | None:
    """The pair the verdict is based on: ``monitor`` if given (a metric or a column name),
    else the plain ``loss``, else the first loss-like pair, else the first pair."""
    if not pairs:
        return None
    if monitor:
        want = normalise(monitor)
        want = ALIASES.get(want, want)
        for p in pairs:
            names = {normalise(p.metric), normalise(p.train), normalise(p.val)}
            names |= {ALIASES.get(n, n) for n in names}
            if want in names:
                return p
        return None
    for p in pairs:
        if p.metric == "loss":
            return p
    for p in pairs:
        if "loss" in p.metric.split("_"):
            return p
    for p in pairs:
        if p.mode == "min":
            return p
    return pairs[0]


def is_held_out(column: str) -> bool:
    """A validation (or test) series by its name: ``val_f1``, ``f1_valid``, ``test_auc``."""
    n = normalise(column)
    return any(n.startswith(w + "_") or n.endswith("_" + w) for w in VAL_WORDS + TEST_WORDS)
