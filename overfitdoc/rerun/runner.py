"""The whole re-run: load and check the spec, choose the fixes, train the baseline and the
variants for every seed, write each history, diagnose it, and compare with the baseline."""

from __future__ import annotations

import copy
import functools
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from ..analysis import Diagnosis, diagnose
from ..errors import UsageError
from ..history import from_table
from ..io import atomic_write, check_writable_folder
from .batched import enabled as batch_enabled
from .batched import execute_batched
from .compare import RunRecord, build_report
from .executor import default_jobs, execute
from .fixes import BASELINE, Recipe, Variant, choose_auto, make_variant, parse_fixes, skip_reason
from .prepare import Prepared, fold_splits, prepare, val_fraction_split
from .spec import SpecError, exit_call, load_spec, spec_environment
from .trainer import Unit

DEVICES = ("auto", "cuda", "cpu")

#: a run's JSON history is rewritten after an epoch when its last write is at least this
#: old (seconds): every epoch of a run whose epochs take longer, about twice a second for
#: tiny runs (each write is an fsync'd atomic replace, about 2 ms); always at the run's end
#: and when it is interrupted
HISTORY_WRITE_INTERVAL = 0.5
SUMMARY_NAME = "summary.json"
T = TypeVar("T")
COMPARE_PLOT_NAME = "compare.png"


@dataclass
class RerunResult:
    """What a re-run produced: the report dict (:meth:`to_dict`), and the units themselves
    (with their final models and, when asked, their trainers) for use from Python."""

    report: dict
    units: list[Unit] = field(default_factory=list)
    prep: Prepared | None = None

    def to_dict(self) -> dict:
        return self.report

    @property
    def interrupted(self) -> bool:
        return bool(self.report.get("interrupted"))

    def unit(self, variant: str, seed: int = 0) -> Unit:
        return next(u for u in self.units if u.variant.name == variant and u.seed == seed)


def resolve_device(name: str) -> torch.device:
    if name not in DEVICES:
        raise UsageError(f"--device must be one of {', '.join(DEVICES)}, not {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available to this PyTorch")
    return torch.device(name)


def _contained(fn):
    """Run the whole re-run inside :func:`.spec.spec_environment` (``sys.argv`` is the spec
    alone, no bytecode), and turn a ``sys.exit`` the spec calls outside training (at import,
    in data(), model(), optimizer(), the loss...) into one :class:`SpecError` line. overfitdoc's
    library never calls sys.exit, so a SystemExit here is the spec's."""

    @functools.wraps(fn)
    def wrapper(spec_path: str, **kw):
        with spec_environment(spec_path):
            try:
                return fn(spec_path, **kw)
            except SystemExit as e:
                raise SpecError(spec_path, f"the spec called {exit_call(e)}") from None

    return wrapper


