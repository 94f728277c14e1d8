"""Candidate kept-epoch picks against the peers' on the accuracy benchmark (regret on the hidden test loss).

    python benchmarks/accuracy/picks.py [RUNS_DIR] [-v]

Every pick is computed from the same curves the analysis measures (overfitdoc.analysis), on the
finite points of each run not labelled unstable. Prints the pooled mean regret, the median on
overfitting runs, the mean per half, and in how many families a pick's mean regret (and its
median on overfitting runs) beats every peer's (Keras patience 5 and 10, Lightning's defaults,
the raw argmin). ``current`` is what ``recommended_epoch`` does; RESULTS.md ("What was tried")
quotes this table.
"""

import collections
import csv
import math
import sys
from pathlib import Path

import numpy as np
import score as score_mod
import truth as truth_mod

from overfitdoc.analysis.curves import curves
from overfitdoc.analysis.divergence import kept_epoch
from overfitdoc.analysis.early_stopping import simulate_early_stopping
from overfitdoc.analysis.settings import DEFAULT_SETTINGS as S

HERE = Path(__file__).resolve().parent
args = [a for a in sys.argv[1:] if a != "-v"]
runs = Path(args[0]) if args else HERE / "runs"
recs = truth_mod.load_records(runs / "truth.jsonl")
truths = truth_mod.label_all(recs)


def read(rid):
    with open(runs / f"{rid}.csv") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(np.array([float(r[k]) for r in rows]) for k in ("loss", "val_loss"))


def keras(v, p):
    return simulate_early_stopping(v, range(len(v)), "min", p).restored_index


def cands(tr, va):
    ok = np.isfinite(tr) & np.isfinite(va)
    idx = np.flatnonzero(ok)
    if len(idx) < 3:
        return None
    c = curves(idx.astype(float), tr[ok], va[ok], "min", S)
    k = kept_epoch(c, S)
    out = {}
    out["current"] = k.kept
    out["argmin"] = int(np.argmin(c.val))
    out["trend_min"] = int(np.argmin(c.val_trend))
    for z in (1, 2, 3):
        band = c.val_trend <= c.val_trend.min() + z * c.val_diff_se
        sc = np.where(band, k.score, np.inf)
        out[f"gated{z}"] = int(np.argmin(sc))
    # Keras-like rule on the kept score with patience = window
    for mult in (1, 2):
        out[f"pat_w{mult}"] = keras(k.score, max(3, mult * c.window))
    out["keras5"] = keras(c.val, 5)
    out["keras10"] = keras(c.val, 10)
    # earliest point within noise se of min of light trend
    lt = k.light_trend
    out["light_min"] = int(np.argmin(lt))
    # gated on light trend
    for z in (1, 2):
        band = lt <= lt.min() + z * c.val_diff_se
        out[f"lgated{z}"] = int(np.argmin(np.where(band, k.score, np.inf)))
    for z in (0.1, 0.25, 0.5, 0.75, 1):
        out[f"hurdleK{z}"] = hurdle(k.score, z * c.val_noise)
    for z in (0.5, 1, 2):
        out[f"hurdleSE{z}"] = hurdle(k.score, z * c.val_se)
    out["lightning"] = lightning(c.val)
    out["shrink"] = shrink(c, k)
    out["curse"] = curse(c.val, c.val_noise)
    out["curseK"] = curse(k.score, c.val_noise)
    return {name: int(idx[i]) for name, i in out.items()}


def shrink(c, k):
    """The kept score pulled toward the light trend where the validation noise around that
    trend, over a window of one trend window, exceeds the run's typical noise: the weight of
    the raw score there is (typical / local)^2, an empirical-Bayes shrinkage, so a lone deep dip
    in a noisy stretch (a tiny split late in an overfitting run) counts less."""
    prior = k.light_trend
    resid = c.val - prior
    w = max(2, c.window)
    local = np.array(
        [
            1.4826 * np.median(np.abs(r - np.median(r)))
            for r in (resid[max(0, i - w) : i + w + 1] for i in range(len(resid)))
        ]
    )
    weight = np.minimum(1.0, (max(c.val_noise, 1e-12) / np.maximum(local, 1e-12)) ** 2)
    return int(np.argmin(prior + (k.score - prior) * weight))


def lightning(v, patience=3):
    best, bi, wait = np.inf, 0, 0
    for i, x in enumerate(v):
        if x < best:
            best, bi, wait = x, i, 0
        else:
            wait += 1
            if wait >= patience:
                break
    return bi


def hurdle(v, d):
    best, bi = v[0], 0
    for i in range(1, len(v)):
        if v[i] < best - d:
            best, bi = v[i], i
    return bi


