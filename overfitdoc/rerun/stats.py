"""Exact Student t tail probabilities (no scipy): the t CDF through the regularized incomplete
beta function, and the paired t-test the rerun judges with."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), by its continued fraction
    (modified Lentz), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it converges slowly."""
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must be in [0, 1]")
    if x in (0.0, 1.0):
        return x
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - betainc(b, a, 1.0 - x)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return math.exp(log_front) * f / a


def t_cdf(t: float, dof: float) -> float:
    """P(T <= t) for Student's t with ``dof`` degrees of freedom."""
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * betainc(dof / 2.0, 0.5, dof / (dof + t * t))  # P(T > |t|)
    return 1.0 - tail if t >= 0 else tail


def t_two_sided_p(t: float, dof: float) -> float:
    """The two-sided p-value of a t statistic."""
    if math.isnan(t):
        return float("nan")
    return 2.0 * (1.0 - t_cdf(abs(t), dof)) if abs(t) < 1.0 else betainc(dof / 2.0, 0.5, dof / (dof + t * t))


def t_quantile(p: float, dof: float) -> float:
    """The t value with P(T <= t) = p (bisection on :func:`t_cdf`)."""
    lo, hi = -1e6, 1e6
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, dof) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def paired_t(diffs: list[float], ratio: float = 0.0) -> dict:
    """Paired t-test of the per-seed differences against zero: t, dof, two-sided p, the effect
    size (mean difference / sd of the differences) and the 95% half-width of the mean's interval.
    With fewer than two differences no test is possible (all None).

    ``ratio`` > 0 is the corrected resampled t-test of Nadeau and Bengio (2003), for differences
    measured on re-splits of one data set whose training sets overlap (k-fold, repeated: the
    corrected repeated k-fold test of Bouckaert and Frank, 2004): the variance of the mean is
    ``(1/k + ratio) sd^2`` instead of ``sd^2 / k``, ``ratio`` the validation / training sizes;
    the degrees of freedom stay k - 1."""
    k = len(diffs)
    out: dict = {"t": None, "dof": None, "p_value": None, "effect_size": None, "ci95": None}
    if k < 2:
        return out
    mean = statistics.fmean(diffs)
    sd = statistics.stdev(diffs)
    dof = k - 1
    se = sd * math.sqrt(1.0 / k + ratio)
    half = t_quantile(0.975, dof) * se
    out.update(dof=dof, ci95=half)
    if sd == 0.0:
        out.update(t=None, p_value=1.0 if mean == 0.0 else 0.0, effect_size=None)
        return out
    t = mean / se
    out.update(t=t, p_value=t_two_sided_p(t, dof), effect_size=mean / sd)
    return out


def paired_t_samples(per_sample: Sequence[Sequence[float] | np.ndarray]) -> dict:
    """The paired t-test of :func:`paired_t` with the validation set's own sampling noise added.

    ``per_sample[s][i]``: the difference (variant - baseline) of the loss of validation sample i
    in the runs of seed s; every seed is validated on the same samples, so the mean over the
    seeds of ``mean(per_sample[s])`` is the mean change. The seeds' spread says how the change
    varies with the training's randomness, but all seeds share one validation set, whose
    sampling noise no number of seeds averages out. Both are counted: the variance of the mean
    change is ``var_s(d_s) / S + var_i(e_i) / n``, d_s the seed's mean difference and e_i the
    sample's difference averaged over the seeds (the variance of a grand mean over a crossed
    seeds x samples design, counting the interaction twice, so never below the exact one), and
    the degrees of freedom are Welch-Satterthwaite's for that sum. ``sample_se`` is the second
    term's square root, the validation set's contribution. Fewer than two seeds or samples: as
    :func:`paired_t` (no test with one seed)."""
    if len(per_sample) < 2 or len({len(r) for r in per_sample}) != 1 or len(per_sample[0]) < 2:
        return {**paired_t([float(np.mean(r)) for r in per_sample if len(r)]), "sample_se": None}
    d = np.asarray([np.asarray(r, dtype=float) for r in per_sample])
    k, n = d.shape
    seed_means, sample_means = d.mean(axis=1), d.mean(axis=0)
    mean = float(seed_means.mean())
    sd = float(seed_means.std(ddof=1))
    a, b = sd * sd / k, float(sample_means.var(ddof=1)) / n
    out: dict = {"t": None, "dof": None, "p_value": None, "effect_size": None, "ci95": None, "sample_se": math.sqrt(b)}
    if a + b == 0.0:
        out.update(dof=k - 1, ci95=0.0, p_value=1.0 if mean == 0.0 else 0.0)
        return out
    dof = satterthwaite((a, k - 1), (b, n - 1))
    se = math.sqrt(a + b)
    t = mean / se
    out.update(
        t=t,
        dof=dof,
        p_value=t_two_sided_p(t, dof),
        effect_size=mean / sd if sd > 0 else None,
        ci95=t_quantile(0.975, dof) * se,
    )
    return out


def satterthwaite(*terms: tuple[float, float]) -> float:
    """The Welch-Satterthwaite degrees of freedom of a sum of variance estimates, each given as
    (variance, its degrees of freedom)."""
    total = sum(v for v, _ in terms)
    denom = sum(v * v / f for v, f in terms if v > 0)
    return total * total / denom if denom > 0 else min(f for _, f in terms)


#: seeds_needed looks no further than this many seeds
MAX_SEEDS = 1000


def seeds_needed(
    mean: float,
    sd: float,
    alpha: float = 0.05,
    limit: int = MAX_SEEDS,
    *,
    per_seed: int = 1,
    ratio: float = 0.0,
    sample_se: float | None = None,
    samples: int | None = None,
) -> int | None:
    """The fewest seeds n >= 2 at which the paired t-test of differences with this ``mean`` and
    ``sd`` would give a two-sided p below ``alpha``: |mean| sqrt(n) / sd beyond the Student t
    quantile with n-1 degrees of freedom. It is the seed count at which the observed change, if
    its mean and sd held, would be called better or worse (with the true effect at that size, a
    re-run at n seeds reaches p < alpha about half the time). None when ``mean`` is 0 or more
    than ``limit`` seeds would be needed; 2 when ``sd`` is 0. With folds, each seed gives
    ``per_seed`` differences and the test is :func:`paired_t`'s corrected one (``ratio``):
    more seeds then cannot shrink the variance below ``ratio sd^2``, and may never resolve.
    With ``sample_se`` (:func:`paired_t_samples`, over ``samples`` validation samples) the
    validation set's share of the variance stays whatever the seeds: likewise."""
    if not (math.isfinite(mean) and math.isfinite(sd)) or mean == 0.0:
        return None
    if sd == 0.0:
        return 2 if per_seed == 1 else 1

    b = sample_se * sample_se if sample_se else 0.0

    def resolved(n: int) -> bool:
        k = n * per_seed
        if k < 2:
            return False
        a = sd * sd * (1.0 / k + ratio)
        dof = satterthwaite((a, k - 1), (b, (samples or 2) - 1)) if b > 0 else k - 1
        return t_two_sided_p(abs(mean) / math.sqrt(a + b), dof) < alpha

    if not resolved(limit):
        return None
    lo, hi = 2 if per_seed == 1 else 1, limit  # |mean| sqrt(n) / sd grows and the t quantile falls with n: monotone
    while lo < hi:
        mid = (lo + hi) // 2
        if resolved(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo
