CASES = [
    dict(
        name="a narrow good fit: other seeds decide, after the offset it shows",
        history=("build", "offset_gap"),
        expect="fire",
        rank=2,
        score_min=0.7,
        score_max=0.7,
        evidence=["repeat the run with two or three other seeds", "confidence 0.454 for good fit"],
        params={"epochs": 40},
        fix_contains={"pytorch": "for seed in range(1, 3 + 1):", "keras": "keras.utils.set_random_seed(seed)"},
    ),
    dict(name="a sure call: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(
        name="too short to judge: evaluate-more-often's, silent",
        history=("generated", "short_finetune.json"),
        expect="silent",
    ),
]
