"""Ground truth for the accuracy benchmark, from the hidden test loss, by written rules.

The tool sees a run's training and (small, noisy) validation losses; the truth is read from
what the tool never sees: the loss on a large independent test set after every epoch, and the
loss on the whole training set in evaluation mode (both written by ``generate.py`` into
``runs/truth.jsonl``). Rules have margins on both sides; a run that falls between the margins
is ``ambiguous`` and left out of every accuracy figure (it still counts for regret).

Quantities (``T`` = per-epoch test loss, ``E`` = number of epochs)
-----------------------------------------------------------------
* ``S`` = centred moving average of ``T`` over 5 epochs (3 when ``E < 20``), truncated at the
  edges (the first and last values average the epochs that exist).
* **true best epoch** ``b`` = argmin of ``S`` (earliest on ties); ``S_min = S[b]``.
* ``noise`` = 1.4826 x median |T - S|: the epoch-to-epoch jitter of the test loss.
* ``rise`` = (S[-1] - S_min) / S_min: how much worse the end of the run is than its best.
* ``fall`` = (S[E-1-k] - S[-1]) / S[-1] with ``k = max(3, E // 10)``: how much the test loss
  still dropped over the last tenth of the run.
* ``B`` = chance level: test loss of always predicting the training set's class frequencies
  (classification) or mean (regression). ``R`` = attainable level: the lowest ``S_min`` over
  all runs of the same dataset (both splits).
* ``q_test = (B - S[-1]) / (B - R)`` and ``q_train = (B - L_train[-1]) / (B - R)``: the share
  of the chance-to-attainable distance covered at the end by the test loss and by the
  (smoothed, evaluation-mode) training loss. 1 = as good as the best run, 0 = chance.
* ``roughness`` = median |log T[t] - log T[t-1]| over the second half of the run.
* ``train_change`` = L_train[-1] / L_train[b] - 1 (smoothed training loss, end vs best epoch).

Rules (first match wins)
------------------------
1. ``unstable``: a non-finite test loss at any epoch; or the training loss spiked above three
   times the chance level (``max L_train > 3 max(B, initial test loss)``); or the test loss
   oscillates violently (``roughness > 0.15``, a typical epoch-to-epoch change above ~16%);
   or training itself fell apart (``rise > 0.10`` and ``train_change > 0.5``).
2. ``overfitting``: ``rise > 0.10`` and ``S[-1] - S_min > 3 noise`` while the training loss
   did not get worse (``train_change <= 0.10``): the test loss went clearly up from its
   minimum while the model kept fitting its training data.
3. ``ambiguous`` when ``rise > 0.04`` (between the good-fit and overfitting margins, or a
   rise that came with a worsening training loss).
4. ``still_improving``: ``fall > 0.03``, ``S[E-1-k] - S[-1] > 3 noise`` and the best epoch
   within the last ``k``: the test loss was still clearly falling when training stopped, so
   more epochs would help. Kept as its own label because the tool has this verdict and the
   remedy (train longer) differs from underfitting's (more capacity, less regularization);
   it takes precedence over underfitting for a run stopped early at a high loss.
5. ``ambiguous`` when ``fall > 0.015`` (neither clearly falling nor flat).
6. ``good_fit``: ``q_test >= 0.7``: flat at the end (rules 2-5 did not fire) and clearly
   learned, within 30% of the chance-to-attainable distance from the best run.
7. ``underfitting``: ``q_test < 0.5`` and ``q_train < 0.75``: the test loss stays far from
   what the dataset allows AND the model does not fit its own training data either (high
   bias). A run whose test loss is high while its training loss is low is data-starved
   (high variance without a rise); it is ``ambiguous``, not underfitting.
8. ``ambiguous`` otherwise.

Two statements can be true of one run at once; ``Truth.also`` names the second label, which
the scorer accepts as well (its "accuracy"; "strict accuracy" accepts the label alone):

* ``still_improving`` also accepts ``underfitting`` when the run is still far from the
  attainable level (``q_test < 0.5`` and ``q_train < 0.75``);
* ``underfitting`` also accepts ``still_improving`` when the test loss is still falling at
  the end, by less than 1.5% (rule 5) but by more than 0.5% and beyond the noise (best epoch
  within the last ``k``, ``S[E-1-k] - S[-1] > 3 noise``): a learning rate far too low gives
  exactly this.

``Truth.large_gap`` marks runs whose final (smoothed) training loss is below half their test
loss. Overfitting here means the test loss ROSE (training past the best epoch hurt); a
``good_fit`` with a large gap has a flat test loss at a good level: no earlier epoch would
have done better. The scorer reports false alarms on good fits with and without a large gap,
so a predictor that calls a large gap "overfitting" can be read either way.

The validation reference
------------------------
``validation_reference`` applies the same rules to what a predictor does see: the validation
loss in place of the test loss and the epoch-averaged training loss in place of the
evaluation-mode one, with every pair of margins closed at its midpoint (``DECISIVE``: it always
answers) and with the hidden chance and attainable levels. It is not a tool; its accuracy
against the truth estimates how often a validation split of the benchmark's size tells the
same story as the test set, the ceiling for any predictor that reads the history alone.

``python benchmarks/accuracy/truth.py`` prints the label of every run and the counts.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TRUTH_PATH = HERE / "runs" / "truth.jsonl"

LABELS = ("overfitting", "good_fit", "underfitting", "still_improving", "unstable")
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Margins:
    """The margins of the rules, in one place (see the module docstring)."""

    overfit_rise: float = 0.10
    flat_rise: float = 0.04
    noise_sigmas: float = 3.0
    train_worse_ok: float = 0.10
    train_collapse: float = 0.5
    spike_factor: float = 3.0
    roughness_max: float = 0.15
    still_fall: float = 0.03
    flat_fall: float = 0.015
    slow_fall: float = 0.005
    good_q: float = 0.7
    under_q: float = 0.5
    under_q_train: float = 0.75


MARGINS = Margins()
#: The same rules with every pair of margins closed at its midpoint and no training-level
#: condition on underfitting: they always answer (never ``ambiguous``). Used by
#: :func:`validation_reference`.
DECISIVE = Margins(
    overfit_rise=0.07,
    flat_rise=0.07,
    still_fall=0.0225,
    flat_fall=0.0225,
    good_q=0.6,
    under_q=0.6,
    under_q_train=math.inf,
)


@dataclass(frozen=True)
class Truth:
    """The ground truth of one run."""

    run_id: str
    split: str
    dataset: str
    label: str
    reason: str
    best_epoch: int | None  # argmin of the smoothed test loss; None when the loss is non-finite
    epochs: int
    test_loss: np.ndarray  # raw, NaN where non-finite; used for regret
    also: tuple[str, ...] = ()  # a second label that is true as well (see the module docstring)
    large_gap: bool = False  # final training loss below half the final test loss


def load_records(path: Path = TRUTH_PATH) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def as_array(values) -> np.ndarray:
    """JSON list with nulls for non-finite values -> float array with NaN."""
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average, truncated at the edges."""
    window = min(window, len(values) if len(values) % 2 else len(values) - 1)
    if window <= 1:
        return np.array(values, dtype=float)
    kernel = np.ones(window)
    # Window sums, not a running cumsum: a diverged epoch (1e25) must not erase later precision.
    sums = np.convolve(values, kernel, mode="same")
    return sums / np.convolve(np.ones(len(values)), kernel, mode="same")


