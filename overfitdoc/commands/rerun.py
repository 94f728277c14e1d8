"""`overfitdoc rerun`: re-train the user's PyTorch model under the suggested fixes and show
which fix really helped. torch is imported only inside the command, from overfitdoc.rerun."""

from __future__ import annotations

import enum
import signal
import sys
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import OverfitdocError, exit_code
from .common import DebugOpt, err_console, fail, stdout_console

if TYPE_CHECKING:  # rich.progress is imported when the command runs
    from rich.progress import TaskID


class Device(str, enum.Enum):
    auto = "auto"
    cuda = "cuda"
    cpu = "cpu"


class Backend(str, enum.Enum):
    threads = "threads"
    ray = "ray"


class RerunFormat(str, enum.Enum):
    text = "text"
    json = "json"


def rerun_command(
    spec: Annotated[
        str,
        typer.Argument(
            help="The spec: a Python file defining model() and data() (see examples/binary_mlp.py).", show_default=False
        ),
    ],
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            help="A training history of this model: --fixes auto follows its diagnosis (default: the baseline re-run's).",
        ),
    ] = None,
    fixes: Annotated[
        str,
        typer.Option(
            "--fixes", help="auto, none, or fix ids separated by commas, combined with +: weight-decay,dropout+swa."
        ),
    ] = "auto",
    top: Annotated[int, typer.Option("--top", help="How many fixes --fixes auto takes.", min=1)] = 5,
    epochs: Annotated[
        int | None, typer.Option("--epochs", help="Epochs per run (default: the spec's `epochs`, else 20).", min=1)
    ] = None,
    seeds: Annotated[
        int,
        typer.Option(
            "--seeds",
            help="Repeat with this many seeds: mean, spread, and whether each change beats the noise (of the seeds, and of the validation samples).",
            min=1,
        ),
    ] = 3,
    val_fraction: Annotated[
        float | None,
        typer.Option(
            "--val-fraction",
            metavar="F",
            help="Pool the spec's training and validation samples and split them once at random (seeded), "
            "a share F for validation: a larger validation set resolves smaller effects.",
        ),
    ] = None,
    folds: Annotated[
        int | None,
        typer.Option(
            "--folds",
            metavar="K",
            help="K-fold cross-validation: pool the training and validation samples, partition them into K folds "
            "(anew for each seed) and run every variant once per seed and fold, judged by the corrected resampled "
            "t-test over seeds x folds.",
        ),
    ] = None,
    device: Annotated[Device, typer.Option("--device", help="auto uses CUDA when available.")] = Device.auto,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", help="Runs trained concurrently (0: all on a GPU, up to 8; one per CPU core on CPU).", min=0
        ),
    ] = 0,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="Folder for each run's history (<variant>-seed<N>.json, written as it trains, and .csv), summary.json and compare.png.",
        ),
    ] = "overfitdoc-rerun",
    amp: Annotated[bool, typer.Option("--amp", help="bfloat16 autocast (for GPUs).")] = False,
    batched: Annotated[
        bool | None,
        typer.Option(
            "--batched/--no-batched",
            help="Train the runs that differ only in their recipe (lr, weight decay, label smoothing, early "
            "stopping, ...) as one stacked model (torch.func + vmap); default: on with CUDA, off on CPU.",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="The most one run, and importing the spec or one call of data() or model(), may take: "
            "a run past it is stopped and marked timed out (the others go on); a hung data() or model() is exit 2.",
            min=0.001,
        ),
    ] = None,
    backend: Annotated[
        Backend,
        typer.Option(
            "--backend",
            help="threads: the runs in this process; ray: each run a Ray task, on a local Ray or the --address "
            "cluster (pip install 'overfitdoc[ray]').",
        ),
    ] = Backend.threads,
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="With --backend ray: the Ray cluster to connect to (default: start a local one)."
        ),
    ] = None,
    format: Annotated[RerunFormat, typer.Option("--format", "-f", help="text (default) or json.")] = RerunFormat.text,
    debug: DebugOpt = False,
) -> None:
    """Re-train your PyTorch model under the suggested fixes, next to an unchanged baseline.

    Every variant starts from the baseline's initial weights (but for the layers a fix rebuilds
    or adds) and sees the same batches in the same order, with the same random streams; with
    --seeds K the gain of each fix is judged by a paired t-test across seeds.
    Fixes: early-stopping, weight-decay, dropout, label-smoothing, data-augmentation,
    lr-schedule, smaller-batch, smaller-model, batch-norm, swa, lower-lr, higher-lr,
    gradient-clipping, warmup.

    Example: overfitdoc rerun examples/binary_mlp.py --fixes auto --seeds 3
    """
    try:
        from ..rerun import require_torch

        require_torch()
        from ..rerun import rerun
    except OverfitdocError as e:
        fail(e, debug)
    if history is not None and fixes.strip() != "auto":
        err_console.print(
            "Warning: --history is read only with --fixes auto; the named fixes run as given", markup=False
        )
    elif history is not None:
        _judgeable_history(history, debug)
    progress = _Progress() if err_console.is_terminal else None
    signals = _Signals()
    try:
        with signals, progress or _null():
            result = rerun(
                spec,
                history=history,
                fixes=fixes,
                top=top,
                epochs=epochs,
                seeds=seeds,
                val_fraction=val_fraction,
                folds=folds,
                device=device.value,
                jobs=jobs,
                out_dir=out,
                amp=amp,
                batched=batched,
                keep_models=False,
                on_epoch=progress.epoch if progress else None,
                on_unit=progress.done if progress else None,
                on_plan=progress.plan if progress else None,
                finishing=signals.finishing,
                timeout=timeout,
                backend=backend.value,
                address=address,
            )
    except OverfitdocError as e:
        fail(e, debug)
    except KeyboardInterrupt:  # before any run was trained (importing the spec, data(), model())
        err_console.print("Interrupted before training started: nothing was written.", markup=False)
        raise typer.Exit(exit_code(interrupted=True, terminated=signals.terminated)) from None
    report = result.to_dict()
    if format is RerunFormat.json:
        from ..render.json import render_json

        typer.echo(render_json(report), nl=False)
    else:
        from ..rerun.render import print_result

        # the table is wide: a fixed 120 columns when not on a terminal (files, CI logs)
        print_result(report, stdout_console(width=120))
    from ..rerun.render import run_label

    failed = [f"{run_label(v, r)}: {r['error']}" for v in report["variants"] for r in v["runs"] if r["error"]]
    if report["interrupted"]:
        err_console.print(
            "Interrupted: the histories finished so far and the partial ones are kept"
            + (f" in {report['out_dir']}" if report.get("out_dir") else "")
            + ".",
            markup=False,
        )
    else:
        for line in failed:
            err_console.print(f"Error: {line}", markup=False)
    interrupted = bool(report["interrupted"])
    code = exit_code(errors=len(failed), interrupted=interrupted, terminated=interrupted and signals.terminated)
    if code:
        raise typer.Exit(code)


