CASES = [
    dict(
        name="unstable sample: from its lr column",
        history=("sample", "unstable.csv"),
        expect="fire",
        rank=1,
        evidence=[
            "largest from 0.2483 to 0.531 at epoch 6",
            "non-finite at epoch 15",
            "constant at 3 for all 30 epochs",
            "divide it by 10 (0.3)",
        ],
        params={"lr": 0.3},
    ),
    dict(
        name="unstable without lr column",
        history=("sample", "unstable.csv", {"drop": ["lr"]}),
        expect="fire",
        evidence=["log it as `lr`"],
        params={"lr": 0.0001},
    ),
    dict(
        name="not learning after a first epoch that blew up (a real run)",
        history=("benchmark", "noisy_clf-s2-06-high_lr.csv"),
        expect="fire",
        rank=1,
        evidence=["averaged 3.281 over epoch 0", "2.9 times the level it then stayed at (1.121", "rate too high"],
    ),
    dict(
        # unstable since the training-fell-apart test (a good fit before): training climbed back
        # after the kept epoch while validation rose
        name="training that fell apart after its best epoch (a real run): first",
        history=("benchmark", "digits_cnn-s0-06-high_lr.csv"),
        expect="fire",
        rank=1,
        evidence=["climbed back from 0.7087 at epoch 11 to 2.311 at epoch 55", "with no spike"],
    ),
    dict(
        name="validation accuracy swings beyond its sampling error (a real log)",
        history=("realworld", "r001_keras_csvlogger.csv"),
        expect="fire",
        evidence=[
            "loss is smooth, yet val_accuracy swings by 0.0168",
            "2.4 times the sampling error",
            "about 2000 samples",
        ],
    ),
    dict(
        name="validation jumps, training smooth, set size unknown: a candidate after the validation set",
        history=("build", "noisy_val"),
        expect="fire",
        score_max=0.55,
        evidence=["either the validation set is small (small-validation-set) or each step moves the weights too far"],
    ),
    dict(
        name="training that climbs back up with no spike and smooth validation",
        history=("build", "drifting_up"),
        expect="fire",
        rank=1,
        evidence=["trend climbed back from 0.3307 at epoch 11", "with no spike"],
    ),
    dict(name="overfitting: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
]