def curse(v, sigma):
    # a later point replaces the best when it beats it by more than the expected minimum of
    # the noise over the points seen since the best: sigma * sqrt(2 ln m)
    best, bi = v[0], 0
    for i in range(1, len(v)):
        m = i - bi
        d = sigma * math.sqrt(2 * math.log(m)) if m > 1 else 0.0
        if v[i] < best - d:
            best, bi = v[i], i
    return bi


agg = collections.defaultdict(lambda: collections.defaultdict(list))
for rid, t in truths.items():
    if t.label == "unstable":
        continue
    tr, va = read(rid)
    cs = cands(tr, va)
    if cs is None:
        continue
    fam = score_mod.family_of(rid)
    for name, e in cs.items():
        r = score_mod.regret(t, e)
        if r is None:
            continue
        agg[name]["all"].append(r)
        agg[name]["fam:" + fam].append(r)
        if t.label == "overfitting":
            agg[name]["overfit"].append(r)
            agg[name]["fam:" + fam + ":over"].append(r)
        agg[name]["split:" + t.split].append(r)

names = list(agg)
fams = sorted(k for k in agg["current"] if k.startswith("fam:") and not k.endswith(":over"))
print("pick".ljust(12), "mean_all  med_over  mean_dev  mean_test  fams_mean_beats_all fams_med_over_beats_all")
for n in names:
    a = agg[n]
    beat10 = sum(
        np.mean(a[f]) < min(np.mean(agg[p][f]) for p in ("keras10", "keras5", "argmin", "lightning")) for f in fams
    )
    beat5 = sum(
        np.median(a[f + ":over"] or [0])
        <= min(np.median(agg[p][f + ":over"] or [0]) for p in ("keras10", "keras5", "argmin", "lightning"))
        for f in fams
    )
    print(
        n.ljust(12),
        f"{np.mean(a['all']):.5f}  {np.median(a['overfit']):.5f}  {np.mean(a['split:dev']):.5f}  {np.mean(a['split:test']):.5f}  {beat10}/{len(fams)} {beat5}/{len(fams)}",
    )


def split_se_picks(c, k, n):
    """The split's own sampling error ``level / sqrt(n)`` (validation.split_se) as the bar a later
    epoch must pass: a hurdle (a later minimum replaces the kept one only when lower by z errors,
    Keras' min_delta set by the split) and the one-error rule (the earliest epoch within z errors
    of the minimum), at z = 0.25, 0.5, 1."""
    se = float(k.score[k.kept]) / math.sqrt(n)
    out = {}
    for z in (0.25, 0.5, 1.0):
        out[f"splitSE_hurdle{z}"] = hurdle(k.score, z * se)
        out[f"splitSE_1err{z}"] = int(np.flatnonzero(k.score <= k.score.min() + z * se)[0])
    return out


# the same picks on the runs whose split size the tool reads from accuracy steps (RESULTS.md, "What
# was tried": the split's sampling error as a kept-epoch bar)
from overfitdoc import diagnose  # noqa: E402

sized = collections.defaultdict(lambda: collections.defaultdict(list))
for rid, t in truths.items():
    if t.label == "unstable":
        continue
    d = diagnose(str(runs / f"{rid}.csv"))
    if d.val_size is None:
        continue
    tr, va = read(rid)
    ok = np.isfinite(tr) & np.isfinite(va)
    idx = np.flatnonzero(ok)
    if len(idx) < 3:
        continue
    c = curves(idx.astype(float), tr[ok], va[ok], "min", S)
    k = kept_epoch(c, S)
    chosen = {"current": k.kept, "argmin": int(np.argmin(c.val)), "keras10": keras(c.val, 10)}
    chosen.update(split_se_picks(c, k, d.val_size.n))
    for name, i in chosen.items():
        r = score_mod.regret(t, int(idx[i]))
        if r is None:
            continue
        for scope in ("all", "small") if d.val_size.n <= 20 else ("all",):
            sized[name][scope].append(r)
            if t.label == "overfitting":
                sized[name][scope + ":over"].append(r)
n_all, n_over = len(sized["current"]["all"]), len(sized["current"]["all:over"])
n_small = len(sized["current"]["small"])
print(f"\nruns whose split size is read ({n_all}, {n_over} overfitting; {n_small} of 10-20 samples):")
print("pick".ljust(20), "mean_all  med_over  small: mean  med_over")
for name, a in sized.items():
    print(
        name.ljust(20),
        f"{np.mean(a['all']):.4f}  {np.median(a['all:over']):.4f}  {np.mean(a['small']):.4f}  {np.median(a['small:over']):.4f}",
    )

if "-v" in sys.argv:
    for f in fams:
        print(
            f,
            " ".join(
                f"{n}={np.mean(agg[n][f]):.4f}"
                for n in ("current", "keras5", "keras10", "hurdle1", "hurdleK1", "curse", "curseK")
            ),
        )