def _judgeable_history(path: str, debug: bool) -> None:
    """--fixes auto follows the diagnosis of --history: one that cannot be judged (no
    validation series) is exit 2 with its reason, before anything is trained."""
    from ..api import diagnose

    try:
        d = diagnose(path)
    except OverfitdocError as e:
        fail(e, debug)
    if d.monitor is None:
        err_console.print(f"Error: {path}: {d.missing}", markup=False)
        raise typer.Exit(exit_code(undiagnosable=1))


class _Signals:
    """SIGINT (Ctrl-C) and SIGTERM while the re-run runs, handled alike. The first stops it: a
    KeyboardInterrupt in the main thread, so the runs end at their next batch, the finished
    epochs are kept and the summary is written. A later one stops the waiting for runs still
    going. Once training is over (``finishing``), none interrupts the writing of the results.
    Exit 143 when the first was SIGTERM, else 130."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: list[int] = []
        self.finishing = threading.Event()
        self._old: dict = {}

    @property
    def terminated(self) -> bool:
        return bool(self.received) and self.received[0] == signal.SIGTERM

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False

    def _handle(self, signum, frame) -> None:
        self.received.append(signum)
        if self.finishing.is_set():
            return  # the results are being written: they are what the signal asked to keep
        name = signal.Signals(signum).name
        if len(self.received) == 1:
            sys.stderr.write(
                f"\n{name}: stopping; the runs end at their next batch, the finished ones are kept and the "
                "summary is written (again to stop waiting for them)\n"
            )
        else:
            sys.stderr.write(f"\n{name} again: no longer waiting for the runs still going\n")
        sys.stderr.flush()
        raise KeyboardInterrupt


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class _Progress:
    """One line per run on standard error: epoch, loss, val loss (only on a terminal)."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        )
        self.tasks: dict[int, TaskID] = {}
        self.lock = threading.Lock()

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def _task(self, unit) -> TaskID:
        with self.lock:
            key = id(unit)
            if key not in self.tasks:
                self.tasks[key] = self.progress.add_task(unit.label, total=unit.epochs, info="")
            return self.tasks[key]

    def plan(self, plan: dict) -> None:
        skipped = plan["fixes"].get("skipped") or []
        names = ", ".join(v for v in plan["variants"] if v != "baseline") or "none"
        self.progress.console.print(
            f"Variants: {names}" + (f" ({len(skipped)} skipped)" if skipped else ""), markup=False, highlight=False
        )

    def epoch(self, unit, epoch: int, logs: dict) -> None:
        task = self._task(unit)
        info = f"loss {logs['loss']:.4g}  val {logs['val_loss']:.4g}"
        self.progress.update(task, completed=epoch, info=info)

    def done(self, unit) -> None:
        task = self._task(unit)
        status = {"done": "done", "partial": "stopped", "failed": "failed", "timed_out": "timed out"}.get(
            unit.status, unit.status
        )
        t = self.progress.tasks[task]
        self.progress.update(task, info=f"{t.fields.get('info', '')}  {status}")


def register(app: typer.Typer) -> None:
    app.command("rerun")(rerun_command)
