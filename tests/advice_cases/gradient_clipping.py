CASES = [
    dict(
        name="spikes and NaN",
        history=("sample", "unstable.csv"),
        expect="fire",
        score_min=0.8,
        evidence=["first from 0.2483 to 0.531 at epoch 6", "NaN or infinity at epoch 15"],
        params={"max_norm": 1.0},
    ),
    dict(
        name="Lightning fix",
        history=("sample", "unstable.csv"),
        context={"framework": "lightning"},
        expect="fire",
        fix_contains={"lightning": "gradient_clip_val=1.0"},
    ),
    dict(
        name="a loss near 0 whose last epoch moves from 0.048 to 0.091 has not spiked: silent",
        history=("realworld", "r001_keras_csvlogger.csv"),
        expect="silent",
    ),
    dict(name="overfitting: silent", history=("sample", "overfit.csv"), expect="silent"),
]
