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
        # a linear model on two moons (make_generated.py plateau_linear), confidence 0.70 as a good fit
        name="a plateau called a good fit by the bias test: the probe, scored 1 - confidence, first",
        history=("generated", "plateau_linear.json"),
        expect="fire",
        rank=1,
        score_min=0.3,
        score_max=0.3,
        evidence=["one minus the confidence, 0.30, is the chance the call is wrong", "about twice as wide"],
    ),
    dict(name="overfitting: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
]
