"""The scorer: compares a predictor's verdicts and epochs, and the peers', with the ground truth.

Pure arithmetic over objects that carry what ``truth.Truth`` carries (``run_id``, ``label``,
``best_epoch``, ``epochs``, ``test_loss``) and over ``Prediction`` objects (built from the
contract JSON by ``prediction_from_contract``); nothing here reads files or imports torch.

Decisions
---------
* **Epochs** are 0-based indices into the run. The contract's epoch fields are in the file's
  own numbering, so ``index = epoch - epoch_base``.
* **Verdict mapping** (tool verdict -> truth label), see ``VERDICT_TO_LABEL``:
  ``overfitting_and_underfitting`` counts as ``overfitting`` (the truth's overfitting label
  says the test loss rose clearly while the model kept fitting its training data, whatever
  the level reached, so a verdict that names the overfitting is right);
  ``not_learning`` counts as ``underfitting`` (the truth has no separate label for a model that
  never left chance level; it is the extreme of high bias); ``still_improving``, ``good_fit``,
  ``underfitting``, ``unstable`` map to themselves; ``insufficient_data`` and an unreadable
  input are an abstention, which counts as wrong in the accuracy and is reported apart.
* **Accuracy** is over runs whose truth is not ``ambiguous``. A verdict is correct when it
  is the truth's label or the second label the truth accepts (``Truth.also``: a run can be
  underfit and still improving at once); **strict accuracy** accepts the label alone. The
  confusion matrix is by the truth's (first) label.
* **Overfitting detection** (a binary for the tool and every peer): predicted positive = the
  mapped verdict is ``overfitting`` (for a peer: it fired); precision, recall, and the false
  alarm rate on true good fits (split by ``Truth.large_gap``: a final training loss below
  half the test loss, which some definitions call overfitting although the test loss is flat)
  and on every non-overfitting run.
* **Divergence**: on truly overfitting runs, ``divergence_epoch - true best epoch`` (signed and
  absolute, in epochs and as a fraction of the run length), and how often the true best epoch
  lies inside ``divergence_range`` (inclusive). Runs where the tool gave no divergence are
  counted as not covered (and as misses for the range hit rate over all overfitting runs).
* **Regret** of a chosen epoch = ``test_loss[chosen] - min(test_loss)``, also relative to
  ``min(test_loss)``. Computed over every run whose truth is not ``unstable`` (those are the
  runs whose test loss is finite and meaningful throughout, ambiguous ones included), and
  separately over the truly overfitting runs. A missing ``recommended_epoch`` falls back to
  the last epoch (the weights the user has anyway) and is counted. The final epoch's regret
  is reported as the do-nothing reference.
* **Intervals**: a regret comparison is a *paired* bootstrap over runs (both pickers' regrets
  on the same resampled runs, 2,000 resamples, seed 0), the 95% percentile interval of the
  difference of the statistic (mean or median); a rate (accuracy, false alarms) gets the
  95% Wilson score interval. A target "met" or "not met" whose interval holds the bar is
  within the benchmark's noise, and RESULTS.md says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

LABELS = ("overfitting", "good_fit", "underfitting", "still_improving", "unstable")
AMBIGUOUS = "ambiguous"
ABSTAIN = "abstain"

VERDICT_TO_LABEL = {
    "overfitting": "overfitting",
    "overfitting_and_underfitting": "overfitting",
    "good_fit": "good_fit",
    "underfitting": "underfitting",
    "not_learning": "underfitting",
    "still_improving": "still_improving",
    "unstable": "unstable",
    "insufficient_data": ABSTAIN,
}


@dataclass(frozen=True)
class Prediction:
    """One run's prediction, epochs already converted to 0-based indices."""

    verdict: str | None  # the tool's verdict as printed; None when the input was not read
    recommended_epoch: int | None = None
    divergence_epoch: int | None = None
    divergence_range: tuple[int, int] | None = None
    error: str | None = None
    confidence: float | None = None

    @property
    def label(self) -> str:
        return VERDICT_TO_LABEL.get(self.verdict, ABSTAIN) if self.verdict else ABSTAIN


