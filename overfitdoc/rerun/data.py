"""The training and validation sets: tensors on the device when they fit, else a DataLoader.

Tuples of tensors and small Datasets become a :class:`TensorSplit`: on a GPU its tensors live
on the device and a batch is an index into them (no DataLoader, no host round trip). A
Dataset too big to hold becomes a :class:`LoaderSplit` that moves each batch to the device.
Both draw the epoch's order from a generator the caller seeds, so every variant of one seed
sees the same batches in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset

#: a Dataset is turned into tensors when it has at most this many items ...
MATERIALIZE_MAX_ITEMS = 200_000
#: ... and they take at most this many bytes
MATERIALIZE_MAX_BYTES = 1 << 29
#: on a GPU, tensors move to the device when they take at most this share of its free memory
DEVICE_MEMORY_SHARE = 0.4

Batch = tuple[tuple[torch.Tensor, ...], torch.Tensor]


class DataError(ValueError):
    """data() returned something that is not a training set; the message says what to change."""


@dataclass
class TensorSplit:
    """A split held as tensors: ``inputs`` (one or more) and ``targets``, first dimension samples."""

    inputs: tuple[torch.Tensor, ...]
    targets: torch.Tensor
    device: torch.device
    on_device: bool = True
    #: the samples of ``inputs``/``targets`` this split holds (a re-split: --val-fraction,
    #: --folds), on their device; None: all of them
    index: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.targets.shape[0]) if self.index is None else int(self.index.shape[0])

    @property
    def held_inputs(self) -> tuple[torch.Tensor, ...]:
        """The inputs of this split's samples."""
        return self.inputs if self.index is None else tuple(x[self.index] for x in self.inputs)

    @property
    def held_targets(self) -> torch.Tensor:
        """The targets of this split's samples."""
        return self.targets if self.index is None else self.targets[self.index]

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.inputs, self.targets))

    def place(self, device: torch.device) -> TensorSplit:
        """Move to ``device`` when it fits there (always on CPU), else keep on the host."""
        fits = True
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            fits = self.nbytes <= DEVICE_MEMORY_SHARE * free
        if fits:
            return TensorSplit(tuple(t.to(device) for t in self.inputs), self.targets.to(device), device, True)
        pin = device.type == "cuda"
        inputs = tuple(t.pin_memory() if pin else t for t in self.inputs)
        return TensorSplit(inputs, self.targets.pin_memory() if pin else self.targets, device, False)

    def steps(self, batch_size: int) -> int:
        n = len(self)
        steps = math.ceil(n / batch_size)
        return steps - 1 if steps > 1 and n % batch_size == 1 else steps

    def batches(
        self, batch_size: int, generator: torch.Generator | None = None, *, drop_single: bool = False
    ) -> Iterator[Batch]:
        """Batches in a random order drawn from ``generator`` (CPU), or in order when None.

        ``drop_single`` drops a last batch of one sample (BatchNorm cannot train on it)."""
        n = len(self)
        order = None
        if generator is not None:
            order = torch.randperm(n, generator=generator)
            if self.on_device:
                order = order.to(self.device, non_blocking=True)
            if self.index is not None:
                order = self.index[order.to(self.index.device)]
        elif self.index is not None:
            order = self.index
        for a in range(0, n, batch_size):
            b = min(a + batch_size, n)
            if drop_single and b - a == 1 and a > 0:
                break
            idx = slice(a, b) if order is None else order[a:b]
            xs = tuple(x[idx] for x in self.inputs)
            y = self.targets[idx]
            if not self.on_device:
                xs = tuple(x.to(self.device, non_blocking=True) for x in xs)
                y = y.to(self.device, non_blocking=True)
            yield xs, y

    def head(self, n: int) -> Batch:
        """The first ``n`` samples, on the device."""
        idx = slice(0, n) if self.index is None else self.index[:n]
        xs = tuple(x[idx].to(self.device) for x in self.inputs)
        return xs, self.targets[idx].to(self.device)


@dataclass
class LoaderSplit:
    """A Dataset too big to hold as tensors: a DataLoader per epoch, batches moved to the device."""

    dataset: Dataset
    device: torch.device

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def steps(self, batch_size: int) -> int:
        return math.ceil(len(self) / batch_size)

    def batches(
        self, batch_size: int, generator: torch.Generator | None = None, *, drop_single: bool = False
    ) -> Iterator[Batch]:
        loader = DataLoader(
            self.dataset,
            batch_size=batch_size,
            shuffle=generator is not None,
            generator=generator,
            pin_memory=self.device.type == "cuda",
        )
        for i, item in enumerate(loader):
            xs, y = split_item(item, "a batch")
            if drop_single and i > 0 and y.shape[0] == 1:
                break
            yield tuple(x.to(self.device, non_blocking=True) for x in xs), y.to(self.device, non_blocking=True)

    def head(self, n: int) -> Batch:
        xs, y = next(iter(self.batches(n)))
        return xs, y


