"""``early-stopping``: stop when the validation loss has not improved for a while, and
restore the weights of its best epoch.

Keras' ``EarlyStopping`` semantics (``monitor="val_loss"``, ``min_delta=0``, an improvement
resets the wait, stop when ``wait >= patience``) with ``restore_best_weights=True``, and a
patience of 10% of the epochs, at least 3: Keras' default of 0 stops on the first noisy
epoch, and small validation sets are noisy. When the advice chose the fix, the patience is the
advice's, chosen from the diagnosed run's validation noise.
"""

from __future__ import annotations

from typing import Any

from ...analysis.early_stopping import EarlyStoppingRule
from ..trainer import Callback
from . import Fix, register

MIN_PATIENCE = 3
PATIENCE_SHARE = 0.10


def patience_for(epochs: int) -> int:
    return max(MIN_PATIENCE, round(PATIENCE_SHARE * epochs))


@register
class EarlyStopping(Fix):
    id = "early-stopping"
    title = "Early stopping with best-weight restore"
    order = 90  # last: it must see the model that is validated (the averaged one under swa)
    accepts = ("patience",)

    def patience(self, epochs: int) -> int:
        return int(self.params.get("patience", patience_for(epochs)))

    def skip_reason(self, prep):
        p = self.patience(prep.epochs)
        if prep.epochs < p + 2:
            return f"{prep.epochs} epochs leave no room for a patience of {p}; use --epochs {p + 5} or more"
        return None

    def describe(self, prep):
        return f"stop after {self.patience(prep.epochs)} epochs without a lower val_loss; restore the best weights"

    def install(self, trainer):
        trainer.callbacks.append(BestWeights(self.patience(trainer.epochs)))


class BestWeights(Callback):
    """Keras' early-stopping rule on ``val_loss`` (:class:`overfitdoc.analysis.early_stopping.EarlyStoppingRule`,
    the one the advice simulates), with the best epoch's weights kept and restored at the end."""

    def __init__(self, patience: int, min_delta: float = 0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.rule = EarlyStoppingRule("min", patience, min_delta)
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self._snapshot: tuple[Any, dict[str, Any]] | None = (
            None  # (module, state_dict) of the best epoch, on the device
        )

    @property
    def best(self) -> float | None:
        return self.rule.best

    def on_epoch_end(self, trainer, epoch, logs):
        stop = self.rule.update(logs["val_loss"])
        if self.rule.best_index == self.rule.index:  # this epoch is the new best
            self.best_epoch = epoch
            module = trainer.eval_model
            self._snapshot = (module, {k: v.detach().clone() for k, v in module.state_dict().items()})
        if stop:
            self.stopped_epoch = epoch
            trainer.stop_training = True
            trainer.note(f"early stopping at epoch {epoch}")

    def on_train_end(self, trainer):
        if self._snapshot is None:
            return
        module, state = self._snapshot
        module.load_state_dict(state)
        trainer.final_model = module
        trainer.kept_epoch = self.best_epoch
        trainer.note(f"restored the weights of epoch {self.best_epoch} (best val_loss)")