def attainable_levels(records: list[dict]) -> dict[str, float]:
    """Per dataset, the lowest smoothed test loss any run reached (the reference ``R``)."""
    best: dict[str, float] = {}
    for rec in records:
        test = as_array(rec["test_loss"])
        if len(test) and np.all(np.isfinite(test)):
            level = float(smooth(test, _window(len(test))).min())
            best[rec["dataset"]] = min(best.get(rec["dataset"], math.inf), level)
    return best


def _window(n_epochs: int) -> int:
    return 5 if n_epochs >= 20 else 3


def label_run(rec: dict, attainable: float, m: Margins = MARGINS) -> Truth:
    """Apply the rules of the module docstring to one truth record."""
    test = as_array(rec["test_loss"])
    train = as_array(rec["train_eval_loss"])
    n = len(test)

    def result(label, reason, best=None, also=(), large_gap=False):
        return Truth(rec["run_id"], rec["split"], rec["dataset"], label, reason, best, n, test, also, large_gap)

    if n == 0 or not np.all(np.isfinite(test)):
        return result("unstable", "non-finite test loss")
    chance = float(rec["baseline_test_loss"])
    init = rec.get("init_test_loss")
    w = _window(n)
    S, S_train = smooth(test, w), smooth(train, w)
    best = int(np.argmin(S))
    s_min, s_end = float(S[best]), float(S[-1])
    noise = 1.4826 * float(np.median(np.abs(test - S)))
    rise = (s_end - s_min) / max(s_min, 1e-12)  # a loss of 0 (a tiny split fitted exactly) rises from 1e-12
    k = max(3, n // 10)
    fall = (float(S[n - 1 - k]) - s_end) / max(s_end, 1e-12) if n > k else 0.0
    span = max(chance - attainable, 1e-12)
    q_test = (chance - s_end) / span
    q_train = (chance - float(S_train[-1])) / span
    train_change = float(S_train[-1]) / max(float(S_train[best]), 1e-12) - 1.0
    second = np.log(np.maximum(test[n // 2 :], 1e-12))
    roughness = float(np.median(np.abs(np.diff(second)))) if len(second) > 1 else 0.0
    facts = (
        f"best={best} rise={rise:.3f} fall={fall:.3f} q_test={q_test:.2f} "
        f"q_train={q_train:.2f} train_change={train_change:+.2f} roughness={roughness:.3f}"
    )

    spike_level = m.spike_factor * max(chance, float(init) if init is not None else chance)
    if float(np.nanmax(train)) > spike_level or not np.all(np.isfinite(train)):
        return result("unstable", f"training loss spiked above {spike_level:.3g}; " + facts, best)
    if roughness > m.roughness_max:
        return result("unstable", "violent oscillation; " + facts, best)
    if rise > m.overfit_rise and train_change > m.train_collapse:
        return result("unstable", "training loss fell apart; " + facts, best)
    gap = float(S_train[-1]) < 0.5 * s_end
    if rise > m.overfit_rise and s_end - s_min > m.noise_sigmas * noise and train_change <= m.train_worse_ok:
        return result("overfitting", facts, best, large_gap=gap)
    if rise > m.flat_rise:
        return result(AMBIGUOUS, "rise between margins; " + facts, best, large_gap=gap)
    falling = float(S[n - 1 - k]) - s_end > m.noise_sigmas * noise and best >= n - 1 - k
    high_bias = q_test < m.under_q and q_train < m.under_q_train
    if fall > m.still_fall and falling:
        return result("still_improving", facts, best, ("underfitting",) if high_bias else (), gap)
    if fall > m.flat_fall:
        return result(AMBIGUOUS, "fall between margins; " + facts, best, large_gap=gap)
    if q_test >= m.good_q:
        return result("good_fit", facts, best, large_gap=gap)
    if high_bias:
        also = ("still_improving",) if falling and fall > m.slow_fall else ()
        return result("underfitting", facts, best, also, gap)
    return result(AMBIGUOUS, "level between margins or high variance; " + facts, best, large_gap=gap)


def label_all(records: list[dict]) -> dict[str, Truth]:
    """Labels for every record; the attainable level uses all records given."""
    levels = attainable_levels(records)
    return {rec["run_id"]: label_run(rec, levels.get(rec["dataset"], math.nan)) for rec in records}


def validation_reference(rec: dict, val, train, attainable: float) -> str:
    """The label the truth's own rules (with :data:`DECISIVE` margins) give when they read the
    VALIDATION loss instead of the test loss, and the epoch-averaged training loss instead of
    the evaluation-mode one. Chance and attainable levels stay the hidden ones: this is not a
    tool, it is an estimate of how far a validation split of this size can be trusted, the
    ceiling for any predictor that reads the history alone."""

    def listed(values):
        return [None if v is None or not math.isfinite(v) else float(v) for v in values]

    return label_run(dict(rec, test_loss=listed(val), train_eval_loss=listed(train)), attainable, DECISIVE).label


def main() -> int:
    truths = label_all(load_records())
    for t in truths.values():
        label = "/".join((t.label,) + t.also) + (" (large gap)" if t.large_gap else "")
        print(f"{t.run_id:40s} {t.split:4s} {label:30s} {t.reason}")
    for split in ("dev", "test"):
        counts = Counter(t.label for t in truths.values() if t.split == split)
        print(split, dict(sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