Split = TensorSplit | LoaderSplit


def pooled(train: Split, val: Split) -> Split:
    """The training and validation samples as one split (training first), to re-split
    (``--val-fraction``, ``--folds``). Raises :class:`DataError` when their samples differ in
    shape or type."""
    if isinstance(train, TensorSplit) and isinstance(val, TensorSplit):
        parts, vparts = (*train.held_inputs, train.held_targets), (*val.held_inputs, val.held_targets)
        for a, b in zip(parts, vparts):
            if a.shape[1:] != b.shape[1:] or a.dtype != b.dtype:
                raise DataError(
                    f"the training and validation samples differ (shapes {tuple(a.shape[1:])} {str(a.dtype)[6:]} "
                    f"and {tuple(b.shape[1:])} {str(b.dtype)[6:]}), so they cannot be pooled and re-split"
                )
        joined = [torch.cat([a, b.to(a.device)]) for a, b in zip(parts, vparts)]
        return TensorSplit(tuple(joined[:-1]), joined[-1], train.device, train.on_device)
    return LoaderSplit(ConcatDataset([_dataset(train), _dataset(val)]), train.device)


def _dataset(split: Split) -> Dataset:
    if isinstance(split, LoaderSplit):
        return split.dataset
    return TensorDataset(*(t.cpu() for t in (*split.held_inputs, split.held_targets)))


def subset(pool: Split, index: torch.Tensor) -> Split:
    """The samples ``index`` (CPU, int64) of a pooled split; a tensor split shares its tensors."""
    if isinstance(pool, TensorSplit):
        return TensorSplit(pool.inputs, pool.targets, pool.device, pool.on_device, index.to(pool.targets.device))
    return LoaderSplit(Subset(pool.dataset, index.tolist()), pool.device)


def fold_indices(n: int, folds: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A random partition of ``n`` samples into ``folds`` folds of sizes differing by at most one."""
    order = torch.randperm(n, generator=generator)
    return [chunk.sort().values for chunk in torch.tensor_split(order, folds)]


def split_item(item, what: str) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """``(x, y)`` or ``(x1, x2, ..., y)`` -> ``((x1, x2, ...), y)``: the last element is the target."""
    if not isinstance(item, (tuple, list)) or len(item) < 2:
        raise DataError(f"{what} must be a tuple (x, y) or (x1, ..., y), not {type(item).__name__}")
    parts = [_tensor(v, what) for v in item]
    return tuple(parts[:-1]), parts[-1]


def _tensor(v, what: str) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v
    try:
        return torch.as_tensor(v)
    except (TypeError, ValueError, RuntimeError):
        raise DataError(f"{what} holds a {type(v).__name__}, not a tensor or number") from None


def to_split(obj, role: str, device: torch.device) -> Split:
    """A split from what data() returned for ``role`` ("training" or "validation")."""
    what = f"the {role} set"
    if isinstance(obj, torch.Tensor):
        raise DataError(f"{what} is a single tensor; give a tuple (x, y) or a Dataset")
    if isinstance(obj, TensorDataset):
        obj = tuple(obj.tensors)
    if isinstance(obj, (tuple, list)):
        inputs, targets = split_item(obj, what)
        n = {int(t.shape[0]) if t.dim() else -1 for t in (*inputs, targets)}
        if len(n) != 1 or -1 in n:
            sizes = ", ".join(str(tuple(t.shape)) for t in (*inputs, targets))
            raise DataError(f"the tensors of {what} must share their first dimension (samples); shapes {sizes}")
        if n == {0}:
            raise DataError(f"{what} is empty")
        return TensorSplit(inputs, targets, device, on_device=False).place(device)
    if isinstance(obj, Dataset) or (hasattr(obj, "__getitem__") and hasattr(obj, "__len__")):
        if len(obj) == 0:
            raise DataError(f"{what} is empty")
        held = _materialize(obj, what)
        if held is not None:
            return held.place(device)
        split_item(obj[0], f"an item of {what}")  # fail early on a bad item
        return LoaderSplit(obj, device)
    raise DataError(f"{what} must be a torch Dataset or a tuple of tensors (x, y), not {type(obj).__name__}")


def _materialize(ds, what: str) -> TensorSplit | None:
    n = len(ds)
    if n > MATERIALIZE_MAX_ITEMS:
        return None
    xs0, y0 = split_item(ds[0], f"an item of {what}")
    per_item = sum(t.numel() * t.element_size() for t in (*xs0, y0))
    if per_item * n > MATERIALIZE_MAX_BYTES:
        return None
    items = [split_item(ds[i], f"an item of {what}") for i in range(n)]
    try:
        inputs = tuple(torch.stack([it[0][k] for it in items]) for k in range(len(xs0)))
        targets = torch.stack([it[1] for it in items])
    except RuntimeError:
        return None  # items of different shapes: the DataLoader (and the spec's collate) handles them
    return TensorSplit(inputs, targets, torch.device("cpu"), on_device=False)
