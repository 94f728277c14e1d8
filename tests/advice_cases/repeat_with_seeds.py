CASES = [
    dict(
        # a benchmark run (moons with label noise, L2): a divergence with bias high, passed narrowly
        name="a narrow call: other seeds decide, after stopping early",
        history=("benchmark", "moons_labelnoise-s12-02-regularized.csv"),
        expect="fire",
        rank=2,
        score_min=0.7,
        score_max=0.7,
        evidence=["repeat the run with two or three other seeds", "confidence 0.479 for overfitting and underfitting"],
        fix_contains={"pytorch": "for seed in range(1, 3 + 1):", "keras": "keras.utils.set_random_seed(seed)"},
    ),
    dict(name="a sure call: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(
        name="too short to judge: evaluate-more-often's, silent",
        history=("generated", "short_finetune.json"),
        expect="silent",
    ),
]
