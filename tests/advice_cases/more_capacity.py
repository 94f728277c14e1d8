CASES = [
    dict(
        name="underfit sample: first",
        history=("sample", "underfit.csv"),
        expect="fire",
        score_min=0.85,
        rank=1,
        evidence=["loss only reached 0.5223 (from 0.6853)", "has flattened", "gap 0.006009"],
    ),
    dict(
        name="few parameters per sample",
        history=("sample", "underfit.csv"),
        context={"params": 15, "train_size": 1500},
        expect="fire",
        evidence=["15 parameters for 1,500 training samples"],
    ),
    dict(
        # a linear model on two moons (make_generated.py plateau_linear), confidence 0.71 as a good fit:
        # the probe at 0.29 trails lr-schedule and small-validation-set (0.3 each)
        name="a plateau called a good fit by the bias test: the probe, scored 1 - confidence, in the top 3",
        history=("generated", "plateau_linear.json"),
        expect="fire",
        rank=3,
        score_min=0.29,
        score_max=0.29,
        evidence=["one minus the confidence, 0.29, is the chance the call is wrong", "about twice as wide"],
    ),
    dict(name="overfitting: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
]