@_contained
def rerun(
    spec_path: str,
    *,
    history: str | None = None,
    fixes: str = "auto",
    top: int = 5,
    epochs: int | None = None,
    seeds: int = 3,
    val_fraction: float | None = None,
    folds: int | None = None,
    device: str = "auto",
    jobs: int = 0,
    out_dir: str | None = None,
    amp: bool = False,
    on_epoch: Callable[[Unit, int, dict], None] | None = None,
    on_unit: Callable[[Unit], None] | None = None,
    on_plan: Callable[[dict], None] | None = None,
    keep_trainers: bool = False,
    keep_models: bool = True,
    snapshots: bool = False,
    plot: bool = True,
    finishing: threading.Event | None = None,
    timeout: float | None = None,
    batched: bool | None = None,
    backend: str = "threads",
    address: str | None = None,
) -> RerunResult:
    """Re-train the spec's model as an unchanged baseline and under fixes, for ``seeds`` seeds.

    ``fixes``: ``"auto"`` (the top ``top`` applicable fixes for the diagnosis of ``history``,
    or of the baseline's first seed when no history is given), ``"none"``, or ids separated
    by commas, combined with ``+`` (``"weight-decay,dropout+swa"``). ``out_dir``: where the
    outputs go: each run's history ``<variant>-seed<N>.json`` (overfitdoc's PyTorch JSON,
    rewritten atomically as the run trains: see :data:`HISTORY_WRITE_INTERVAL`; an
    interrupted run keeps its finished epochs) and ``<variant>-seed<N>.csv`` (Keras CSV
    with epochs from 1, written when the run ends), ``summary.json`` (the result dict, also when interrupted)
    and, when matplotlib is installed and the re-run was not interrupted, ``compare.png``
    (every variant's validation curve averaged over its seeds, with a band from the lowest
    to the highest seed: :func:`compare_inputs`). ``plot=False`` skips the figure. ``on_epoch(unit, epoch,
    logs)`` is called after every epoch of every run (``epoch`` from 1, as every output
    numbers epochs; from worker threads when ``jobs > 1``);
    a KeyboardInterrupt raised there, or Ctrl-C, stops the re-run and keeps what was done.
    ``on_plan(plan)`` is called once the fixes are chosen, before the variants train.
    ``keep_models`` keeps each run's final model in ``result.units`` (the CLI drops them, to
    free the GPU as runs end); ``keep_trainers`` keeps the trainers too (tests, notebooks).
    ``snapshots`` also keeps, on each unit, copies of the model at its best val_loss epoch
    (``unit.best_model``, epoch ``unit.best_snapshot_epoch``) and after its last epoch before
    any restore or averaging (``unit.last_model``): to score them on other data
    (benchmarks/rerun/fresh_check.py); it changes no number of the re-run.
    ``val_fraction``: pool the spec's training and validation samples and split them once at
    random (the same split for every seed), this share for validation
    (:func:`.prepare.val_fraction_split`). ``folds``: pool them and, for each seed, partition
    them at random into ``folds`` folds; every variant runs once per seed and fold, validated on
    that fold and paired with the baseline of the same seed and fold, and the judgement is the
    corrected resampled t-test over the seeds x folds differences
    (:func:`.prepare.fold_splits`, :func:`.stats.paired_t`); files are
    ``<variant>-seed<N>-fold<K>``.
    ``timeout``: the most seconds importing the spec, each call of data() or model(), and each
    run may take. A run past it stops at its next batch, or is abandoned when it does not get
    there (status ``timed_out``, its finished epochs kept) and the others go on; an import,
    data() or model() past it is a :class:`SpecError` naming the call (the call is left
    running in a daemon thread: Python cannot stop it).
    ``finishing`` is set once training is over, while the results are written: the CLI's
    signal handler then no longer interrupts, so a second Ctrl-C cannot lose the summary.
    ``batched``: train the runs that differ only in their recipe as stacked models
    (:mod:`.batched`); None: on CUDA only, with the threads backend. ``setup.batched`` says
    which ran stacked.
    ``backend``: ``"threads"`` (this process, :mod:`.executor`) or ``"ray"`` (each unit a Ray
    task, on a local Ray or the cluster at ``address``: :mod:`.ray_backend`; the baseline that
    chooses the fixes when no history is given runs here). Stacking is for one device: with Ray,
    ``batched=True`` is a usage error.

    The spec is imported and run in this process, with its privileges, with ``sys.argv`` set
    to ``[spec_path]`` and no bytecode written; a ``sys.exit`` it calls is a :class:`SpecError`
    (in training: that run fails with the reason).
    """
    t0 = time.perf_counter()
    if seeds < 1:
        raise UsageError("--seeds must be at least 1")
    if epochs is not None and epochs < 1:
        raise UsageError("--epochs must be at least 1")
    if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    if val_fraction is not None and not 0.0 < val_fraction < 1.0:
        raise UsageError(f"--val-fraction must be between 0 and 1 (the validation share), not {val_fraction:g}")
    if folds is not None and folds < 2:
        raise UsageError(f"--folds must be at least 2, not {folds}")
    if folds is not None and val_fraction is not None:
        raise UsageError("--folds and --val-fraction both re-split the data; give one of them")
    if backend not in ("threads", "ray"):
        raise UsageError(f"--backend must be threads or ray, not {backend!r}")
    if backend == "ray":
        from .ray_backend import require_ray

        require_ray()
        if keep_trainers:
            raise UsageError("keep_trainers needs backend='threads': a Ray worker's trainer stays there")
        if batched:
            raise UsageError("--batched needs --backend threads: a stack trains on one device, Ray spreads the runs")
    dev = resolve_device(device)
    if amp and dev.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise UsageError("--amp uses bfloat16 autocast, which this GPU does not support")
    named = None if fixes.strip() == "auto" else parse_fixes(fixes)  # usage errors before any work
    if timeout is not None:
        # torch's first optimizer imports torch._dynamo (seconds): not the spec's time
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    spec = bounded(lambda: load_spec(spec_path), timeout, spec_path, ["importing the spec"])
    stage: list[str] = []
    prep = bounded(lambda: prepare(spec, dev, epochs=epochs, amp=amp, stage=stage), timeout, spec_path, stage)
    pooled_size = len(prep.train) + len(prep.val)
    fold_preps: dict[tuple[int, int], Prepared] = {}
    if val_fraction is not None:
        prep = val_fraction_split(prep, val_fraction)
    elif folds is not None:
        fold_preps = fold_splits(prep, folds, seeds)
        prep = fold_preps[0, 0]  # what the setup shows and the fixes are chosen for
    fold_ids: list[int | None] = list(range(folds)) if folds is not None else [None]
    out = Path(out_dir) if out_dir else None
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"--out {out_dir}: {e.strerror or e}") from None
        check_writable_folder(out, f"--out {out_dir}")  # a read-only folder: before any training

    stop = threading.Event()
    diagnoses: dict[int, Diagnosis | None] = {}

    last_write: dict[int, float] = {}

    def write_json(unit: Unit) -> None:
        assert out is not None  # called only with an output directory
        path = out / f"{unit.file_stem}.json"
        atomic_write(path, history_json(unit.rows))
        unit.history_path = str(path)
        last_write[id(unit)] = time.perf_counter()

    def epoch_hook(unit: Unit, epoch: int, logs: dict) -> None:
        # before the caller's callback: an interruption raised there keeps this epoch on disk
        if out is not None and time.perf_counter() - last_write.get(id(unit), -math.inf) >= HISTORY_WRITE_INTERVAL:
            write_json(unit)
        if on_epoch is not None:
            on_epoch(unit, epoch, logs)

    def on_done(unit: Unit) -> None:
        if out is not None and unit.rows:
            write_json(unit)
            path = out / f"{unit.file_stem}.csv"
            atomic_write(path, history_csv(unit.rows))
            unit.csv_path = str(path)
        if on_unit is not None:
            on_unit(unit)

    hook = epoch_hook if (out is not None or on_epoch is not None) else None
    # what every executor here is given: the threaded one (baseline, then the rest) and the stacked one
    run_with: dict[str, Any] = dict(
        stop=stop, on_epoch=hook, on_done=on_done, keep_trainers=keep_trainers, keep_models=keep_models, timeout=timeout
    )

    batching: dict | None = None  # setup.batched: which runs trained stacked (--batched)
    fixes_info: dict = {"requested": fixes, "chosen_by": "named", "diagnosis": None, "skipped": []}
    units: list[Unit] = []
    first_base: Unit | None = None
    interrupted = False
    models: dict[int, torch.nn.Module] = {}
    ray_setup: dict = {}

    def make_unit(variant: Variant, seed: int, fold: int | None = None) -> Unit:
        own = fold_preps[seed, fold] if fold is not None else None
        recipe = Recipe(batch_size=prep.batch_size)
        for fix in variant.fixes:
            fix.configure(recipe, own or prep)
        if recipe.model_kwargs:
            kw = ", ".join(f"{k}={v!r}" for k, v in recipe.model_kwargs.items())
            model = bounded(lambda: prep.build_model(seed, **recipe.model_kwargs), timeout, spec_path, [f"model({kw})"])
        else:
            if seed not in models:  # one draw per seed: every variant starts here
                models[seed] = bounded(lambda: prep.build_model(seed), timeout, spec_path, ["model()"])
            model = copy.deepcopy(models[seed])
        for surgery in recipe.model_surgery:  # on this unit's copy, before its optimizer is made
            model = bounded(
                functools.partial(surgery, model, seed), timeout, spec_path, [f"rebuilding model() for {variant.name}"]
            )
        return Unit(variant, seed, recipe, prep.epochs, model, fold=fold, prep=own, snapshots=snapshots)

    advised: dict = {}  # the advice's params per fix id, when the advice chose the fixes
    if named is None:
        if history is not None:
            from ..api import diagnose as diagnose_file

            d = diagnose_file(history)
            source = history
        else:
            first_base = make_unit(BASELINE, 0, fold_ids[0])
            units.append(first_base)
            interrupted = execute([first_base], prep, jobs=1, **run_with)
            if first_base.status == "failed":
                raise spec.fail(f"the baseline failed in training: {first_base.error}")
            if first_base.status == "timed_out":
                raise spec.fail(f"the baseline (seed 0) {first_base.error}; no fixes can be chosen from it")
            d = _diagnose_unit(first_base, diagnoses)
            source = "baseline (seed 0)"
        chosen: list[str]
        skipped: list[tuple[str, str]]
        if interrupted or d is None:
            chosen, skipped = [], []
            fixes_info["chosen_by"] = "nothing: interrupted before the fixes were chosen"
        else:
            chosen, skipped, chosen_by, advised = choose_auto(d, prep, top)
            fixes_info.update(
                chosen_by=chosen_by,
                diagnosis={"source": source, "verdict": d.verdict, "summary": d.summary},
                skipped=[{"fix": i, "reason": r} for i, r in skipped],
            )
        groups: list[list[str]] = [[i] for i in chosen]
    else:
        groups = []
        for ids in named:
            reason = skip_reason(ids, prep)
            if reason:
                fixes_info["skipped"].append({"fix": "+".join(ids), "reason": reason})
            else:
                groups.append(ids)

    variants = [BASELINE] + [make_variant(g, advised) for g in groups]
    what = {v.name: [f.describe(prep) for f in v.fixes] for v in variants}
    plan = {"variants": [v.name for v in variants], "seeds": seeds, "fixes": fixes_info, "what": what}
    if on_plan is not None and not interrupted:
        on_plan(plan)
    if not interrupted:
        for seed in range(seeds):
            for fold in fold_ids:
                for v in variants:
                    if v.is_baseline and seed == 0 and fold == fold_ids[0] and first_base is not None:
                        continue
                    units.append(make_unit(v, seed, fold))
        units.sort(key=lambda u: (u.seed, u.fold or 0, variants.index(u.variant)))
        if backend == "threads" and batch_enabled(batched, dev):
            batching, interrupted = execute_batched(units, prep, **run_with)
        n_jobs = jobs if jobs > 0 else default_jobs(dev, sum(u.status == "pending" for u in units))
        if backend == "ray":
            interrupted, n_jobs, ray_setup = _on_ray(units, prep, spec_path, device, epochs, amp, val_fraction, folds,
                                                     seeds, jobs, stop, hook, on_done, keep_models, timeout, address)  # fmt: skip
        else:
            interrupted = interrupted or execute(units, prep, jobs=n_jobs, **run_with)
    else:
        n_jobs = 1
    if finishing is not None:
        finishing.set()

    records = []
    for u in units:
        d = _diagnose_unit(u, diagnoses)
        records.append(
            RunRecord(
                variant=u.variant.name,
                fixes=u.variant.ids,
                seed=u.seed,
                status=u.status,
                rows=list(u.rows),  # a snapshot: a run abandoned by a second Ctrl-C may still append
                diagnosis=d,
                history_path=u.history_path,
                csv_path=u.csv_path,
                seconds=u.seconds,
                kept_epoch=u.kept_epoch,
                notes=list(u.notes),
                error=u.error,
                fold=u.fold,
                kept_val_losses=u.kept_val_losses,
                best_val_losses=u.best_val_losses,
            )
        )
    setup = _setup(prep, dev, n_jobs, seeds, amp)
    setup["timeout"] = timeout
    setup["batched"] = batching
    setup["backend"] = backend
    setup["ray"] = ray_setup.get("ray") if backend == "ray" else None
    setup["val_fraction"] = val_fraction
    setup["folds"] = folds
    # the corrected resampled t-test's ratio: validation / training samples of a fold
    setup["fold_ratio"] = len(prep.val) / len(prep.train) if folds is not None else None
    setup["pooled_size"] = pooled_size if (folds is not None or val_fraction is not None) else None
    report = build_report(
        setup,
        fixes_info,
        [{"name": v.name, "fixes": v.ids, "what": what[v.name]} for v in variants],
        records,
        spec=spec_path,
        interrupted=interrupted,
        out_dir=str(out) if out else None,
        wall_seconds=time.perf_counter() - t0,
    )
    if out is not None:
        write_outputs(report, units, variants, out, plot=plot, diagnoses=diagnoses)
    return RerunResult(report=report, units=units, prep=prep)


