"""The building blocks of the advice: a rule, what it finds, the context, and the fix.

A rule is one class in one module of :mod:`overfitdoc.advice.rules`; its attributes are its
documentation (``docs/rules/<id>.md`` and ``overfitdoc explain`` are generated from them) and
its :meth:`Rule.check` is its logic. ``check`` returns a :class:`Hit` (the rule applies: a
score and an evidence sentence in the run's own numbers), ``None`` (it does not apply), or a
:class:`Skip` (it would be relevant but the run lacks what it needs to judge).
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .facts import Facts
    from .frameworks import Run

TASKS = ("image", "text", "tabular", "audio", "timeseries")
FRAMEWORKS = ("keras", "pytorch", "lightning", "hf", "ultralytics")
_TASK_ALIASES = {
    "images": "image",
    "vision": "image",
    "cv": "image",
    "nlp": "text",
    "language": "text",
    "tables": "tabular",
    "table": "tabular",
    "speech": "audio",
    "time-series": "timeseries",
    "time_series": "timeseries",
    "ts": "timeseries",
    "sequence": "timeseries",
}
_FRAMEWORK_ALIASES = {
    "torch": "pytorch",
    "pt": "pytorch",
    "pl": "lightning",
    "pytorch-lightning": "lightning",
    "pytorch_lightning": "lightning",
    "tf": "keras",
    "tensorflow": "keras",
    "tf.keras": "keras",
    "huggingface": "hf",
    "hugging-face": "hf",
    "transformers": "hf",
    "hf-trainer": "hf",
    "yolo": "ultralytics",
}
#: human names of the frameworks, in the order fixes are shown
FRAMEWORK_NAMES = {"keras": "Keras", "pytorch": "PyTorch", "lightning": "Lightning"}
#: every framework a report may show a fix for, by its human name
ALL_FRAMEWORK_NAMES = {**FRAMEWORK_NAMES, "hf": "Hugging Face Trainer", "ultralytics": "Ultralytics"}


@dataclass(frozen=True)
class Context:
    """What the user told us about the run (all optional): it sharpens the ranking and picks
    the framework whose fix is shown.

    >>> Context.parse({"task": "vision", "params": 270_000, "train_size": 200}).ratio
    1350.0
    """

    task: str | None = None
    train_size: int | None = None
    params: int | None = None
    framework: str | None = None
    ignored: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: Context | Mapping[str, Any] | None, *, strict: bool = False) -> Context:
        """A context from the CLI's dict. Unknown values are ignored (listed in ``ignored``),
        or raise :class:`UsageError` when ``strict``."""
        if isinstance(value, Context):
            return value
        value = dict(value or {})
        ignored = []

        def pick(key, allowed, aliases):
            raw = value.get(key)
            if raw in (None, ""):
                return None
            norm = str(raw).strip().lower()
            norm = aliases.get(norm, norm)
            if norm in allowed:
                return norm
            if strict:
                raise UsageError(f"unknown --{key.replace('_', '-')} '{raw}' (one of: {', '.join(allowed)})")
            ignored.append(f"{key}={raw}")
            return None

        def count(key):
            raw = value.get(key)
            if raw in (None, ""):
                return None
            try:
                n = int(raw)
            except (TypeError, ValueError):
                n = 0
            if n >= 1:
                return n
            if strict:
                raise UsageError(f"--{key.replace('_', '-')} must be a positive whole number, not '{raw}'")
            ignored.append(f"{key}={raw}")
            return None

        return cls(
            task=pick("task", TASKS, _TASK_ALIASES),
            train_size=count("train_size"),
            params=count("params"),
            framework=pick("framework", FRAMEWORKS, _FRAMEWORK_ALIASES),
            ignored=tuple(ignored),
        )

    @property
    def ratio(self) -> float | None:
        """Parameters per training sample, when both are known."""
        if self.params and self.train_size:
            return self.params / self.train_size
        return None


@dataclass(frozen=True)
class Hit:
    """A rule applies to this run.

    ``score`` (0 to 1) ranks it; ``evidence`` says why, in the run's own numbers; ``params``
    are the values its fix uses for this run (they fill the snippet's ``${name}`` slots and are
    emitted in the JSON for tools such as ``rerun``); ``hint`` names the context that would
    change the advice, when the user did not give it; ``decides``: this advice is the experiment
    that would decide the verdict, which comes before remedies of the same score (they presume
    the verdict it tests).
    """

    score: float
    evidence: str
    params: Mapping[str, Any] = field(default_factory=dict)
    hint: str | None = None
    decides: bool = False


@dataclass(frozen=True)
class Skip:
    """The rule would be relevant, but the run lacks what it needs: ``reason`` says what."""

    reason: str


@dataclass(frozen=True)
class Fix:
    """The code change, per framework, as ``string.Template`` text (``${patience}`` slots).

    ``lightning`` is given only where it differs from plain PyTorch. ``data`` says which data
    the snippet expects from the names of :data:`SNIPPET_NAMES` (``"vectors"`` or
    ``"images"``); ``offline`` is False for snippets that download pretrained weights (the
    test harness then checks them without running them).
    """

    keras: str
    pytorch: str
    lightning: str | None = None
    data: str = "vectors"
    offline: bool = True

    def snippets(self) -> dict[str, str]:
        out = {"keras": self.keras, "pytorch": self.pytorch}
        if self.lightning:
            out["lightning"] = self.lightning
        return out


#: The names a fix snippet may use without defining them: the user's own objects. The docs
#: list them (docs/rules/README.md) and the tests provide them to run every snippet.
SNIPPET_NAMES: dict[str, dict[str, str]] = {
    "keras": {
        "model": "your compiled `keras.Model`, a classifier trained on integer labels",
        "build_model": "a function that returns a fresh compiled model like `model`",
        "x_train": "training inputs (a NumPy array)",
        "y_train": "training labels (integers)",
        "x_val": "validation inputs",
        "y_val": "validation labels",
        "num_features": "number of input features (vector data)",
        "num_classes": "number of classes",
        "image_shape": "shape of one image, channels last, e.g. `(32, 32, 3)` (image snippets)",
    },
    "pytorch": {
        "model": "your `torch.nn.Module`, a classifier returning logits",
        "build_model": "a function that returns a fresh model like `model`",
        "optimizer": "its optimizer",
        "loss_fn": "the loss, e.g. `torch.nn.CrossEntropyLoss()`",
        "train_loader": "a `DataLoader` of `(inputs, targets)` batches for training",
        "val_loader": "the same for validation",
        "train_dataset": "the dataset behind `train_loader`",
        "x_train": "training inputs (a tensor)",
        "y_train": "training labels (a tensor of class indices)",
        "x_val": "validation inputs",
        "y_val": "validation labels",
        "num_features": "number of input features (vector data)",
        "num_classes": "number of classes",
        "train_one_epoch": "`train_one_epoch(model, optimizer)`: one pass over `train_loader`",
        "evaluate": "`evaluate(model)`: the mean validation loss over `val_loader`",
    },
    "lightning": {
        "LitModel": "your `LightningModule` class: `LitModel(model)` wraps a `torch.nn.Module`, "
        "logs `train_loss` and `val_loss`, and has `self.model` and `self.lr`",
        "lit_model": "an instance of it",
        "model": "the wrapped `torch.nn.Module`",
        "train_loader": "a `DataLoader` for training",
        "val_loader": "a `DataLoader` for validation",
        "num_classes": "number of classes",
    },
}


def literal(value: Any) -> str:
    """A Python literal for a template slot: ``1e-4`` for small floats, JSON-quoted strings."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        if value == int(value) and abs(value) < 1e6:
            return f"{value:.1f}"
        s = f"{value:.3g}"
        return s.replace("e-0", "e-").replace("e+0", "e")
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def render_snippet(template: str, params: Mapping[str, Any]) -> str:
    """Fill a fix template's ``${name}`` slots with Python literals."""
    return string.Template(template).substitute({k: literal(v) for k, v in params.items()}).strip() + "\n"


