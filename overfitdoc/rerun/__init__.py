"""`overfitdoc rerun`: re-train the user's PyTorch model under the suggested fixes, next to an
unchanged baseline with the same initial weights, data order and random streams, and show
which fix helped.

This package is the only place overfitdoc imports torch, and only when a re-run starts:
importing ``overfitdoc.rerun`` itself does not import torch; :func:`rerun` does.

>>> from overfitdoc.rerun import rerun                          # doctest: +SKIP
>>> result = rerun("examples/binary_mlp.py", fixes="weight-decay,dropout", seeds=3)  # doctest: +SKIP
>>> [v["name"] for v in result.to_dict()["variants"]]           # doctest: +SKIP
['baseline', 'weight-decay', 'dropout']

Modules: ``spec`` (the user's file), ``data`` (tensors on the device, batches),
``fixes/`` (one module per fix, keyed by the advice rule id), ``trainer`` (one variant and
seed), ``executor`` (variants run concurrently), ``compare`` and ``render`` (the result dict and
its table; these two never import torch), ``runner`` (the whole re-run).
"""

from __future__ import annotations

from ..errors import UsageError

TORCH_MISSING = "overfitdoc rerun needs PyTorch: pip install 'overfitdoc[rerun]'"


class TorchMissing(UsageError):
    """PyTorch is not installed (it is the optional ``rerun`` extra)."""

    def __init__(self) -> None:
        super().__init__(TORCH_MISSING)


def require_torch():
    """The torch module, or :class:`TorchMissing` (one line, exit 2 at the CLI)."""
    try:
        import torch
    except ImportError:
        raise TorchMissing() from None
    return torch


def rerun(spec_path, **options):
    """Re-train the spec's model as a baseline and under fixes; see :func:`.runner.rerun`."""
    require_torch()
    from .runner import rerun as _rerun

    return _rerun(spec_path, **options)


__all__ = ["rerun", "require_torch", "TorchMissing", "TORCH_MISSING"]