def _on_ray(units, prep, spec_path, device, epochs, amp, val_fraction, folds, seeds, jobs, stop, hook, on_done,
            keep_models, timeout, address):  # fmt: skip
    """``backend="ray"``: the units as Ray tasks (:mod:`.ray_backend`); -> (interrupted, jobs, setup)."""
    from .ray_backend import WorkerSettings
    from .ray_backend import execute as ray_execute

    settings = WorkerSettings(str(Path(spec_path).resolve()), device, epochs, amp, val_fraction, folds, seeds)
    interrupted, setup = ray_execute(
        units, prep, settings=settings, jobs=jobs, stop=stop, on_epoch=hook, on_done=on_done,
        keep_models=keep_models, timeout=timeout, address=address,
    )  # fmt: skip
    return interrupted, setup.pop("jobs"), setup


def bounded(fn: Callable[[], T], timeout: float | None, spec_path: str, stage: list[str]) -> T:
    """``fn()``, or with a timeout: in a daemon thread, waited for at most ``timeout`` seconds
    per stage (``fn`` appends to ``stage`` as it calls into the spec: each call gets the whole
    timeout); past it a :class:`SpecError` naming the call it was in (``stage[-1]``). What
    ``fn`` raises is raised here."""
    if timeout is None:
        return fn()
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = e

    t = threading.Thread(target=target, name="overfitdoc-rerun-spec", daemon=True)
    t.start()
    seen, end = len(stage), time.monotonic() + timeout
    while t.is_alive() and time.monotonic() < end:
        t.join(min(0.1, max(0.0, end - time.monotonic())))  # short joins: Ctrl-C reaches this thread
        if len(stage) != seen:  # the next call into the spec: its own timeout
            seen, end = len(stage), time.monotonic() + timeout
    if t.is_alive():
        what = stage[-1] if stage else "the spec"
        raise SpecError(spec_path, f"{what} did not return within --timeout {timeout:g} s; stopped waiting for it")
    if "error" in box:
        raise box["error"]
    return box["value"]