def prediction_from_contract(run: Mapping) -> Prediction:
    """A contract RUN object -> Prediction (converting epochs by ``epoch_base``)."""
    if not run.get("ok", False):
        return Prediction(None, error=str(run.get("error", "not ok")))
    base = int(run.get("epoch_base", 0))

    def index(value):
        return None if value is None else int(value) - base

    rng = run.get("divergence_range")
    return Prediction(
        verdict=run.get("verdict"),
        recommended_epoch=index(run.get("recommended_epoch")),
        divergence_epoch=index(run.get("divergence_epoch")),
        divergence_range=None if rng is None else (index(rng[0]), index(rng[1])),
        confidence=run.get("confidence"),
    )


# --------------------------------------------------------------------------- helpers


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def _labeled(truths: Iterable) -> list:
    return [t for t in truths if t.label != AMBIGUOUS]


def regret(truth, epoch: int | None) -> float | None:
    """test_loss[epoch] - min(test_loss); None if undefined (non-finite)."""
    test = np.asarray(truth.test_loss, dtype=float)
    if epoch is None or not len(test) or not np.all(np.isfinite(test)):
        return None
    epoch = min(max(int(epoch), 0), len(test) - 1)
    return float(test[epoch] - test.min())


def _summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "median": None, "mean": None, "p90": None}
    arr = np.asarray(values, dtype=float)
    return {
        "n": len(values),
        "median": float(np.median(arr)),
        "mean": float(arr.mean()),
        "p90": float(np.percentile(arr, 90)),
    }


# --------------------------------------------------------------------------- metrics


def verdict_scores(truths: Mapping[str, object], preds: Mapping[str, Prediction]) -> dict:
    """Accuracy over non-ambiguous runs and the confusion matrix truth x mapped prediction."""
    labeled = _labeled(truths.values())
    columns = LABELS + (ABSTAIN,)
    confusion = {t: {p: 0 for p in columns} for t in LABELS}
    correct = strict = abstained = 0
    for t in labeled:
        pred = preds[t.run_id].label
        confusion[t.label][pred] += 1
        strict += pred == t.label
        correct += pred == t.label or pred in getattr(t, "also", ())
        abstained += pred == ABSTAIN
    return {
        "n_runs": len(truths),
        "n_labeled": len(labeled),
        "n_correct": correct,
        "accuracy": _ratio(correct, len(labeled)),
        "n_correct_strict": strict,
        "accuracy_strict": _ratio(strict, len(labeled)),
        "n_abstained": abstained,
        "confusion": confusion,
        "columns": list(columns),
    }


def accuracy_by_reference(
    truths: Mapping[str, object], preds: Mapping[str, Prediction], reference: Mapping[str, Prediction]
) -> dict:
    """Verdict accuracy over the non-ambiguous runs, split by whether the reference (the truth's
    rules read on the validation loss) is right: where it is, validation told the test set's
    story; where it is not, no reading of the history alone is sure to be right."""

    def right(t, pred):
        return pred.label == t.label or pred.label in getattr(t, "also", ())

    out = {"agree": [0, 0], "disagree": [0, 0]}  # [correct, runs]
    for t in _labeled(truths.values()):
        cell = out["agree" if right(t, reference[t.run_id]) else "disagree"]
        cell[0] += right(t, preds[t.run_id])
        cell[1] += 1
    return {k: {"n_correct": c, "n_runs": n, "accuracy": _ratio(c, n)} for k, (c, n) in out.items()}