class Rule:
    """One remedy. Subclass it in a module of :mod:`overfitdoc.advice.rules`; the class
    attributes are its documentation, :meth:`check` its logic. See ``early_stopping.py``."""

    #: stable kebab-case id: the JSON, ``explain`` and the ``rerun`` command key on it
    id: ClassVar[str]
    title: ClassVar[str]
    #: one sentence: why the remedy works (shown with the advice)
    why: ClassVar[str]
    #: checks | stopping | regularization | data | model | optimization | logging
    group: ClassVar[str]
    #: the page's sections (markdown)
    what: ClassVar[str]
    helps: ClassVar[str]
    hurts: ClassVar[str]
    suggested_when: ClassVar[str]
    #: how the score is computed from this run's named quantities (markdown; the page's "How
    #: it is ranked" section); empty for a rule whose score is not documented yet
    ranking: ClassVar[str] = ""
    references: ClassVar[tuple[str, ...]]
    fix: ClassVar[Fix]
    #: alternative fixes by name (e.g. ``image`` and ``noise``); :meth:`variant` picks one
    variants: ClassVar[dict[str, Fix]] = {}
    #: slot values for the docs and for runs that give no number of their own
    defaults: ClassVar[dict[str, Any]] = {}
    #: "monitor": the rule needs a diagnosed pair (every rule but the logging one)
    needs_monitor: ClassVar[bool] = True
    #: the rule also judges a run that became non-finite before it had three finite points
    #: (``Facts.usable`` is false there; ``Facts.early_divergence`` is true)
    on_early_divergence: ClassVar[bool] = False

    def check(self, f: Facts, ctx: Context) -> Hit | Skip | None:  # pragma: no cover
        raise NotImplementedError

    def variant(self, ctx: Context) -> str | None:
        """The name of the variant of :attr:`variants` to show, or None for :attr:`fix`."""
        return None

    def fix_for(
        self,
        ctx: Context,
        params: Mapping[str, Any] | None = None,
        *,
        log_format: str | None = None,
        run: Run | None = None,
    ) -> dict[str, str]:
        """The rendered snippets for this context: only ``ctx.framework``'s when given, else
        the framework the log's format names (a Hugging Face or Ultralytics log), else all.
        ``run`` (:class:`~overfitdoc.advice.frameworks.Run`) gives the Hugging Face fixes the
        run's own evaluation cadence and length."""
        from .frameworks import FORMAT_FRAMEWORK, snippet

        name = self.variant(ctx)
        fx = self.variants[name] if name else self.fix
        values = {**self.defaults, **(params or {})}
        framework = ctx.framework or FORMAT_FRAMEWORK.get(log_format or "")
        if framework in ("hf", "ultralytics"):
            return {framework: render_snippet(snippet(self.id, framework, run, values), values)}
        snippets = fx.snippets()
        if ctx.framework:
            key = ctx.framework if ctx.framework in snippets else "pytorch"
            return {ctx.framework: render_snippet(snippets[key], values)}
        return {k: render_snippet(s, values) for k, s in snippets.items()}

    def all_fixes(self) -> dict[str | None, Fix]:
        """Every fix of the rule, the default first (None) then the variants."""
        if not self.variants:
            return {None: self.fix}
        return {name: fix for name, fix in self.variants.items()}

    def hit(
        self,
        score: float,
        evidence: str,
        params: Mapping[str, Any] | None = None,
        hint: str | None = None,
        decides: bool = False,
    ) -> Hit:
        return Hit(round(min(1.0, max(0.0, float(score))), 3), evidence, dict(params or {}), hint, decides)


@dataclass(frozen=True)
class Advice:
    """One ranked remedy for one run; :meth:`to_dict` is its JSON (CONTRACT.md ``advice``)."""

    id: str
    rank: int
    title: str
    evidence: str
    score: float
    why: str
    fix: Mapping[str, str]
    params: Mapping[str, Any]
    context_hint: str | None = None
    #: what a re-run measured for this fix (``diagnose --rerun DIR``): :meth:`.measured.Effect.to_dict`
    measured: Mapping[str, Any] | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "rank": self.rank,
            "title": self.title,
            "evidence": self.evidence,
            "score": self.score,
            "why": self.why,
            "fix": dict(self.fix),
            "params": dict(self.params),
            "context_hint": self.context_hint,
            "measured": dict(self.measured) if self.measured is not None else None,
        }


@dataclass(frozen=True)
class Result:
    """What one rule made of one run: ``fired`` (with its hit), ``silent`` or ``skipped``."""

    rule: Rule
    status: str
    hit: Hit | None = None
    reason: str = ""
