"""The re-run's result as one dict (``--format json`` prints it; the table renders it), and
the judgement of each variant against the baseline. Imports no torch.

Measuring is separate from judging: every run is first reduced to its numbers
(:class:`RunRecord` -> :func:`run_dict`), then each variant is compared with the baseline of
the same seed (paired: same initial weights but for the layers a fix rebuilds or adds, same
data order, same random streams) by :func:`judge`.

What is compared is the *kept* validation loss: that of the weights the run ends with, the
model a user of the recipe gets (the last epoch's; the restored best epoch's under early
stopping; the averaged weights' under swa). The best validation loss of the run (what a
checkpoint at the best epoch would keep) is compared too, as ``change_best``; early
stopping cannot change it (it restores that very epoch), which is why it is not the headline.

The judgement, for K seeds with both runs complete:

* ``change`` = mean over seeds of (variant's kept val_loss - baseline's kept val_loss);
  negative is better;
* a paired t-test of the K differences (exact Student t, ``stats.py``): ``t``, ``dof`` = K-1,
  two-sided ``p_value``, ``effect_size`` = mean difference / sd of the differences;
* when the loss gives each validation sample's loss (a torch loss that averages:
  :func:`.prepare.per_sample_loss`), the validation set's own sampling noise is added to the
  test (``test`` ``paired+samples``, :func:`.stats.paired_t_samples`): every seed is validated
  on the same samples, so the seeds' spread alone says nothing of how the change would hold on
  other samples from the same distribution (on 70 validation points it did not: see
  benchmarks/rerun/FRESH.md); ``sample_se`` is that noise, the dof Welch-Satterthwaite's;
* with ``--folds`` the K x folds differences are tested by the corrected resampled t-test
  (``test`` ``corrected resampled``; each fold validates on other samples);
* ``noise`` = the 95% half-width of the mean change, t_{0.975, dof} x its standard error;
* ``judgement`` is ``better`` (change < 0) or ``worse`` (change > 0) only when p < 0.05, else
  ``within_noise``;
* with one seed there is no seed-to-seed spread and no judgement (``judgement`` is None);
  ``noise`` is 2 x the baseline's epoch-to-epoch noise for scale, ``noise_basis`` ``epochs``;
* ``seeds_needed``: the fewest seeds at which a change with this mean and sd would reach
  p < 0.05 (:func:`.stats.seeds_needed`).

``noise`` is also the minimum detectable effect: the smallest mean change these seeds, at this
sd, can call better or worse. When a fix changes the kept val loss by at least
:data:`VISIBLE_CHANGE` of the baseline's and is still within noise, the re-run could not
resolve an effect of a size that matters: ``resolution`` (see :func:`resolution`) says so, and
how many seeds would.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._version import __version__
from ..analysis import Diagnosis
from ..report import clean
from .stats import MAX_SEEDS, paired_t, paired_t_samples, seeds_needed

SCHEMA_VERSION = 1


@dataclass
class RunRecord:
    """One run, reduced to plain values (no torch): what the runner hands over."""

    variant: str
    fixes: tuple[str, ...]
    seed: int
    status: str
    rows: list[dict[str, float]]
    diagnosis: Diagnosis | None = None  # the analysis of its history (as a Keras CSV)
    history_path: str | None = None  # PyTorch JSON
    csv_path: str | None = None  # Keras CSV
    seconds: float = 0.0
    kept_epoch: int | None = None  # the epoch whose weights the run ended with
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    fold: int | None = None  # --folds: the fold it validated on (from 0)
    # each validation sample's loss at the kept and the best epoch, when the loss gives them
    kept_val_losses: Sequence[float] | np.ndarray | None = None
    best_val_losses: Sequence[float] | np.ndarray | None = None


def run_dict(r: RunRecord, metric: str | None) -> dict:
    """The numbers of one run: the kept and the best val_loss (with their epochs and the
    metric there), the final gap, and its own diagnosis."""
    out = {
        "seed": r.seed,
        "fold": r.fold,
        "status": r.status,
        "epochs_run": len(r.rows),
        "kept_epoch": None,
        "kept_val_loss": None,
        "kept_val_metric": None,
        "best_epoch": None,
        "best_val_loss": None,
        "val_metric_at_best": None,
        "final_train_loss": None,
        "final_val_loss": None,
        "final_gap": None,
        "verdict": None,
        "recommended_epoch": None,
        "summary": None,
        "history": r.history_path,
        "history_csv": r.csv_path,
        "seconds": round(r.seconds, 3),
        "notes": list(r.notes),
        "error": r.error,
    }
    by_epoch = {int(row["epoch"]): row for row in r.rows}
    loss = r.diagnosis.monitored if r.diagnosis is not None else None
    if loss is not None and loss.best_epoch is not None:
        # the analysis' best of the run's val_loss (its monitored pair, non-finite skipped)
        out["best_val_loss"], out["best_epoch"] = loss.best_val, int(loss.best_epoch)
        if metric:
            out["val_metric_at_best"] = by_epoch[int(loss.best_epoch)].get(f"val_{metric}")
    kept = r.kept_epoch if r.kept_epoch is not None else (int(r.rows[-1]["epoch"]) if r.rows else None)
    if kept is not None and kept in by_epoch:
        row = by_epoch[kept]
        out["kept_epoch"] = kept
        out["kept_val_loss"] = row.get("val_loss") if _finite(row.get("val_loss")) else None
        if metric:
            out["kept_val_metric"] = row.get(f"val_{metric}")
    if r.rows:
        last = r.rows[-1]
        out["final_train_loss"], out["final_val_loss"] = last.get("loss"), last.get("val_loss")
        if _finite(last.get("loss")) and _finite(last.get("val_loss")):
            out["final_gap"] = last["val_loss"] - last["loss"]
    d = r.diagnosis
    if d is not None:
        out["verdict"] = d.verdict
        out["summary"] = d.summary
        out["recommended_epoch"] = d.recommended_epoch
    return out


ALPHA = 0.05  # "better"/"worse" only when the paired t-test's two-sided p is below this


def judge(
    base: list[float],
    variant: list[float],
    base_epoch_noise: float | None,
    *,
    folds: int = 1,
    ratio: float = 0.0,
    samples: list[tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]] | None = None,
) -> dict:
    """Paired comparison of one number per seed (see the module docstring): a paired t-test
    of the per-seed differences, ``better``/``worse`` only when p < 0.05. With ``samples``
    (each pair's per-sample validation losses, baseline and variant, on one validation set),
    the test adds that set's sampling noise (:func:`.stats.paired_t_samples`). With ``folds``
    > 1 there is one number per seed and fold, and the test is the corrected resampled one
    (:func:`.stats.paired_t` with ``ratio`` = validation / training samples of a fold)."""
    k = len(base)
    diffs = [v - b for b, v in zip(base, variant)]
    mean = statistics.fmean(diffs)
    base_mean = statistics.fmean(base)
    if samples is not None and folds == 1 and k >= 2:
        test = paired_t_samples([np.asarray(v, dtype=float) - np.asarray(b, dtype=float) for b, v in samples])
    else:
        test = {**paired_t(diffs, ratio), "sample_se": None}
    test_name = (
        "corrected resampled" if folds > 1 else ("paired+samples" if test["sample_se"] is not None else "paired")
    )
    sd = statistics.stdev(diffs) if k >= 2 else None
    basis = "seeds"
    if k >= 2:
        noise: float | None = test["ci95"]  # the 95% half-width of the mean change (t quantile)
        p = test["p_value"]
        if p is not None and p < ALPHA and mean != 0.0:
            judgement: str | None = "better" if mean < 0 else "worse"
        else:
            judgement = "within_noise"
    else:
        # one seed: no seed-to-seed spread, so no judgement; the epoch noise is shown for scale
        noise = 2 * base_epoch_noise if base_epoch_noise is not None and math.isfinite(base_epoch_noise) else None
        basis = "epochs"
        judgement = None
    return {
        "mean": mean,
        "sd": sd,
        "relative": mean / base_mean if base_mean else None,
        "noise": noise,
        "noise_basis": basis,
        "test": test_name if k >= 2 else None,
        "sample_se": test["sample_se"],
        "judgement": judgement,
        "pairs": k,
        "t": test["t"],
        "dof": test["dof"],
        "p_value": test["p_value"],
        "effect_size": test["effect_size"],
        "seeds_needed": (
            seeds_needed(
                mean,
                sd,
                per_seed=folds,
                ratio=ratio,
                sample_se=test["sample_se"],
                samples=len(samples[0][0]) if samples else None,
            )
            if sd is not None
            else None
        ),
    }


#: a change of at least this share of the baseline's kept val loss is one that matters
VISIBLE_CHANGE = 0.01


def resolution(variants: list[dict], seeds: int, val_size: int | None, folds: int | None = None) -> dict | None:
    """Whether the re-run resolved the effects it saw. ``unresolved``: the fixes whose kept
    val loss changed by at least :data:`VISIBLE_CHANGE` of the baseline's (``relative``) and
    that are still within noise: their minimum detectable effect (``noise``, the 95% half-width
    with these seeds) exceeds the change observed. ``seeds_needed``: the fewest seeds that would
    resolve one of them (the fix is ``seeds_needed_for``) if its mean and sd held; None when
    more than :data:`.stats.MAX_SEEDS`. None when nothing was judged (one seed, no fixes)."""
    judged = [v for v in variants if v.get("change") and v["change"].get("judgement") is not None]
    if not judged:
        return None
    unresolved = [
        {
            "name": v["name"],
            "mean": v["change"]["mean"],
            "relative": v["change"]["relative"],
            "noise": v["change"]["noise"],
            "sample_se": v["change"].get("sample_se"),
            "seeds_needed": v["change"]["seeds_needed"],
        }
        for v in judged
        if v["change"]["judgement"] == "within_noise"
        and v["change"]["relative"] is not None
        and abs(v["change"]["relative"]) >= VISIBLE_CHANGE
    ]
    unresolved.sort(key=lambda u: -abs(u["relative"]))
    needed = [u for u in unresolved if u["seeds_needed"] is not None]
    best = min(needed, key=lambda u: u["seeds_needed"]) if needed else None
    return {
        "resolved": not unresolved,
        "visible_change": VISIBLE_CHANGE,
        "seeds": seeds,
        "folds": folds,
        "val_size": val_size,
        "unresolved": unresolved,
        "seeds_needed": best["seeds_needed"] if best else None,
        "seeds_needed_for": best["name"] if best else None,
        "max_seeds": MAX_SEEDS,
    }


def build_report(
    setup: dict,
    fixes: dict,
    variants: list[dict],
    records: list[RunRecord],
    *,
    spec: str,
    interrupted: bool,
    out_dir: str | None,
    wall_seconds: float,
) -> dict:
    """The whole result. ``variants`` lists ``{"name", "fixes", "what"}``, the baseline first;
    the result ranks the other variants best first (``rank`` 1 is the lowest kept val loss)."""
    metric = setup.get("metric")
    by_variant: dict[str, list[RunRecord]] = {}
    for r in records:
        by_variant.setdefault(r.variant, []).append(r)
    base_runs = {(r.seed, r.fold): r for r in by_variant.get("baseline", [])}
    base_noise = _epoch_noise(base_runs)
    folds = setup.get("folds") or 1
    ratio = setup.get("fold_ratio") or 0.0
    out_variants = []
    base_dicts = {key: run_dict(r, metric) for key, r in base_runs.items() if r.status == "done"}
    for v in variants:
        runs = sorted(by_variant.get(v["name"], []), key=lambda r: (r.seed, r.fold or 0))
        run_dicts = [run_dict(r, metric) for r in runs]
        complete = [d for d, r in zip(run_dicts, runs) if r.status == "done" and d["kept_val_loss"] is not None]
        shown = complete or [
            d for d in run_dicts if d["status"] in ("partial", "timed_out") and d["kept_val_loss"] is not None
        ]
        entry = {
            "name": v["name"],
            "fixes": list(v["fixes"]),
            "baseline": not v["fixes"],
            "what": list(v.get("what", [])),
            "seeds_complete": len(complete),
            "partial": bool(shown) and not complete,  # the numbers below are of interrupted or timed-out runs
            "kept_val_loss": _stat([d["kept_val_loss"] for d in shown]),
            "kept_val_metric": ({"name": metric, **_stat([d["kept_val_metric"] for d in shown])} if metric else None),
            "best_val_loss": _stat([d["best_val_loss"] for d in shown]),
            "val_metric_at_best": (
                {"name": metric, **_stat([d["val_metric_at_best"] for d in shown])} if metric else None
            ),
            "best_epoch": _stat([d["best_epoch"] for d in shown]),
            "final_gap": _stat([d["final_gap"] for d in shown]),
            "verdict": _mode([d["verdict"] for d in shown]),
            "change": None,
            "change_best": None,
            "runs": run_dicts,
        }
        if v["fixes"]:
            records_of = {(r.seed, r.fold): r for r in runs}
            paired = [(base_dicts[d["seed"], d["fold"]], d) for d in complete if (d["seed"], d["fold"]) in base_dicts]
            for key, field_name, losses in (
                ("change", "kept_val_loss", "kept_val_losses"),
                ("change_best", "best_val_loss", "best_val_losses"),
            ):
                pairs = [(b, x) for b, x in paired if b[field_name] is not None and x[field_name] is not None]
                per_sample = [
                    (getattr(base_runs[key_of(x)], losses), getattr(records_of[key_of(x)], losses)) for _, x in pairs
                ]
                if pairs:
                    entry[key] = judge(
                        [b[field_name] for b, _ in pairs],
                        [x[field_name] for _, x in pairs],
                        base_noise,
                        folds=folds,
                        ratio=ratio,
                        samples=per_sample if all(b is not None and v is not None for b, v in per_sample) else None,
                    )
        out_variants.append(entry)
    # ranked: the baseline first, then the variants best first by the validation loss of the
    # weights they keep (ties and runs without a value keep the order they were asked in)
    base, rest = out_variants[:1], out_variants[1:]
    rest.sort(key=lambda e: (e["kept_val_loss"].get("mean") is None, e["kept_val_loss"].get("mean") or 0.0))
    for rank, e in enumerate(rest, 1):
        e["rank"] = rank
    out_variants = base + rest
    n_pairs = max((e["change"]["pairs"] for e in rest if e["change"]), default=0) // folds
    return clean(
        {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "overfitdoc", "version": __version__},
            "command": "rerun",
            "spec": spec,
            "setup": setup,
            "fixes": fixes,
            "interrupted": interrupted,
            "out_dir": out_dir,
            "wall_seconds": round(wall_seconds, 3),
            "variants": out_variants,
            "resolution": resolution(out_variants, n_pairs, setup.get("val_size"), setup.get("folds")),
        }
    )


def key_of(run: dict) -> tuple[int, int | None]:
    """A run's pairing key: its seed and fold."""
    return run["seed"], run["fold"]


def _epoch_noise(base_runs: dict[tuple[int, int | None], RunRecord]) -> float | None:
    noises = [
        r.diagnosis.noise
        for r in base_runs.values()
        if r.status == "done" and r.diagnosis is not None and r.diagnosis.noise is not None
    ]
    return statistics.fmean(noises) if noises else None


def _stat(values: list) -> dict:
    xs = [float(x) for x in values if _finite(x)]
    if not xs:
        return {"mean": None, "sd": None, "min": None, "max": None}
    return {
        "mean": statistics.fmean(xs),
        "sd": statistics.stdev(xs) if len(xs) > 1 else None,
        "min": min(xs),
        "max": max(xs),
    }


def _mode(values: list) -> str | None:
    xs = [v for v in values if v]
    if not xs:
        return None
    counts = Counter(xs)
    top = max(counts.values())
    return next(v for v in xs if counts[v] == top)  # ties: the first seed's


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def seed_average(name: str, runs: Sequence[Sequence[dict]]):
    """One variant's seeds as compare.png and ``plot --compare`` of a rerun folder draw them:
    the diagnosis of its mean history (at each epoch, every logged series averaged over the
    seeds that reached it), named after the variant, and a band from the lowest to the highest
    validation value of those seeds at each epoch (:class:`overfitdoc.render.plot.Band`; None
    for one seed). ``runs``: each seed's rows, ``{"epoch": e, series: value, ...}``."""
    from ..analysis import diagnose
    from ..history import from_table
    from ..render.plot import Band

    epochs = sorted({int(r["epoch"]) for rows in runs for r in rows})
    at = {e: i for i, e in enumerate(epochs)}
    keys = sorted({k for rows in runs for r in rows for k in r if k != "epoch"})
    per_seed = {k: np.full((len(runs), len(epochs)), np.nan) for k in keys}
    for j, rows in enumerate(runs):
        for r in rows:
            for k in keys:
                x = r.get(k)
                if x is not None and math.isfinite(float(x)):
                    per_seed[k][j, at[int(r["epoch"])]] = float(x)
    table: dict[str, np.ndarray] = {"epoch": np.array(epochs, dtype=float)}
    for k, a in per_seed.items():
        counts = np.isfinite(a).sum(axis=0)
        sums = np.where(np.isfinite(a), a, 0.0).sum(axis=0)
        table[k] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    label = name if len(runs) == 1 else f"{name} (mean of {len(runs)} seeds)"
    d = diagnose(from_table(label, "keras-csv", table, index_column="epoch"))
    col = d.monitor.val if d.monitor is not None else None
    if col not in per_seed or len(runs) < 2:
        return d, None
    a = per_seed[col]
    ok = np.isfinite(a).any(axis=0)
    low = np.where(ok, np.where(np.isfinite(a), a, np.inf).min(axis=0), np.nan)
    high = np.where(ok, np.where(np.isfinite(a), a, -np.inf).max(axis=0), np.nan)
    return d, Band(np.array(epochs, dtype=float), low, high, f"band: min-max over the seeds of {col}")