def binary_scores(truths: Mapping[str, object], fired: Mapping[str, bool]) -> dict:
    """Overfitting detection as a binary over the non-ambiguous runs."""
    tp = fp = fn = tn = 0
    good = {False: [0, 0], True: [0, 0]}  # large_gap -> [runs, alarms]
    for t in _labeled(truths.values()):
        positive, actual = bool(fired[t.run_id]), t.label == "overfitting"
        tp += positive and actual
        fp += positive and not actual
        fn += actual and not positive
        tn += not actual and not positive
        if t.label == "good_fit":
            counts = good[bool(getattr(t, "large_gap", False))]
            counts[0] += 1
            counts[1] += positive
    n_good, good_alarms = good[False][0] + good[True][0], good[False][1] + good[True][1]
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "accuracy": _ratio(tp + tn, tp + fp + fn + tn),
        "false_alarm_good_fit": _ratio(good_alarms, n_good),
        "n_good_fit": n_good,
        "false_alarm_good_fit_small_gap": _ratio(good[False][1], good[False][0]),
        "n_good_fit_small_gap": good[False][0],
        "false_alarm_good_fit_large_gap": _ratio(good[True][1], good[True][0]),
        "n_good_fit_large_gap": good[True][0],
        "false_alarm_non_overfit": _ratio(fp, fp + tn),
    }


def divergence_scores(truths: Mapping[str, object], preds: Mapping[str, Prediction]) -> dict:
    """Onset error against the true best epoch and range hit rate, on truly overfitting runs."""
    overfit = [t for t in truths.values() if t.label == "overfitting"]
    signed, absolute, fraction, widths = [], [], [], []
    with_range = hits = 0
    for t in overfit:
        p = preds[t.run_id]
        if p.divergence_epoch is not None:
            err = p.divergence_epoch - t.best_epoch
            signed.append(err)
            absolute.append(abs(err))
            fraction.append(abs(err) / t.epochs)
        if p.divergence_range is not None:
            lo, hi = p.divergence_range
            with_range += 1
            hits += lo <= t.best_epoch <= hi
            widths.append(hi - lo)
    return {
        "n_overfitting": len(overfit),
        "n_with_divergence": len(absolute),
        "error_signed": _summary(signed),
        "error_abs": _summary(absolute),
        "error_fraction": _summary(fraction),
        "n_with_range": with_range,
        "range_hits": hits,
        "range_hit_rate": _ratio(hits, with_range),
        "range_hit_rate_all": _ratio(hits, len(overfit)),
        "range_width": _summary(widths),
    }


def regret_scores(truths: Mapping[str, object], chosen: Mapping[str, int | None]) -> dict:
    """Regret of the chosen epochs, over non-unstable runs and over overfitting runs."""
    out = {}
    for scope, keep in (("all", lambda t: t.label != "unstable"), ("overfitting", lambda t: t.label == "overfitting")):
        absolute, relative, missing = [], [], 0
        for t in truths.values():
            if not keep(t):
                continue
            epoch = chosen.get(t.run_id)
            if epoch is None:
                missing += 1
                epoch = t.epochs - 1
            value = regret(t, epoch)
            if value is None:
                continue
            absolute.append(value)
            relative.append(value / max(float(np.min(t.test_loss)), 1e-12))
        out[scope] = {"absolute": _summary(absolute), "relative": _summary(relative), "n_missing_epoch": missing}
    return out


def _regrets(truths: Mapping[str, object], chosen: Mapping[str, int | None], scope: str) -> dict[str, float]:
    """Each in-scope run's regret, as ``regret_scores`` counts it (a missing epoch is the last)."""
    keep = (lambda t: t.label != "unstable") if scope == "all" else (lambda t: t.label == "overfitting")
    out = {}
    for t in truths.values():
        if keep(t):
            epoch = chosen.get(t.run_id)
            value = regret(t, t.epochs - 1 if epoch is None else epoch)
            if value is not None:
                out[t.run_id] = value
    return out


