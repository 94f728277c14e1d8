CASES = [
    dict(
        name="loss U while accuracy rises",
        history=("build", "u_with_flat_accuracy"),
        expect="fire",
        evidence=["val_accuracy rose (0.879 to 0.9094", "L2 penalty"],
        hint="--framework pytorch",
    ),
    dict(
        name="overfit sample with its accuracy made non-decreasing",
        history=("sample", "overfit.csv", {"cummax": "val_accuracy"}),
        expect="fire",
        evidence=["val_accuracy held (0.87 to 0.87", "on its trend; a fall of less than"],
    ),
    dict(
        name="PyTorch: lower",
        history=("build", "u_with_flat_accuracy"),
        context={"framework": "pytorch"},
        expect="fire",
        score_max=0.45,
    ),
    dict(name="accuracy fell: real overfitting, silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(
        name="no accuracy series: skipped",
        history=("sample", "overfit.csv", {"drop": ["accuracy", "val_accuracy"]}),
        expect="skipped",
        reason="no accuracy-like series",
    ),
    dict(name="no divergence: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
