CASES = [
    dict(
        name="not learning, at chance level",
        history=("build", "flat"),
        expect="fire",
        score_min=0.8,
        evidence=["ln(2) = 0.6931", "chance level"],
    ),
    dict(
        name="not learning after a blow-up: after lower-lr",
        history=("benchmark", "noisy_clf-s2-06-high_lr.csv"),
        expect="fire",
        rank=2,
        evidence=["after a first epoch at 3.281", "ln(3) = 1.099", "points at the learning rate first"],
    ),
    dict(name="as the test for a leak", history=("build", "perfect_val"), expect="fire", evidence=["shuffled labels"]),
    dict(name="validation below training, a steady share: silent", history=("build", "val_better"), expect="silent"),
    dict(name="overfit: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