def write_outputs(
    report: dict,
    units: list[Unit],
    variants: list[Variant],
    out: Path,
    *,
    plot: bool,
    diagnoses: dict[int, Diagnosis | None],
) -> None:
    """Draw the comparison plot (not after an interruption), then write ``summary.json``: the
    report as ``--format json`` prints it, with ``outputs`` naming both files."""
    from ..render.json import render_json
    from ..render.plot import matplotlib_missing

    outputs = {"summary": str(out / SUMMARY_NAME), "compare_plot": None, "compare_plot_note": None}
    report["outputs"] = outputs
    try:
        if not plot:
            outputs["compare_plot_note"] = "not drawn (plot=False)"
        elif report.get("interrupted"):
            outputs["compare_plot_note"] = "not drawn: the re-run was interrupted"
        elif missing := matplotlib_missing():
            outputs["compare_plot_note"] = f"not drawn: {missing}"
        else:
            shown, bands = compare_inputs(units, variants)
            if shown:
                try:
                    outputs["compare_plot"] = compare_plot(shown, out / COMPARE_PLOT_NAME, bands)
                except Exception as e:  # noqa: BLE001 - the figure is a bonus; the results stand without it
                    outputs["compare_plot_note"] = f"not drawn: {type(e).__name__}: {e}"
            else:
                outputs["compare_plot_note"] = "not drawn: no history to draw"
    finally:
        atomic_write(out / SUMMARY_NAME, render_json(report))


