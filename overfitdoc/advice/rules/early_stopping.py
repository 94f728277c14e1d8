from __future__ import annotations

from ...analysis.early_stopping import simulate_early_stopping
from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, keras_monitor, keras_monitor_of


class EarlyStopping(Rule):
    id = "early-stopping"
    title = "Stop early and restore the best epoch's weights"
    group = "stopping"
    why = (
        "Epochs after the validation optimum fit noise in the training set; stopping there and "
        "restoring those weights keeps the best model the run found."
    )
    what = """\
Watches the validation metric during training, stops when it has not improved for `patience`
epochs, and puts back the weights of the best epoch. In Keras this is
`EarlyStopping(restore_best_weights=True)`; in PyTorch a few lines around the loop; in
Lightning `EarlyStopping` plus a `ModelCheckpoint` of the best epoch.

overfitdoc replays Keras' `EarlyStopping` on the validation series you logged (each epoch
`wait += 1`; an improvement resets it; training stops when `wait >= patience` after the first
epoch; with `restore_best_weights=True` the best epoch's weights come back) and tells at which
epoch it would have stopped this run and which epoch it would have kept. The patience it
proposes is the smallest one, at least half the trend window and at least 3, whose restored
value is within the validation noise of the run's best."""
    helps = """\
When the validation curve has a clear optimum followed by a sustained rise (late overfitting):
you keep the optimum and skip the epochs after it. It costs nothing and combines with every
other remedy; use it whenever you train for a fixed, generous number of epochs."""
    hurts = """\
- A noisy validation metric and a short patience stop on a noise dip; choose the patience from
  the noise (overfitdoc does).
- Without `restore_best_weights=True` Keras keeps the *last* weights, `patience` epochs past
  the best.
- It treats the symptom: a model that overfits from the first epochs stops at a poor optimum;
  shrink or regularize it first.
- Some large models get better again after a rise (epoch-wise double descent); a patience
  shorter than the rise cuts that off."""
    suggested_when = """\
The validation curve turned worse after a best epoch (a divergence): the more of the run came
after the best, the higher it ranks (first on a run with most of its epochs after the best).
Lower when the gap is wide but validation has not turned, as the stopping rule when training
longer, to skip the flat epochs of a good fit, and to keep the weights from before an unstable
run blew up."""
    ranking = """\
With `after` = the share of the run's epochs after its best validation epoch
((last epoch - best epoch) / (last epoch - first epoch); 970 of 1,500 epochs is 0.65):

- validation turned worse (a divergence): `score = 0.5 + 0.45 x after`; when the loss rose but
  the accuracy did not fall (stop on the accuracy instead), `after` is counted from the epoch
  stopping on the accuracy would restore;
- a good fit whose flat end the stop would skip (10% of the points or more):
  `score = 0.2 + 0.5 x after`;
- overfitting whose validation has not turned: `0.3`; still improving: `0.4`; unstable:
  `0.45` when the loss became non-finite (the stop keeps the weights from before), else `0.3`."""
    references = (
        "Prechelt, L. (1998). Early Stopping - But When? In *Neural Networks: Tricks of the Trade*, LNCS 1524, pp. 55-69.",
        "Keras `EarlyStopping`: https://keras.io/api/callbacks/early_stopping/",
        "Lightning `EarlyStopping`: https://lightning.ai/docs/pytorch/stable/common/early_stopping.html",
    )
    defaults = {"monitor": "val_loss", "mode": "min", "patience": 10, "epochs": 200}
    fix = Fix(
        keras="""\
import keras

early_stop = keras.callbacks.EarlyStopping(
    monitor=${monitor}, mode=${mode}, patience=${patience}, restore_best_weights=True
)
model.fit(x_train, y_train, validation_data=(x_val, y_val),
          epochs=${epochs}, callbacks=[early_stop])
""",
        pytorch="""\
import copy

patience = ${patience}
best_loss, best_state, wait = float("inf"), copy.deepcopy(model.state_dict()), 0
for epoch in range(${epochs}):
    train_one_epoch(model, optimizer)
    val_loss = evaluate(model)
    if val_loss < best_loss:
        best_loss, best_state, wait = val_loss, copy.deepcopy(model.state_dict()), 0
    else:
        wait += 1
        if wait >= patience:
            break
model.load_state_dict(best_state)  # restore the best epoch's weights
""",
        lightning="""\
import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

early_stop = EarlyStopping(monitor=${monitor}, mode=${mode}, patience=${patience})
best = ModelCheckpoint(monitor=${monitor}, mode=${mode}, save_top_k=1)
trainer = L.Trainer(max_epochs=${epochs}, callbacks=[early_stop, best])
trainer.fit(lit_model, train_loader, val_loader)
lit_model = LitModel.load_from_checkpoint(best.best_model_path, model=model)  # the best epoch
""",
    )

    def check(self, f, ctx):
        d = f.d
        sim, shorter = f.stopping
        params = {
            "monitor": keras_monitor(f),
            "mode": f.mode,
            "patience": sim.patience,
            "epochs": max(200, 2 * f.total_epochs),
            "stop_epoch": sim.stop_epoch,
            "restored_epoch": sim.restored_epoch,
        }
        framework = ctx.framework or f.framework
        if framework == "hf":
            call = (
                f"the Trainer's EarlyStoppingCallback(early_stopping_patience={sim.patience}) with "
                f"load_best_model_at_end=True"
            )
        elif framework == "ultralytics":
            call = f"Ultralytics' patience={sim.patience}"
        else:
            call = f"Keras EarlyStopping(monitor='{params['monitor']}', patience={sim.patience}, restore_best_weights=True)"
        kept = f"restored {f.unit} {sim.restored_epoch} ({f.val_name} {fmt(sim.restored_value)}"
        kept += ", the best of the run)" if sim.restored_epoch == d.best_epoch else f"; the best was {fmt(d.best_val)})"
        noise_note = ""
        if shorter is not None:
            noise_note = (
                f"; a patience of {shorter.patience} would have stopped at {f.unit} {shorter.stop_epoch} "
                f"on a noise dip and kept only {fmt(shorter.restored_value)}"
            )
        u = f.unit
        if d.verdict in OVERFIT and d.divergence_epoch is not None and f.accuracy_holds:
            s = f.score
            alt = simulate_early_stopping(s.val, s.points, "max", sim.patience)
            params.update(
                monitor=keras_monitor_of(f, s.pair),
                mode="max",
                stop_epoch=alt.stop_epoch,
                restored_epoch=alt.restored_epoch,
            )
            ev = (
                f"{f.val_name} rose after {u} {d.recommended_epoch} but {s.pair.val} did not fall (see "
                f"regularization-in-val-loss), so stopping on {f.val_name} may stop a model that is still improving: "
                f"stop on {s.pair.val} instead. EarlyStopping(monitor='{params['monitor']}', mode='max', "
                f"patience={sim.patience}, restore_best_weights=True) would have stopped at {u} {alt.stop_epoch} and "
                f"restored {u} {alt.restored_epoch} ({s.pair.val} {fmt(alt.restored_value)})."
            )
            # the share of the run after the epoch stopping on the score would restore
            return self.hit(0.5 + 0.45 * f.after(alt.restored_epoch), ev, params)
        if d.verdict in OVERFIT and d.divergence_epoch is not None:
            score = 0.5 + 0.45 * f.after_best
            ev = (
                f"On this run's {f.val_name}, {call} would have stopped at {u} {sim.stop_epoch} "
                f"(after {sim.points_run} of {len(f.raw_val[0])} {'epochs' if u == 'epoch' else 'evaluations'}) and "
                f"{kept}, where the run ended at "
                f"{fmt(float(f.val[-1]))}{noise_note}."
            )
            return self.hit(score, ev, params)
        if d.verdict in OVERFIT:
            ev = (
                f"{f.val_name} has not turned worse yet (best {fmt(d.best_val)} at {u} {d.best_epoch}), so "
                f"early stopping would change little now; keep {call} in place so the run ends when it does."
            )
            return self.hit(0.3, ev, params)
        if d.verdict == "still_improving":
            ev = (
                f"{f.val_name} was still improving at the last {u} ({fmt(float(f.val[-1]))} at {u} "
                f"{f.epoch(f.last)}), so no patience would have stopped this run; when you train longer, "
                f"let {call} end it."
            )
            return self.hit(0.4, ev, params)
        if d.verdict == "unstable":
            if not sim.stopped and f.first_nonfinite is None:
                return None
            blew = (
                f", before the loss became non-finite at {u} {f.first_nonfinite}"
                if f.first_nonfinite is not None
                else ""
            )
            ev = (
                f"{call} would have stopped at {u} {sim.stop_epoch} and {kept}{blew}; it keeps a usable "
                f"model but does not cure the instability."
            )
            return self.hit(0.45 if f.first_nonfinite is not None else 0.3, ev, params)
        if d.verdict == "good_fit" and sim.stopped:
            saved = (len(f.raw_val[0]) - sim.points_run) / len(f.raw_val[0])
            if saved < 0.1:
                return None
            within = (sim.restored_value - d.best_val) * f.sign <= max(d.noise or 0.0, 1e-12)
            tail = (
                f"did not improve it by more than the noise ({fmt(d.noise)})"
                if within
                else f"improved it by {fmt(abs(sim.restored_value - d.best_val))}, more than the noise ({fmt(d.noise)})"
            )
            ev = (
                f"The curves are flat near the end: {call} would have stopped at {u} {sim.stop_epoch} and "
                f"{kept}; the last {len(f.raw_val[0]) - sim.points_run} {u}s ({saved:.0%}) {tail}{noise_note}."
            )
            return self.hit(0.2 + 0.5 * f.after_best, ev, params)
        return None
