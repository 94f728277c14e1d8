"""Is `overfitdoc rerun`'s "better" true on fresh data?

For each example spec, re-run it in process with the default fixes (``--fixes auto``) and
``--seeds N``, keep every run's models (``rerun(snapshots=True)``: the weights it ends with,
those of its best validation epoch, and its last epoch's before any restore), and score each
model on ``--fresh`` new points drawn from the distribution the spec's data() draws from (the
spec's ``fresh(n, seed)``). Then, for every variant, put the tool's judgement (better / worse /
within noise, on the kept weights and on the best epoch's, with its p-value) next to the
fresh-data paired difference across the same seeds, tested the same way (the paired t-test of
``overfitdoc/rerun/stats.py``, p < 0.05).

A "better" or "worse" judgement *agrees* with fresh data when the mean fresh-data difference
over the seeds has the same sign (the models the tool judged really are better, or worse, on
average on new data); it is *confirmed* when the fresh paired t-test also reaches p < 0.05 in
that direction. The target of issue 17: at least 95% of the judgements agree.

    python benchmarks/rerun/fresh_check.py --seeds 5 --markdown benchmarks/rerun/FRESH.md
    python benchmarks/rerun/fresh_check.py --from-json fresh.json --markdown FRESH.md   # re-render

``--json`` keeps every per-seed number, so the tables can be re-rendered (and a change in the
judgement re-measured on the same runs) without training again.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MARKER = "<!-- the tables below are written by benchmarks/rerun/fresh_check.py -->"
SPECS = (
    "examples/binary_mlp.py",
    "examples/moons_500.py",
    "examples/dropout_mlp.py",
    "examples/high_lr_regression.py",
)
ALPHA = 0.05


def score(model, x, y, prep) -> dict:
    """The spec's loss and accuracy of ``model`` on (x, y), in evaluation mode; None for both
    when there is no such model (a run whose validation loss was never finite has no best epoch)."""
    import torch

    if model is None:
        return {"loss": None, "accuracy": None}
    model.eval()
    outs = []
    with torch.no_grad():
        for a in range(0, len(x), 4096):
            outs.append(model(x[a : a + 4096].to(prep.device)).float())
        out = torch.cat(outs)
        yd = y.to(prep.device)
        loss = float(prep.criterion(out, yd))
        acc = float(prep.metrics["accuracy"](out, yd)) if "accuracy" in prep.metrics else None
    return {"loss": loss, "accuracy": acc}


def run_spec(
    spec: str, seeds: int, n_fresh: int, fresh_seed: int, epochs: int | None, folds: int | None = None
) -> dict:
    """One spec: the re-run's report (the judgements) and every run's fresh-data scores."""
    import runpy

    import torch

    from overfitdoc.rerun import rerun

    fresh_fn = runpy.run_path(str(ROOT / spec)).get("fresh")
    if fresh_fn is None:
        raise SystemExit(f"{spec}: defines no fresh(n, seed); add one (see examples/dropout_mlp.py)")
    t0 = time.perf_counter()
    res = rerun(
        str(ROOT / spec),
        seeds=seeds,
        folds=folds,
        epochs=epochs,
        device="cpu",
        keep_models=True,
        snapshots=True,
        plot=False,
    )
    train_s = time.perf_counter() - t0
    prep = res.prep
    x, y = fresh_fn(n_fresh, fresh_seed)
    dtype = next(p.dtype for p in res.units[0].model.parameters())
    x = x.to(dtype)
    runs = []
    for u in res.units:
        if u.status != "done":
            continue
        runs.append(
            {
                "variant": u.variant.name,
                "seed": u.seed,
                "fold": u.fold,
                "kept_epoch": u.kept_epoch,
                "best_epoch": u.best_snapshot_epoch,
                "epochs_run": len(u.rows),
                "kept": score(u.model, x, y, prep),
                "best": score(u.best_model, x, y, prep),
                "last": score(u.last_model, x, y, prep),
            }
        )
    report = res.to_dict()
    variants = [
        {
            "name": v["name"],
            "what": v["what"],
            "change": v["change"],
            "change_best": v["change_best"],
            "runs": [
                {
                    "seed": r["seed"],
                    "fold": r.get("fold"),
                    "kept_val_loss": r["kept_val_loss"],
                    "best_val_loss": r["best_val_loss"],
                    "best_epoch": r["best_epoch"],
                    "kept_epoch": r["kept_epoch"],
                }
                for r in v["runs"]
            ],
        }
        for v in report["variants"]
    ]
    del torch
    # the snapshots are of the epochs the report judges
    epochs = {(v["name"], *_pair(r)): (r["kept_epoch"], r["best_epoch"]) for v in variants for r in v["runs"]}
    for r in runs:
        assert epochs[(r["variant"], *_pair(r))] == (r["kept_epoch"], r["best_epoch"]), (r, epochs)
    return {
        "spec": spec,
        "seeds": seeds,
        "folds": folds,
        "epochs": report["setup"]["epochs"],
        "train_size": report["setup"]["train_size"],
        "val_size": report["setup"]["val_size"],
        "fresh": {"n": n_fresh, "seed": fresh_seed},
        "rerun_seconds": round(train_s, 1),
        "seconds": round(time.perf_counter() - t0, 1),
        "variants": variants,
        "fresh_runs": runs,
    }


def _finite(x) -> bool:
    """A fresh-data value that can be compared: a run that blew up scores NaN or inf there."""
    return x is not None and math.isfinite(x)


def fresh_change(block: dict, name: str, which: str, key: str = "loss") -> dict | None:
    """The paired fresh-data difference (variant - baseline, per seed) of ``which`` weights
    (kept / best / last), tested as the re-run tests: the paired t-test, p < 0.05."""
    from overfitdoc.rerun.stats import paired_t

    by = {(r["variant"], *_pair(r)): r for r in block["fresh_runs"]}
    diffs = [
        by[(name, *k)][which][key] - by[("baseline", *k)][which][key]
        for (v, *k) in by
        if v == name
        and ("baseline", *k) in by
        and _finite(by[(name, *k)][which][key])
        and _finite(by[("baseline", *k)][which][key])
    ]
    if not diffs:
        return None
    t = paired_t(diffs)
    mean = statistics.fmean(diffs)
    p = t["p_value"]
    j = (
        None
        if p is None
        else ("within_noise" if not (p < ALPHA and mean != 0) else ("better" if mean < 0 else "worse"))
    )
    if key == "accuracy" and j in ("better", "worse"):
        j = "worse" if j == "better" else "better"  # higher accuracy is better
    return {
        "mean": mean,
        "p_value": p,
        "judgement": j,
        "diffs": diffs,
        "seeds_lower": sum(d < 0 for d in diffs),
        "pairs": len(diffs),
    }


def _pair(run: dict) -> tuple:
    """What pairs a run with its baseline: its seed, and its fold with --folds."""
    return run["seed"], run.get("fold")


def seeds_only(v: dict, base: dict, field: str) -> dict | None:
    """The judgement of the plain paired t-test across seeds alone (the re-run's before the
    validation set's sampling noise was added), from the report's per-seed values."""
    from overfitdoc.rerun.stats import paired_t

    by = {r["seed"]: r[field] for r in base["runs"] if r[field] is not None}
    diffs = [r[field] - by[r["seed"]] for r in v["runs"] if r[field] is not None and r["seed"] in by]
    if len(diffs) < 2:
        return None
    mean, p = statistics.fmean(diffs), paired_t(diffs)["p_value"]
    j = "within_noise" if not (p is not None and p < ALPHA and mean != 0) else ("better" if mean < 0 else "worse")
    return {"mean": mean, "p_value": p, "judgement": j}


def agreement(rows: list[dict], side: str) -> dict:
    rows = [r for r in rows if r[side] is not None]
    judged = [r for r in rows if r[side]["judgement"] in ("better", "worse")]
    agree = [
        r for r in judged if (r["fresh"]["mean"] < 0) == (r[side]["judgement"] == "better") and r["fresh"]["mean"] != 0
    ]
    confirmed = [r for r in judged if r["fresh"]["judgement"] == r[side]["judgement"]]
    within = [r for r in rows if r[side]["judgement"] == "within_noise"]
    missed = [r for r in within if r["fresh"]["judgement"] in ("better", "worse")]
    return {
        "judged": len(judged),
        "agree": len(agree),
        "confirmed": len(confirmed),
        "within_noise": len(within),
        "missed": len(missed),
    }


def compare(blocks: list[dict]) -> dict:
    """Every tool judgement next to its fresh-data counterpart, and the agreement shares."""
    rows = []
    for b in blocks:
        base = next(v for v in b["variants"] if v["name"] == "baseline")
        for v in b["variants"]:
            if v["name"] == "baseline":
                continue
            for on, change_key, which in (("kept", "change", "kept"), ("best", "change_best", "best")):
                c = v[change_key]
                f = fresh_change(b, v["name"], which)
                if c is None or f is None:
                    continue
                j = c["judgement"]
                agree = confirmed = None
                if j in ("better", "worse"):
                    agree = (f["mean"] < 0) == (j == "better") and f["mean"] != 0
                    confirmed = f["judgement"] == j
                rows.append(
                    {
                        "spec": b["spec"],
                        "variant": v["name"],
                        "on": on,
                        "tool": {
                            "mean": c["mean"],
                            "p_value": c["p_value"],
                            "judgement": j,
                            "test": c.get("test"),
                            "sample_se": c.get("sample_se"),
                        },
                        "seeds_only": None
                        if b.get("folds")
                        else seeds_only(v, base, "kept_val_loss" if on == "kept" else "best_val_loss"),
                        "fresh": {k: f[k] for k in ("mean", "p_value", "judgement", "seeds_lower", "pairs")},
                        "fresh_accuracy": fresh_change(b, v["name"], which, "accuracy"),
                        "agree": agree,
                        "confirmed": confirmed,
                    }
                )
    return {"rows": rows, **agreement(rows, "tool"), "before": agreement(rows, "seeds_only")}


def _p(x) -> str:
    return "-" if x is None else f"{x:.2g}"


def _seeds_only(s: dict | None) -> str:
    return "-" if s is None else f"p={_p(s['p_value'])} {_j(s['judgement'])}"


def _j(j) -> str:
    return {"better": "**better**", "worse": "**worse**", "within_noise": "within noise", None: "-"}[j]


def markdown(doc: dict) -> str:
    cmp = compare(doc["blocks"])
    m = doc["machine"]
    out = [
        "## The measurement",
        "",
        f"`{doc['command']}`, on {m['cpu']} ({m['cores']} cores shared with other jobs), torch "
        f"{m['torch']}, Python {m['python']}; wall time {doc['wall_seconds']:.0f} s in all. Each spec is "
        f"re-run with its default fixes (`--fixes auto`, the top 5 of the advice) and {doc['seeds']} seeds"
        + (f" x {doc['folds']} folds (`--folds`)" if doc.get("folds") else "")
        + "; every "
        "run's kept weights (what it ends with: the restored best epoch under early stopping, else the last) and "
        f"best-epoch weights are scored on {doc['blocks'][0]['fresh']['n']:,} fresh points drawn from the "
        "distribution of the spec's data() (its `fresh(n, seed)`). Tool: the re-run's own judgement (the paired t-test "
        "of the validation loss across seeds, with the validation set's sampling noise added: `test` in the table; "
        "seeds alone: the paired t-test across seeds without it, the judgement before); fresh: the same paired t-test of the fresh-data loss over the same "
        "seeds (lower: in how many seeds, or seeds x folds, the variant's fresh loss is below the baseline's).",
        "",
    ]
    sides = [("The re-run's judgement", cmp)]
    if not all(b.get("folds") for b in doc["blocks"]):
        sides.append(
            (
                "The paired t-test across seeds alone (the judgement before the validation set's noise was added)",
                cmp["before"],
            )
        )
    for label, a in sides:
        out += [
            f"**{label}: {a['agree']} of {a['judged']} better/worse judgements "
            f"({100 * a['agree'] / max(a['judged'], 1):.0f}%) have the sign of the fresh-data difference**; "
            f"{a['confirmed']} of them are also p < 0.05 on fresh data. {a['within_noise']} judgements are "
            f"within noise; {a['missed']} of those are better or worse on fresh data at p < 0.05 (effects the "
            "validation split did not resolve).",
            "",
        ]
    for b in doc["blocks"]:
        out += [
            f"### {b['spec']}",
            "",
            f"{b['train_size']} training / {b['val_size']} validation samples"
            + (f" per fold, {b['seeds']} seeds x {b['folds']} folds" if b.get("folds") else f", {b['seeds']} seeds")
            + f", {b['epochs']} epochs; "
            f"{b['seconds']:.0f} s (re-run {b['rerun_seconds']:.0f} s).",
            "",
            "| variant | weights | tool: change, p | tool | test | seeds alone: p | fresh: change, p | fresh lower "
            "| fresh | fresh acc change | agrees |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in [r for r in cmp["rows"] if r["spec"] == b["spec"]]:
            t, f, a = r["tool"], r["fresh"], r["fresh_accuracy"]
            agree = "-" if r["agree"] is None else ("yes" if r["agree"] else "**no**")
            out.append(
                f"| {r['variant']} | {r['on']} | {t['mean']:+.3g} p={_p(t['p_value'])} | {_j(t['judgement'])} | "
                f"{t.get('test') or '-'} | {_seeds_only(r['seeds_only'])} | "
                f"{f['mean']:+.3g} p={_p(f['p_value'])} | {f['seeds_lower']}/{f['pairs']} | {_j(f['judgement'])} | "
                f"{'-' if a is None else format(a['mean'], '+.3f')} | {agree} |"
            )
        base = [r for r in b["fresh_runs"] if r["variant"] == "baseline"]
        if base:
            kl = statistics.fmean(r["kept"]["loss"] for r in base if r["kept"]["loss"] is not None)
            bl = statistics.fmean(r["best"]["loss"] for r in base if r["best"]["loss"] is not None)
            out += ["", f"Baseline fresh loss: kept weights {kl:.4f}, best-epoch weights {bl:.4f}."]
        restored = {}
        for r in b["fresh_runs"]:
            if r["kept_epoch"] != r["epochs_run"]:  # restored or averaged: the last epoch's weights differ
                restored.setdefault(r["variant"], []).append(r)
        for name, rs in restored.items():
            k = statistics.fmean(r["kept"]["loss"] for r in rs if r["kept"]["loss"] is not None)
            last = statistics.fmean(r["last"]["loss"] for r in rs if r["last"]["loss"] is not None)
            out += [
                "",
                f"{name}: fresh loss of the kept weights {k:.4f}, of its last epoch's before restoring {last:.4f} "
                f"({len(rs)} seeds).",
            ]
        out.append("")
    disagree = [r for r in cmp["rows"] if r["agree"] is False]
    if disagree:
        out += ["### Judgements fresh data does not agree with", ""]
        for r in disagree:
            out.append(
                f"* {r['spec']} {r['variant']} ({r['on']}): tool {r['tool']['judgement']} "
                f"{r['tool']['mean']:+.3g} p={_p(r['tool']['p_value'])}; fresh {r['fresh']['mean']:+.3g} "
                f"p={_p(r['fresh']['p_value'])}, lower in {r['fresh']['seeds_lower']}/{r['fresh']['pairs']} seeds"
            )
        out.append("")
    return "\n".join(out)


def machine() -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", nargs="*", default=list(SPECS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=None, help="default: each spec's own")
    ap.add_argument("--fresh", type=int, default=20_000, help="fresh points per spec")
    ap.add_argument("--fresh-seed", type=int, default=12345)
    ap.add_argument("--folds", type=int, default=None, help="re-run with --folds K (the runs are seed x fold)")
    ap.add_argument("--json", help="write every number here")
    ap.add_argument("--from-json", help="re-render a --json file instead of training")
    ap.add_argument("--markdown", help="write the tables here")
    args = ap.parse_args()
    if args.from_json:
        doc = json.loads(Path(args.from_json).read_text())
    else:
        t0 = time.perf_counter()
        blocks = []
        for spec in args.specs:
            blocks.append(run_spec(spec, args.seeds, args.fresh, args.fresh_seed, args.epochs, args.folds))
            print(f"{spec}: {blocks[-1]['seconds']:.0f} s", file=sys.stderr)
        doc = {
            "command": "python " + " ".join([str(Path(sys.argv[0]))] + [a for a in sys.argv[1:]]),
            "seeds": args.seeds,
            "folds": args.folds,
            "machine": machine(),
            "wall_seconds": time.perf_counter() - t0,
            "blocks": blocks,
        }
        if args.json:
            Path(args.json).write_text(json.dumps(doc, indent=1) + "\n")
    text = markdown(doc)
    if args.markdown:
        # what is written above the marker (the reading of the tables) is kept
        target = Path(args.markdown)
        old = target.read_text() if target.exists() else ""
        head = old[: old.index(MARKER)] if MARKER in old else (old.rstrip() + "\n\n" if old.strip() else "")
        target.write_text(head + MARKER + "\n\n" + text + "\n")
    print(text)


if __name__ == "__main__":
    main()