def compare_inputs(units: list[Unit], variants: list[Variant]) -> tuple[list[Diagnosis], list]:
    """What compare.png draws for each variant: the mean of its seeds' histories and their band
    (:func:`overfitdoc.rerun.compare.seed_average`), over its finished runs, or any with epochs
    when none finished."""
    from .compare import seed_average

    shown: list[Diagnosis] = []
    bands: list = []
    for v in variants:
        runs = [u for u in units if u.variant is v and u.rows]
        done = [u for u in runs if u.status == "done"]
        runs = done or runs
        if not runs:
            continue
        d, band = seed_average(v.name, [u.rows for u in runs])
        shown.append(d)
        bands.append(band)
    return shown, bands


def compare_plot(shown: list[Diagnosis], path: Path, bands: list | None = None) -> str:
    """The validation curves of these runs' diagnoses in one figure (``overfitdoc plot --compare``),
    with a band behind each where ``bands`` has one."""
    from ..render.plot import PlotOptions, plot_diagnoses

    title = f"Comparing {len(shown)} variant{'s' if len(shown) != 1 else ''}"
    written = plot_diagnoses(shown, path, compare=True, bands=bands, options=PlotOptions(title=title))
    return written[0]


def history_json(rows: list[dict[str, float]]) -> str:
    """overfitdoc's PyTorch JSON: a list of per-epoch objects, ``epoch`` from 1, ``train_loss``
    / ``val_loss``, ``train_<metric>`` / ``val_<metric>``, ``learning_rate``; non-finite
    values as NaN / Infinity (which overfitdoc reads)."""
    out = []
    for r in rows:
        rec: dict = {"epoch": int(r["epoch"])}
        for k, v in r.items():
            if k == "epoch":
                continue
            if k == "loss":
                name = "train_loss"
            elif k.startswith("val_") or k == "learning_rate":
                name = k
            else:
                name = f"train_{k}"
            rec[name] = None if v is None else float(v)
        out.append(rec)
    return "[\n" + ",\n".join(json.dumps(rec, allow_nan=True) for rec in out) + "\n]\n"  # one epoch a line


