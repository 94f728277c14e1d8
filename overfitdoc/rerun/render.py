"""The terminal rendering of a re-run: it reads the result dict that ``--format json``
prints, and computes nothing of its own. Imports no torch."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..numbers import num, pct
from ..render.text import VERDICT_STYLE

JUDGEMENT_STYLE = {"better": "bold green", "worse": "bold red", "within_noise": "dim"}


def _pm(stat: dict | None, digits: int = 4) -> str:
    if not stat or stat.get("mean") is None:
        return "-"
    text = num(stat["mean"], digits)
    if stat.get("sd") is not None:  # one significant digit: the spread is a rough number
        text += f" ±{stat['sd']:.1g}"
    return text


def _epoch(stat: dict | None) -> str:
    """The range of the seeds' epochs: 1-based, as every output of the re-run and diagnose of
    its histories number them."""
    if not stat or stat.get("mean") is None:
        return "-"
    lo, hi = int(stat["min"]), int(stat["max"])
    return str(lo) if lo == hi else f"{lo}-{hi}"


def change_text(change: dict | None) -> str:
    if change is None:
        return "-"
    text = f"{change['mean']:+.2g}"
    if change.get("noise") is not None:
        text += f" ±{change['noise']:.2g}"
    if change.get("p_value") is not None:
        text += f" p={change['p_value']:.2g}"
    return text


def change_cell(change: dict | None) -> Text:
    """The mean paired change and its p-value, with the judgement word when there is one
    (better/worse: p < 0.05; nothing when within the noise; "no judgement" with one seed)."""
    if change is None:
        return Text("-", style="dim")
    text = f"{change['mean']:+.2g}"
    if change.get("p_value") is not None:
        text += f" p={change['p_value']:.2g}"
    j = change.get("judgement")
    if j in ("better", "worse"):
        return Text.assemble(text + " ", (j, JUDGEMENT_STYLE[j]))
    if change.get("pairs") == 1:
        return Text(text + " no judgement", style="dim")
    return Text(text, style="dim")


def judgement_text(change: dict | None) -> Text:
    if change is None or change.get("judgement") is None:
        if change is not None and change.get("pairs") == 1:
            return Text("no judgement (1 seed)", style="dim")
        return Text("-" if change is None else "unknown", style="dim")
    j = change["judgement"]
    return Text({"better": "better", "worse": "worse", "within_noise": "within noise"}[j], style=JUDGEMENT_STYLE[j])


def _signed_pct(x: float) -> str:
    return ("+" if x > 0 else "") + pct(x)


def resolution_line(res: dict | None) -> str | None:
    """One line when changes that matter (at least ``visible_change`` of the baseline's val
    loss) stayed within noise: the validation split and seeds could not resolve them."""
    if not res or res["resolved"]:
        return None
    un = res["unresolved"]
    shown = ", ".join(f"{u['name']} {_signed_pct(u['relative'])}" for u in un[:3]) + (
        f" and {len(un) - 3} more" if len(un) > 3 else ""
    )
    first = un[0]
    seeds = res["seeds"]
    folds = res.get("folds")
    runs = f"{seeds} seed{'s' if seeds != 1 else ''}" + (f" x {folds} folds" if folds else "")
    on = f"{res['val_size']:,} validation samples" + (" per fold" if folds else "")
    text = (
        f"Not resolved: {shown} {'is' if len(un) == 1 else 'are'} within noise, though "
        f"{'it changes' if len(un) == 1 else 'each changes'} the val loss by {pct(res['visible_change'])} or more: "
        f"{runs} on {on} can detect no change smaller than ±{first['noise']:.2g} ({first['name']}'s). "
    )
    cures = (
        "add data (with --folds every pooled sample is validated on already); overfitdoc explain small-validation-set."
        if folds
        else "validate on more samples (--val-fraction F re-splits the data, a share F for validation) or use k-fold "
        "cross-validation (--folds K); overfitdoc explain small-validation-set."
    )
    if res["seeds_needed"] is not None:
        text += (
            f"--seeds {res['seeds_needed']} would resolve {res['seeds_needed_for']}'s change if its mean and sd "
            f"held; or {cures}"
        )
    elif first.get("sample_se"):
        text += (
            f"No number of seeds would: the {res['val_size']:,} validation samples' own noise (standard error "
            f"{first['sample_se']:.2g}) stays whatever the seeds; {cures}"
        )
    else:
        text += f"Not even {res['max_seeds']:,} seeds would at this sd: {cures}"
    return text


SHORT_METRICS = {"accuracy": "acc"}

#: what a variant shares with the baseline run of its seed (trainer.py, runner.make_unit)
PAIRED = (
    "same initial weights but for the layers a fix rebuilds or adds, same data order, same random streams: "
    "the model's own dropout too"
)


def results_table(result: dict) -> Table:
    metric = result["setup"].get("metric")
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
    table.add_column("variant", no_wrap=True)
    table.add_column("val loss", justify="right", no_wrap=True)
    if metric:
        table.add_column(f"val {SHORT_METRICS.get(metric, metric)}", justify="right", no_wrap=True)
    table.add_column("best (epoch)", justify="right", no_wrap=True)
    table.add_column("gap", justify="right", no_wrap=True)
    table.add_column("verdict", min_width=11)
    table.add_column("kept: change, p")
    table.add_column("best: change, p")
    for v in result["variants"]:
        complete, total = v["seeds_complete"], len(v["runs"])
        name = Text(v["name"], style="bold" if v["baseline"] else "")
        timed_out = any(r["status"] == "timed_out" for r in v["runs"])
        if v.get("partial") or (timed_out and not complete):
            name.append(" (timed out)" if timed_out else " (partial)", style="yellow")
        elif total and complete < total:
            name.append(f" ({complete}/{total})", style="yellow")
        verdict = v["verdict"]
        row: list[str | Text] = [name, _pm(v["kept_val_loss"])]
        if metric:
            m = v["kept_val_metric"]
            row.append(num(m["mean"], 3) if m and m.get("mean") is not None else "-")
        best = v["best_val_loss"]
        row.append(f"{num(best['mean'], 4)} ({_epoch(v['best_epoch'])})" if best.get("mean") is not None else "-")
        gap = v["final_gap"]
        row += [
            num(gap["mean"], 2) if gap.get("mean") is not None else "-",
            Text(verdict.replace("_", " ") if verdict else "-", style=VERDICT_STYLE.get(verdict or "", "")),
            change_cell(v["change"]),
            change_cell(v.get("change_best")),
        ]
        table.add_row(*row)
    return table


def run_label(variant: dict, run: dict) -> str:
    """``dropout (seed 0)``, or ``dropout (seed 0, fold 2)`` with --folds."""
    fold = "" if run.get("fold") is None else f", fold {run['fold']}"
    return f"{variant['name']} (seed {run['seed']}{fold})"


def _resplit(setup: dict) -> str:
    """How the samples were re-split, when they were (--val-fraction, --folds)."""
    if setup.get("folds"):
        return f" per fold ({setup['folds']}-fold, {setup['pooled_size']:,} pooled, a new partition per seed)"
    if setup.get("val_fraction"):
        return f" (--val-fraction {setup['val_fraction']:g} of {setup['pooled_size']:,} pooled)"
    return ""


def render(result: dict) -> Group:
    s = result["setup"]
    parts: list = []
    head = Text()
    head.append(f"overfitdoc rerun {result['spec']}", style="bold")
    parts.append(head)
    opt = s["optimizer"]
    metric = f", metric {s['metric']}" if s.get("metric") else ""
    parts.append(Text(f"Model: {s['parameters']:,} parameters, {opt}, loss {s['loss']} ({s['loss_reason']}){metric}"))
    seeds = len(s["seeds"])
    parts.append(
        Text(
            f"Data: {s['train_size']:,} training and {s['val_size']:,} validation samples{_resplit(s)}, "
            f"batch {s['batch_size']}, {s['epochs']} epochs, {seeds} seed{'s' if seeds != 1 else ''}, {s['device']}"
            f"{' (bf16 autocast)' if s['amp'] else ''}, {s['jobs']} concurrent run{'s' if s['jobs'] != 1 else ''}"
            + (f", --timeout {s['timeout']:g} s per run" if s.get("timeout") else "")
            + (f", as Ray tasks on {s['ray']['where']} ({s['ray']['cpus']} CPUs)" if s.get("ray") else "")
        )
    )
    parts += [Text(line) for line in batched_lines(s.get("batched"))]
    fx = result["fixes"]
    if fx.get("diagnosis"):
        d = fx["diagnosis"]
        t = Text(f"Fixes: chosen by {fx['chosen_by']}, from the diagnosis of {d['source']}: ")
        t.append(d["verdict"].replace("_", " ").upper(), style=VERDICT_STYLE.get(d["verdict"], "bold"))
        parts.append(t)
        parts.append(Text(f"  {d['summary']}", style="dim"))
    for sk in fx.get("skipped", []):
        parts.append(Text(f"  skipped {sk['fix']}: {sk['reason']}", style="yellow"))
    parts.append(Text(""))
    parts.append(results_table(result))
    line = resolution_line(result.get("resolution"))
    if line:
        parts.append(Text(line, style="yellow"))
    parts.append(Text(""))
    what = [(v["name"], v["what"]) for v in result["variants"] if v["what"]]
    if what:
        parts.append(Text("What each variant changed:", style="bold"))
        for name, items in what:
            parts.append(Text(f"  {name}: {'; '.join(items)}"))
    pairs = max((v["change"]["pairs"] for v in result["variants"] if v.get("change")), default=0)
    basis = next((v["change"]["noise_basis"] for v in result["variants"] if v.get("change")), None)
    folds = s.get("folds")
    if basis == "seeds" and folds:
        parts.append(
            Text(
                f"Val loss: of the weights each run ends with (early stopping: its restored best epoch; swa: the "
                f"averaged weights), mean ±sd over {pairs} runs ({seeds} seed{'s' if seeds != 1 else ''} x {folds} folds). Change: its mean "
                "paired difference from the baseline of the same seed and fold (same initial weights, data order and "
                "split), kept: of the weights the run ends with, best: of its best epoch's; p: of the corrected "
                "resampled t-test (Nadeau and Bengio: the variance of the mean is (1/runs + validation/training "
                f"samples) x sd², Student t with {pairs - 1} dof), which allows for the folds' overlapping training "
                "sets; better or worse only when p < 0.05. Best: the lowest val loss of the run. Gap: final val minus "
                "train loss.",
                style="dim",
            )
        )
    elif basis == "seeds":
        with_samples = any(
            (v.get(k) or {}).get("test") == "paired+samples"
            for v in result["variants"]
            for k in ("change", "change_best")
        )
        test = (
            "p: of the paired t-test across seeds with the validation set's own sampling noise added (the variance of "
            "the mean change is the seeds' variance / seeds + the per-sample differences' variance / validation "
            "samples, Welch-Satterthwaite dof): more seeds cannot resolve a change the validation set cannot"
            if with_samples
            else "p: of the paired t-test (Student t, seeds-1 dof)"
        )
        parts.append(
            Text(
                f"Val loss: of the weights each run ends with (early stopping: its restored best epoch; swa: the "
                f"averaged weights), mean ±sd over {pairs} seeds. Change: its mean paired difference from the "
                f"baseline run of the same seed ({PAIRED}), kept: of the weights the run ends with, best: of "
                f"its best epoch's; {test}; better or worse only when p < 0.05 (the 95% interval of the mean, noise "
                "in --format json, then excludes 0). Best: the lowest val loss of the run. Gap: final val minus train "
                "loss.",
                style="dim",
            )
        )
    elif basis == "epochs":
        parts.append(
            Text(
                "Val loss: of the weights the run ends with (early stopping: its restored best epoch; swa: the "
                f"averaged weights). Change: its difference from the baseline run of the same seed ({PAIRED}); "
                "one seed, so no judgement is possible (the ± is 2 x the baseline's epoch-to-epoch noise, for "
                "scale): use --seeds 3 or more for a paired t-test across seeds. Best: the lowest val loss of the run. Gap: final val "
                "minus train loss.",
                style="dim",
            )
        )
    notes = [f"{run_label(v, r)}: {n}" for v in result["variants"] for r in v["runs"][:1] for n in r["notes"]]
    for n in notes:
        parts.append(Text(f"note: {n}", style="dim"))
    for v in result["variants"]:
        for r in v["runs"]:
            if r["error"] and r["status"] == "timed_out":
                parts.append(Text(f"{run_label(v, r)} {r['error']}", style="red"))
            elif r["error"]:
                parts.append(Text(f"{run_label(v, r)} failed: {r['error']}", style="red"))
    if result.get("interrupted"):
        done = sum(r["status"] == "done" for v in result["variants"] for r in v["runs"])
        partial = sum(r["status"] == "partial" for v in result["variants"] for r in v["runs"])
        parts.append(
            Text(
                f"Interrupted: kept {done} finished and {partial} partial histor{'y' if partial == 1 else 'ies'}"
                + (f" in {result['out_dir']}" if result.get("out_dir") else "")
                + ".",
                style="bold yellow",
            )
        )
    elif result.get("out_dir"):
        parts.append(
            Text(
                f"Histories: {result['out_dir']}/<variant>-seed<N>{'-fold<K>' if s.get('folds') else ''}.json "
                "(PyTorch JSON, written as each run "
                "trains) and .csv (Keras CSV): overfitdoc diagnose or plot --compare reads them",
                style="dim",
            )
        )
    outputs = result.get("outputs") or {}
    if outputs.get("summary"):
        parts.append(Text(f"Summary: {outputs['summary']} (this result, as --format json prints it)", style="dim"))
    if outputs.get("compare_plot"):
        parts.append(Text(f"Comparison plot: {outputs['compare_plot']}", style="dim"))
    elif outputs.get("compare_plot_note") and not result.get("interrupted"):
        parts.append(Text(f"note: comparison plot {outputs['compare_plot_note']}", style="dim"))
    return Group(*parts)


def print_result(result: dict, console: Console) -> None:
    console.print(render(result))


def _seeds(seeds: list[int]) -> str:
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(str(x) for x in seeds)}"


def batched_lines(batched: dict | None) -> list[str]:
    """--batched: which runs trained as one stacked model, and which threaded and why."""
    if not batched:
        return []
    lines = []
    for st in batched["stacks"]:
        lines.append(
            f"Batched: {st['runs']} runs as one stacked model ({', '.join(st['variants'])}; {_seeds(st['seeds'])})"
        )
    if not batched["stacks"]:
        lines.append("Batched: no runs could be stacked")
    for th in batched["threaded"]:
        lines.append(f"  threaded {th['variant']} ({_seeds(th['seeds'])}): {th['reason']}")
    return lines
