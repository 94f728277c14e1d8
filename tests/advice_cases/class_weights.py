CASES = [
    dict(
        name="a majority-class predictor (frozen decisions decided): first",
        history=("generated", "majority_class.json"),
        expect="fire",
        rank=1,
        score_min=0.92,
        score_max=0.92,
        evidence=["have not changed since epoch 1", "0.8933 and 0.8867", "weight the classes by the inverse"],
        fix_contains={"keras": "class_weight=class_weight", "pytorch": "CrossEntropyLoss(weight="},
    ),
    dict(name="an underfit whose accuracy still moves: silent", history=("sample", "underfit.csv"), expect="silent"),
    dict(name="a good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
