CASES = [
    dict(
        name="overfit sample",
        history=("sample", "overfit.csv"),
        expect="fire",
        evidence=["val_loss was best at epoch 13 (0.4019)", "ended at 0.7121 (+77%)", "learning curve"],
        hint="--train-size",
    ),
    dict(
        name="small training set",
        history=("sample", "overfit.csv"),
        context={"train_size": 200},
        expect="fire",
        evidence=["its 200 training samples"],
        score_min=0.6,
    ),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