def history_csv(rows: list[dict[str, float]]) -> str:
    """Keras CSVLogger's layout, ``epoch`` then the keys sorted, non-finite as nan/inf; but
    ``epoch`` from 1 (CSVLogger counts from 0), as every other output of the re-run numbers them."""
    keys = sorted({k for r in rows for k in r if k != "epoch"})
    lines = [",".join(["epoch", *keys])]
    for r in rows:
        cells = [str(int(r["epoch"]))] + [_cell(r.get(k)) for k in keys]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _cell(v) -> str:
    if v is None:
        return ""
    v = float(v)
    return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))


def _diagnose_unit(unit: Unit, cache: dict):
    """The unit's own diagnosis, from its history as overfitdoc reads a Keras CSV."""
    if id(unit) in cache:
        return cache[id(unit)]
    if not unit.rows:
        return None
    keys = sorted({k for r in unit.rows for k in r})
    table = {k: np.array([r.get(k, np.nan) for r in unit.rows], dtype=float) for k in keys}
    h = from_table(unit.csv_path or f"{unit.file_stem}.csv", "keras-csv", table, index_column="epoch")
    d = diagnose(h)
    cache[id(unit)] = d
    return d


def _setup(prep: Prepared, dev: torch.device, jobs: int, seeds: int, amp: bool) -> dict:
    opt = prep.optimizer
    return {
        "device": str(dev),
        "amp": amp,
        "jobs": jobs,
        "seeds": list(range(seeds)),
        "epochs": prep.epochs,
        "batch_size": prep.batch_size,
        "train_size": len(prep.train),
        "val_size": len(prep.val),
        "parameters": prep.param_count,
        "loss": prep.loss_name,
        "loss_reason": prep.loss_reason,
        "task": prep.task,
        "metric": prep.metric_name,
        "optimizer": f"{opt.name}(lr={opt.lr:g})" + ("" if prep.spec.optimizer_fn else " (default)"),
        "data_on_device": getattr(prep.train, "on_device", False),
    }