def regret_difference(
    truths: Mapping[str, object],
    mine: Mapping[str, int | None],
    theirs: Mapping[str, int | None],
    scope: str = "all",
    stat: str = "mean",
    n_boot: int = 2000,
    seed: int = 0,
) -> dict:
    """``stat`` of my regret minus ``stat`` of theirs over the runs of ``scope`` ("all" or
    "overfitting"), with its 95% paired bootstrap interval (runs resampled with replacement,
    both pickers on the same resample). Negative is better for me."""
    fn = {"mean": np.mean, "median": np.median}[stat]
    a_map, b_map = _regrets(truths, mine, scope), _regrets(truths, theirs, scope)
    ids = sorted(set(a_map) & set(b_map))
    if not ids:
        return {"n": 0, "difference": None, "low": None, "high": None}
    a = np.array([a_map[r] for r in ids])
    b = np.array([b_map[r] for r in ids])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    diffs = fn(a[idx], axis=1) - fn(b[idx], axis=1)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"n": len(ids), "difference": float(fn(a) - fn(b)), "low": float(low), "high": float(high)}


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a proportion ``k / n`` (None when ``n`` is 0)."""
    if n <= 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def epoch_error_scores(truths: Mapping[str, object], chosen: Mapping[str, int | None]) -> dict:
    """|chosen - true best| on truly overfitting runs (how close a pick lands to the best)."""
    errors = [
        abs(chosen[t.run_id] - t.best_epoch)
        for t in truths.values()
        if t.label == "overfitting" and chosen.get(t.run_id) is not None
    ]
    return _summary(errors)


def score_predictor(truths: Mapping[str, object], preds: Mapping[str, Prediction]) -> dict:
    """Every figure for the tool (or the stand-in)."""
    chosen = {rid: p.recommended_epoch for rid, p in preds.items()}
    return {
        "verdict": verdict_scores(truths, preds),
        "binary": binary_scores(truths, {rid: p.label == "overfitting" for rid, p in preds.items()}),
        "divergence": divergence_scores(truths, preds),
        "regret": regret_scores(truths, chosen),
        "epoch_error": epoch_error_scores(truths, chosen),
        "n_errors": sum(p.verdict is None for p in preds.values()),
    }


def score_peer(truths: Mapping[str, object], results: Mapping[str, object]) -> dict:
    """Every figure that applies to a peer (binary detection, regret, epoch error)."""
    chosen = {rid: r.chosen_epoch for rid, r in results.items()}
    return {
        "binary": binary_scores(truths, {rid: r.fired for rid, r in results.items()}),
        "regret": regret_scores(truths, chosen),
        "epoch_error": epoch_error_scores(truths, chosen),
    }


def reference_regret(truths: Mapping[str, object]) -> dict:
    """The do-nothing reference: keep the final epoch's weights."""
    return regret_scores(truths, {rid: t.epochs - 1 for rid, t in truths.items()})


def family_of(run_id: str) -> str:
    """A run's data family: the data set its id starts with (``moons-s3-01-overfit`` -> ``moons``)."""
    return run_id.split("-", 1)[0]


def _right(t, pred: Prediction) -> bool:
    return pred.label == t.label or pred.label in getattr(t, "also", ())


def calibration(
    truths: Mapping[str, object],
    preds: Mapping[str, Prediction],
    edges: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
) -> dict:
    """Reliability of ``confidence``: over the non-ambiguous runs with a confidence, bins of
    confidence (``lo <= c < hi``, the last bin closed) against the share of verdicts right, and
    the expected calibration error ``ECE = sum_b n_b / N * |share right_b - mean confidence_b|``."""
    rows = []
    pairs = [
        (float(preds[t.run_id].confidence), _right(t, preds[t.run_id]))
        for t in _labeled(truths.values())
        if preds[t.run_id].confidence is not None
    ]
    total = len(pairs)
    ece = 0.0
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        last = k == len(edges) - 2
        cell = [(c, r) for c, r in pairs if lo <= c < hi or (last and c == hi)]
        if not cell:
            rows.append({"lo": lo, "hi": hi, "n": 0, "confidence": None, "right": None})
            continue
        conf = float(np.mean([c for c, _ in cell]))
        right = float(np.mean([r for _, r in cell]))
        ece += len(cell) / total * abs(right - conf)
        rows.append({"lo": lo, "hi": hi, "n": len(cell), "confidence": conf, "right": right})
    below = sum(1 for c, _ in pairs if c < edges[0])
    return {"bins": rows, "ece": ece if total else None, "n": total, "n_below": below}


