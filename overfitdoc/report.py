"""The report: the contract's dict (../CONTRACT.md, docs/json.md), built once from a
:class:`Diagnosis`. Every renderer (text, markdown, JSON, JUnit, plots) reads this dict or
the Diagnosis it came from; none computes anything of its own."""

from __future__ import annotations

import math
from dataclasses import asdict

from ._version import __version__
from .analysis import Diagnosis

SCHEMA_VERSION = 1


def clean(x):
    """Strict JSON: non-finite floats become null (they are listed in ``nonfinite_epochs``)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    return x


def run_report(d: Diagnosis, advice: list | None = None) -> dict:
    """One RUN object of the contract, plus the documented additive fields."""
    mon = d.monitor
    run = {
        "source": d.source,
        "ok": True,
        "format": d.format,
        "epoch_base": d.epoch_base,
        "epochs": d.epochs,
        "monitor": None
        if mon is None
        else {"metric": mon.metric, "train": mon.train, "val": mon.val, "mode": mon.mode},
        "series": list(d.series),
        "best_epoch": d.best_epoch,
        "best_val": d.best_val,
        "recommended_epoch": d.recommended_epoch,
        "divergence_epoch": d.divergence_epoch,
        "divergence_range": list(d.divergence_range) if d.divergence_range else None,
        "epochs_past_best": d.epochs_past_best,
        "gap": {
            "final": d.gap.final,
            "at_best": d.gap.at_best,
            "relative_final": d.gap.relative_final,
            "trend": d.gap.trend,
        },
        "bias": d.bias,
        "variance": d.variance,
        "verdict": d.verdict,
        "confidence": d.confidence,
        "summary": d.summary,
        "advice": [a.to_dict() for a in (advice or [])],
        # additive fields (docs/json.md)
        "unit": d.unit,
        "final": {
            "train": float(d.train[-1]) if len(d.train) else None,
            "val": float(d.val[-1]) if len(d.val) else None,
        },
        "noise": d.noise,
        "trend_window": d.window,
        "nonfinite_epochs": list(d.nonfinite),
        "notes": list(d.notes),
        "missing": d.missing or None,
        "cannot_tell": None
        if d.cannot_tell is None
        else {"kind": d.cannot_tell.kind, "reason": d.cannot_tell.reason, "experiment": d.cannot_tell.experiment},
        "rejected_rise": None
        if d.rejected_rise is None
        else {
            "verdict": d.rejected_rise.verdict,
            "confidence": d.rejected_rise.confidence,
            "rise": d.rejected_rise.rise,
            "epoch": d.rejected_rise.epoch,
        },
        "val_size": None
        if d.val_size is None
        else {"n": d.val_size.n, "source": d.val_size.source, "series": d.val_size.series},
        "split_se": d.split_se,
        "rise_in_split_se": d.rise_in_split_se,
        # its fields but the share, which the verdict's margin reads
        "frozen_decisions": None if d.frozen is None else {k: v for k, v in asdict(d.frozen).items() if k != "share"},
    }
    return clean(run)


def undiagnosable(run: dict) -> str | None:
    """Why a run that was read cannot be judged, or None: it has no monitored pair (no
    validation series, or none named by ``--monitor``); ``missing`` says what is missing."""
    if run.get("ok") is not True or "monitor" not in run or run["monitor"] is not None:
        return None
    return run.get("missing") or run.get("summary") or "no monitored pair"


def error_report(source: str, reason: str) -> dict:
    return {"source": source, "ok": False, "error": reason}


def report(runs: list[dict]) -> dict:
    return {"schema_version": SCHEMA_VERSION, "tool": {"name": "overfitdoc", "version": __version__}, "runs": runs}
