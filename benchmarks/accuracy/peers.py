"""The peers: what existing tools would decide on the same history, re-implemented.

Each peer is a pure function of the per-epoch training and validation losses (numpy arrays,
index = epoch, NaN where a value is non-finite) and returns a ``PeerResult``:

* ``fired``: the peer's verdict-like binary, "overfitting (or: stop, no longer improving)
  detected?";
* ``fire_epoch``: the epoch index at which it fired (its stop epoch), or None;
* ``chosen_epoch``: the epoch whose weights a user of the peer ends up with (restored, stopped
  or argmin epoch); the scorer computes its regret on the hidden test loss.

The history is replayed as the callback would have seen it live: a peer that stops training at
epoch ``t`` only looked at epochs ``0..t``. Comparisons with NaN are false, as in the originals.

Re-implemented from the documented behaviour (see /work/shared/DOMAIN.md):

``keras_early_stopping`` (keras/src/callbacks/early_stopping.py, Keras 3)
    Per epoch: ``wait += 1``; an improvement (``current + min_delta < best``, and the first
    value always improves, even NaN) sets ``best``, ``best_epoch`` and ``wait = 0``; otherwise
    training stops when ``wait >= patience`` and ``epoch > 0``. With
    ``restore_best_weights=True`` the best epoch's weights come back at the end of training,
    stopped or not. Fired = the stop condition was met.

``lightning_early_stopping`` (lightning.pytorch.callbacks.EarlyStopping defaults)
    ``patience=3``, ``min_delta=0``, ``mode="min"``, ``check_finite=True``: a non-finite value
    stops training at once (not counted as an overfitting detection); an improvement
    (``current + min_delta < best``, best starts at +inf) resets ``wait_count``; otherwise
    ``wait_count += 1`` and training stops when ``wait_count >= patience``. The chosen epoch is
    what ``ModelCheckpoint(monitor=..., mode="min", save_top_k=1)`` keeps: the first epoch with
    the strictly lowest value up to the stop (NaN treated as +inf, the first epoch always saved).

``sagemaker_overfit`` (Debugger ``Overfit`` rule, ratio_threshold 0.1, patience 1, start_step 0)
    The rule code is not public. Interpretation used here: at each epoch ``t >= start_step``,
    "mean" is the mean over the epochs seen so far (``start_step..t``) of the training and of the
    validation loss; the rule fires when ``(mean_val - mean_train) / mean_train > 0.1`` holds for
    ``patience`` consecutive epochs. The chosen epoch is the firing epoch (the rule's
    StopTraining action ends the job there) or the last epoch.

``sagemaker_overtraining`` (Debugger ``Overtraining`` rule, patience_train 5,
patience_validation 10, delta 0.01)
    Interpretation: a loss reaches a new optimum when it is below its best so far by more than
    ``delta`` (absolute, like Keras' ``min_delta``); the rule fires when the training loss has had
    no new optimum for ``patience_train`` epochs or the validation loss for
    ``patience_validation`` epochs, whichever comes first ("the model is not improving any
    more"). Chosen epoch: the firing epoch (StopTraining) or the last epoch.

``umlaut`` (UMLAUT, CHI 2021)
    Flags every epoch where the validation loss rose while the training loss did not, against
    the previous epoch, with no patience. Fired = any flag; fire_epoch = the first flagged
    epoch; chosen epoch = the epoch before it (the weights before validation got worse), or the
    last epoch when nothing is flagged.

``autotrainer`` (AUTOTRAINER, ICSE 2021, "test turns bad")
    Fires at the first epoch ``t`` that closes a streak of ``window=3`` consecutive epochs in
    which the training loss fell and the validation loss rose by more than ``0.01`` (absolute),
    each against the previous epoch. Chosen epoch: the epoch before the streak began.

``naive``
    Chosen epoch = argmin of the validation loss (earliest on ties, NaN ignored); fired when the
    final validation loss is more than 10% above that minimum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from overfitdoc.analysis.early_stopping import simulate_early_stopping


@dataclass(frozen=True)
class PeerResult:
    fired: bool
    fire_epoch: int | None
    chosen_epoch: int


def keras_early_stopping(
    val: np.ndarray, patience: int, min_delta: float = 0.0, restore_best_weights: bool = True
) -> PeerResult:
    """Keras ``EarlyStopping(monitor="val_loss", mode="min")`` replayed over ``val``, with
    overfitdoc's one implementation of the rule (``overfitdoc.analysis.early_stopping``)."""
    sim = simulate_early_stopping(val, range(len(val)), "min", patience, min_delta)
    if sim.fired:
        return PeerResult(True, sim.stop_index, sim.restored_index if restore_best_weights else sim.stop_index)
    return PeerResult(False, None, sim.restored_index if restore_best_weights else len(val) - 1)


def _checkpoint_best(val: np.ndarray, upto: int) -> int:
    """ModelCheckpoint(save_top_k=1, mode="min"): first strictly-lowest epoch, NaN as +inf."""
    values = np.where(np.isnan(val[: upto + 1]), np.inf, val[: upto + 1])
    return int(np.argmin(values))