def by_family(
    truths: Mapping[str, object], preds: Mapping[str, Prediction], peers: Mapping[str, Mapping[str, object]]
) -> dict:
    """Per data family: :func:`by_group` with the family as the group."""
    return by_group(truths, preds, peers, family_of)


def by_group(
    truths: Mapping[str, object],
    preds: Mapping[str, Prediction],
    peers: Mapping[str, Mapping[str, object]],
    group_of: Callable[[str], str],
) -> dict:
    """Per group of runs (``group_of(run_id)``, e.g. the data family): verdict accuracy, the
    mean confidence of the verdicts scored, false overfitting alarms on good fits, and the mean
    regret of the kept epoch beside each peer's (non-unstable runs), and its median on the
    overfitting runs. ``resolved_losses`` names, per statistic, the peers lower than the kept
    epoch by more than the noise: the difference's paired bootstrap interval lies above 0.
    Groups come in sorted order of their names."""
    out = {}
    for group in sorted({group_of(rid) for rid in truths}):
        sub = {rid: t for rid, t in truths.items() if group_of(rid) == group}
        sub_preds = {rid: preds[rid] for rid in sub}
        v = verdict_scores(sub, sub_preds)
        b = binary_scores(sub, {rid: p.label == "overfitting" for rid, p in sub_preds.items()})
        mine = {rid: p.recommended_epoch for rid, p in sub_preds.items()}
        regrets = {"overfitdoc": regret_scores(sub, mine)}
        losses: dict[str, list[str]] = {"mean": [], "overfit_median": []}
        for name, results in peers.items():
            theirs = {rid: results[rid].chosen_epoch for rid in sub}
            regrets[name] = regret_scores(sub, theirs)
            for key, scope, stat in (("mean", "all", "mean"), ("overfit_median", "overfitting", "median")):
                low = regret_difference(sub, mine, theirs, scope, stat)["low"]
                if low is not None and low > 0:
                    losses[key].append(name)
        confidences = [
            float(sub_preds[t.run_id].confidence)
            for t in _labeled(sub.values())
            if sub_preds[t.run_id].confidence is not None
        ]
        out[group] = {
            "n": v["n_labeled"],
            "accuracy": v["accuracy"],
            "confidence_mean": float(np.mean(confidences)) if confidences else None,
            "false_alarm_good_fit": b["false_alarm_good_fit"],
            "n_good_fit": b["n_good_fit"],
            "regret_mean": {k: r["all"]["absolute"]["mean"] for k, r in regrets.items()},
            "regret_overfit_median": {k: r["overfitting"]["absolute"]["median"] for k, r in regrets.items()},
            "resolved_losses": losses,
        }
    return out


def cannot_tell_rates(truths: Mapping[str, object], preds: Mapping[str, Prediction], bar: float = 0.5) -> dict:
    """How often the verdict said it cannot tell (confidence below ``bar``), by true label, and
    how often those verdicts and the others were right."""
    labeled = [t for t in _labeled(truths.values()) if preds[t.run_id].confidence is not None]
    low = [t for t in labeled if preds[t.run_id].confidence < bar]
    high = [t for t in labeled if preds[t.run_id].confidence >= bar]
    by_label = {}
    for label in sorted({t.label for t in labeled}):
        sub = [t for t in labeled if t.label == label]
        by_label[label] = {"n": len(sub), "fired": sum(1 for t in sub if preds[t.run_id].confidence < bar)}
    right = lambda ts: _ratio(sum(1 for t in ts if _right(t, preds[t.run_id])), len(ts))  # noqa: E731
    return {
        "n": len(labeled),
        "fired": len(low),
        "right_when_fired": right(low),
        "right_otherwise": right(high),
        "by_label": by_label,
    }
