from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt


class RepeatWithSeeds(Rule):
    id = "repeat-with-seeds"
    title = "Repeat the run with other seeds"
    group = "checks"
    why = (
        "A verdict that passed its test narrowly can be the seed's: another initialisation and "
        "batch order moves a curve by about as much. A verdict that holds across seeds is the run's."
    )
    what = """\
Trains the same model on the same data two or three more times, changing only the seed (the
initial weights, the batch order, dropout masks), and logs each run apart; diagnose each log.
When the verdicts agree, act on it; when they differ, the run sits on the boundary and the
remedies of both verdicts are worth trying. For a PyTorch model, `overfitdoc rerun SPEC
--seeds 3` does this and reports the spread."""
    helps = """\
A narrow call: the deciding test passed by little and the calibrated confidence is below one
half (`cannot_tell.kind` `narrow`), with no short run, small split or plateau to blame."""
    hurts = """\
It costs two or three more trainings. Seeds do not decide a question the split itself cannot
answer: a small validation split stays small (`small-validation-set`), a short run short
(`evaluate-more-often`)."""
    suggested_when = """\
The analysis cannot tell and names no more specific reason (`cannot_tell.kind` `narrow`):
after any specific finding of the run (a validation offset from the first epoch, a penalty in
the loss), which seeds would not explain, and before the remedies a narrow call would start;
after `train-longer` when the verdict is `still_improving`."""
    ranking = """\
`0.7` for a narrow call; `0.6` when the verdict is also `still_improving`. Silent otherwise."""
    references = (
        "Bouthillier, X. et al. (2021). Accounting for Variance in Machine Learning Benchmarks. MLSys.",
        "Keras `keras.utils.set_random_seed`: https://keras.io/api/utils/python_utils/#setrandomseed-function",
        "PyTorch reproducibility: https://pytorch.org/docs/stable/notes/randomness.html",
    )
    defaults = {"seeds": 3, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

for seed in range(1, ${seeds} + 1):
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend
    run = build_model()
    run.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs},
            callbacks=[keras.callbacks.CSVLogger(f"history_seed{seed}.csv")])
# overfitdoc diagnose history_seed1.csv (and the others): does the verdict hold?
""",
        pytorch="""\
import json

import torch

for seed in range(1, ${seeds} + 1):
    torch.manual_seed(seed)  # the initial weights, the batch order, dropout
    run = build_model()
    run_optimizer = torch.optim.Adam(run.parameters(), lr=1e-3)
    history = []
    for epoch in range(${epochs}):
        history.append({"epoch": epoch + 1, "train_loss": train_one_epoch(run, run_optimizer),
                        "val_loss": evaluate(run)})
    with open(f"history_seed{seed}.json", "w") as fh:
        json.dump(history, fh)
# overfitdoc diagnose history_seed1.json (and the others); or overfitdoc rerun SPEC --seeds ${seeds}
""",
    )

    def check(self, f, ctx):
        d = f.d
        unsure = d.cannot_tell
        if unsure is None or unsure.kind != "narrow":
            return None
        params = {"epochs": f.total_epochs}
        ev = (
            f"The experiment that decides this run: {unsure.experiment} ({unsure.reason}: confidence "
            f"{fmt(d.confidence)} for {d.verdict.replace('_', ' ')})."
        )
        if d.verdict == "still_improving":
            return self.hit(
                0.6, ev + " Training longer (train-longer) decides a still-improving run first.", params, decides=True
            )
        # below specific evidence (an offset at epoch 1, a penalty in the loss): seeds do not
        # decide what the curves already explain, but above the remedies a narrow call would start
        return self.hit(0.7, ev, params, decides=True)
