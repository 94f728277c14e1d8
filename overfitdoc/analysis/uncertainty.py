"""When the history cannot tell: a verdict whose calibrated confidence is below
:data:`~.calibration.CANNOT_TELL` keeps its best guess, and says why it cannot be sure and
which experiment would decide. The reason follows the test that decided the verdict:

* ``start_unseen``: a ``not_learning`` run, or an ``underfitting`` one judged by its progress
  from the first value, whose log cannot show the level training started from
  (:func:`~.bias.start_unseen`: a resumed log, or a first epoch whose mean stands above the
  next point by enough to change the test). Its confidence is at most one half and ``bias`` is
  ``unknown``: a model that learned what it could before the log could see is not told from one
  that never learned. Experiment: compare the final training value with a constant prediction's (the
  variance of the targets for a mean squared error, the entropy of the class shares for
  cross-entropy) or the model's before its first step, or pass ``--target``.
* ``short_run``: the run has fewer paired points than ``calibration.MIN_POINTS``, shorter than
  any run the confidence was fitted on (its confidence is at most one half): trend and noise
  cannot be told apart in so few points. When the bias test decided, ``bias`` becomes
  ``unknown``. Experiment: evaluate on the validation split at least ``MIN_POINTS`` times over
  the run (more often, or for longer).
* ``capacity_or_floor``: the bias test decided (a good fit or an underfit judged by how far
  training got towards its floor) and the two curves level off together: a plateau that can be
  the model's capacity or the data's noise floor. ``bias`` becomes ``unknown``. Experiment: the
  same run with a model about twice as wide (or one layer deeper), same epochs: a validation
  value clearly better than this run's best means this one underfits.
* ``small_split``: the validation split's size is known and under ``SMALL_SPLIT`` samples: a
  rise, or its absence, can be the sampling noise of so few samples. Experiment: hold out more
  data (``SMALL_SPLIT`` or more; for a rise, the size at which it would be ``RESOLVED_AT`` of the
  split's sampling errors, when that is more), or k-fold cross-validation.
* ``narrow``: any other narrow call. Experiment: repeat the run with other seeds (or
  ``overfitdoc rerun``); a verdict that holds across seeds is the run's, not the seed's.
"""

from __future__ import annotations

from ..numbers import fmt
from .calibration import CANNOT_TELL, MIN_POINTS, RESOLVED_AT, too_short
from .types import CannotTell, Diagnosis
from .validation import resolving_size

SMALL_SPLIT = 200  # the validation size below which a narrow call is put down to sampling


def held_out(d: Diagnosis) -> str:
    """How many validation samples would decide: at least ``SMALL_SPLIT``, or, for a rise on a
    split of known size, the size at which that rise would be resolved when that is more."""
    r = d.rise_in_split_se
    rose = d.divergence_epoch is not None or d.rejected_rise is not None
    if d.val_size is None or r is None or not rose:
        return f"at least {SMALL_SPLIT}"
    needed = resolving_size(d.val_size.n, r, RESOLVED_AT)
    return f"about {needed}" if needed > SMALL_SPLIT else f"at least {SMALL_SPLIT}"


def cannot_tell(d: Diagnosis) -> CannotTell | None:
    """Why this diagnosis cannot be sure, and the experiment that would decide; None when its
    confidence is at least ``CANNOT_TELL`` or the verdict is certain by construction."""
    if d.monitor is None or d.margin is None or not len(d.points):
        return None
    u, metric = d.unit, d.monitor.metric
    unseen = d.start_unseen
    if unseen is not None:
        if unseen.kind == "resumed":
            where = f"the log starts at {u} {unseen.first_epoch}, after training had already run"
        else:
            least = fmt(2 * unseen.first - unseen.second)
            where = (
                f"training {metric} averaged {fmt(unseen.first)} over the first {u} and {fmt(unseen.second)} at the "
                f"next: it fell inside the first {u}, from a level the log cannot show (at least {least})"
            )
        reason = (
            f"{where}, so how far training got cannot be read from the file: a model that learned what it could "
            "before the log could see looks the same as one that never learned much"
        )
        return CannotTell(
            "start_unseen",
            reason,
            f"compare the final training {metric} ({fmt(float(d.train[-1]))}) with a constant prediction's (the "
            "variance of the training targets for a mean squared error, the entropy of the class shares for "
            "cross-entropy) or the model's before its first step; or pass the value a good model reaches as "
            "--target, and diagnose again",
        )
    if too_short(d.verdict, len(d.points)):
        n = len(d.points)
        return CannotTell(
            "short_run",
            f"the run was evaluated {n} times, fewer than the {MIN_POINTS} evaluations of the shortest run its "
            "confidence was calibrated on: trend and noise cannot be told apart in so few points",
            f"evaluate on the validation split at least {MIN_POINTS} times over the run (more often, or for more "
            f"{u}s), and diagnose again",
        )
    if d.confidence >= CANNOT_TELL:
        return None
    best = fmt(d.best_val)
    size = d.val_size
    if d.deciding_test == "bias" and d.verdict in ("good_fit", "underfitting"):
        return CannotTell(
            "capacity_or_floor",
            f"training and validation {metric} level off together, and one history cannot tell the model's "
            "capacity from the data's noise floor",
            f"train a model about twice as wide (or one layer deeper) for the same {u}s: a validation {metric} "
            f"clearly better than this run's best ({best}) means this model underfits",
        )
    if size is not None and size.n < SMALL_SPLIT:
        n = size.n
        how = "given" if size.source == "given" else "read from its accuracy's steps"
        return CannotTell(
            "small_split",
            f"the validation split has {n} samples ({how}), too few to tell a real change in validation "
            f"{metric} from sampling noise",
            f"hold out {held_out(d)} validation samples, or cross-validate (k-fold), and diagnose again",
        )
    return CannotTell(
        "narrow",
        "the deciding test passed narrowly",
        "repeat the run with two or three other seeds (or `overfitdoc rerun`): a verdict that holds across "
        "seeds is the run's, not the seed's",
    )
