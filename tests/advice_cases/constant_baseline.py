CASES = [
    dict(
        # fresh.py's run: a linear model on Friedman #2 that learned inside its first epoch
        # (mean 0.315, then 0.247 and flat); a constant prediction scores about 0.95 there
        name="a fall inside the first epoch, then flat: learned early or never, the experiment first",
        history=("fresh", "friedman2-f20.csv"),
        expect="fire",
        rank=1,
        score_min=0.95,
        score_max=0.95,
        evidence=["The experiment that decides this run: compare the final training loss (0.2415)", "at least 0.383"],
        params={"final": 0.241481},
        fix_contains={"pytorch": "chance = float(-shares[y_train].log().mean())", "keras": "return_dict=True"},
    ),
    dict(
        # a real Lightning log of a resumed run: it starts at epoch 480
        name="a resumed log: what training did before it is not in the file",
        history=("realworld", "r041_pl_metrics_resumed.csv"),
        expect="fire",
        rank=1,
        evidence=["the log starts at epoch 480, after training had already run"],
    ),
    dict(name="a run that learned in sight of the log: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(
        # a model stuck at chance from its first epoch: not_learning, and the log shows its start
        name="stuck from the first epoch: silent",
        history=("benchmark", "seq_gru-s13-04-underfit.csv"),
        expect="silent",
    ),
]
