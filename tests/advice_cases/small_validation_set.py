CASES = [
    dict(
        name="validation jumps while training is smooth",
        history=("build", "noisy_val"),
        expect="fire",
        score_min=0.5,
        evidence=["val_loss scatters by 0.153", "5-epoch trend"],
    ),
    dict(
        name="accuracy steps reveal 200 validation samples",
        history=("sample", "overfit.csv"),
        expect="fire",
        evidence=["steps of 1/200", "about 200 samples", "standard error is 0.02656"],
        params={"val_size": 200},
    ),
    dict(name="300 samples at 0.92: small error, silent", history=("sample", "good_fit.csv"), expect="silent"),
    dict(
        name="unstable training: the jumps are not the measurement", history=("sample", "unstable.csv"), expect="silent"
    ),
    dict(
        name="2000 validation samples whose accuracy swings beyond its error: silent",
        history=("realworld", "r001_keras_csvlogger.csv"),
        expect="silent",
    ),
    dict(
        name="unstable because training got worse, validation smooth: silent",
        history=("build", "drifting_up"),
        expect="silent",
    ),
    dict(name="not learning: silent", history=("build", "flat"), expect="silent"),
]