def lightning_early_stopping(
    val: np.ndarray, patience: int = 3, min_delta: float = 0.0, check_finite: bool = True
) -> PeerResult:
    """Lightning ``EarlyStopping(monitor="val_loss")`` with its defaults, plus ModelCheckpoint."""
    best, wait = math.inf, 0
    for epoch, current in enumerate(val):
        current = float(current)
        if check_finite and not math.isfinite(current):
            return PeerResult(False, None, _checkpoint_best(val, epoch))  # stopped, not overfitting
        if current + abs(min_delta) < best:
            best, wait = current, 0
        else:
            wait += 1
            if wait >= patience:
                return PeerResult(True, epoch, _checkpoint_best(val, epoch))
    return PeerResult(False, None, _checkpoint_best(val, len(val) - 1))


def sagemaker_overfit(
    train: np.ndarray, val: np.ndarray, ratio_threshold: float = 0.1, patience: int = 1, start_step: int = 0
) -> PeerResult:
    """Debugger ``Overfit`` rule with running means (see the module docstring)."""
    streak = 0
    sum_train = sum_val = 0.0
    for epoch in range(start_step, min(len(train), len(val))):
        sum_train += float(train[epoch])
        sum_val += float(val[epoch])
        count = epoch - start_step + 1
        mean_train, mean_val = sum_train / count, sum_val / count
        ratio = (mean_val - mean_train) / mean_train if mean_train != 0 else math.nan
        streak = streak + 1 if ratio > ratio_threshold else 0
        if streak >= patience:
            return PeerResult(True, epoch, epoch)
    return PeerResult(False, None, len(val) - 1)


def sagemaker_overtraining(
    train: np.ndarray, val: np.ndarray, patience_train: int = 5, patience_validation: int = 10, delta: float = 0.01
) -> PeerResult:
    """Debugger ``Overtraining`` rule (see the module docstring for the interpretation)."""
    best_train = best_val = math.inf
    since_train = since_val = 0
    for epoch in range(min(len(train), len(val))):
        t, v = float(train[epoch]), float(val[epoch])
        if t < best_train - delta:
            best_train, since_train = t, 0
        else:
            since_train += 1
        if v < best_val - delta:
            best_val, since_val = v, 0
        else:
            since_val += 1
        if since_train >= patience_train or since_val >= patience_validation:
            return PeerResult(True, epoch, epoch)
    return PeerResult(False, None, len(val) - 1)


def umlaut(train: np.ndarray, val: np.ndarray) -> PeerResult:
    """UMLAUT's overfitting heuristic: validation up while training not up, vs previous epoch."""
    for epoch in range(1, min(len(train), len(val))):
        if val[epoch] > val[epoch - 1] and train[epoch] <= train[epoch - 1]:
            return PeerResult(True, epoch, epoch - 1)
    return PeerResult(False, None, len(val) - 1)


def autotrainer(train: np.ndarray, val: np.ndarray, window: int = 3, threshold: float = 0.01) -> PeerResult:
    """AUTOTRAINER's "test turns bad": ``window`` epochs of train down, val up by > threshold."""
    streak = 0
    for epoch in range(1, min(len(train), len(val))):
        bad = train[epoch] < train[epoch - 1] and val[epoch] - val[epoch - 1] > threshold
        streak = streak + 1 if bad else 0
        if streak >= window:
            return PeerResult(True, epoch, epoch - window)
    return PeerResult(False, None, len(val) - 1)


def naive(val: np.ndarray, margin: float = 0.10) -> PeerResult:
    """Argmin of the validation loss; overfitting when the final value is 10% above the min."""
    if not np.any(np.isfinite(val)):
        return PeerResult(False, None, len(val) - 1)
    best = int(np.nanargmin(np.where(np.isfinite(val), val, np.nan)))
    fired = bool(val[-1] > (1 + margin) * val[best])
    return PeerResult(fired, len(val) - 1 if fired else None, best)


# name -> function of (train_loss, val_loss); the order is the order of the result tables.
PEERS: dict[str, Callable[[np.ndarray, np.ndarray], PeerResult]] = {
    "keras_es_p5": lambda train, val: keras_early_stopping(val, patience=5),
    "keras_es_p10": lambda train, val: keras_early_stopping(val, patience=10),
    "lightning_es": lambda train, val: lightning_early_stopping(val),
    "sagemaker_overfit": sagemaker_overfit,
    "sagemaker_overtraining": sagemaker_overtraining,
    "umlaut": umlaut,
    "autotrainer": autotrainer,
    "naive_argmin": lambda train, val: naive(val),
}

PEER_DESCRIPTIONS = {
    "keras_es_p5": "Keras EarlyStopping(val_loss, patience=5, restore_best_weights=True)",
    "keras_es_p10": "Keras EarlyStopping(val_loss, patience=10, restore_best_weights=True)",
    "lightning_es": "Lightning EarlyStopping defaults (patience 3) + ModelCheckpoint best",
    "sagemaker_overfit": "SageMaker Debugger Overfit (ratio 0.1 of running means, patience 1)",
    "sagemaker_overtraining": "SageMaker Debugger Overtraining (patience 5 train / 10 val, delta 0.01)",
    "umlaut": "UMLAUT: val loss up while train loss not up, vs previous epoch",
    "autotrainer": "AUTOTRAINER 'test turns bad': 3 epochs train down, val up > 0.01",
    "naive_argmin": "argmin of val loss; overfitting if final val > 1.1 x min",
}


def run_peers(train: np.ndarray, val: np.ndarray) -> dict[str, PeerResult]:
    """Every peer on one history."""
    train, val = np.asarray(train, dtype=float), np.asarray(val, dtype=float)
    return {name: peer(train, val) for name, peer in PEERS.items()}
