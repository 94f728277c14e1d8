CASES = [
    dict(
        name="a 3-epoch fine-tune: the experiment that decides comes first",
        history=("generated", "short_finetune.json"),
        expect="fire",
        rank=1,
        score_min=0.95,
        evidence=["The experiment that decides this run: evaluate on the validation split at least 14 times"],
        params={"epochs": 3, "per_epoch": 5, "interval": 0.2, "min_epochs": 14},
        fix_contains={"pytorch": "every = max(1, len(train_loader) // 5)  # 5 evaluations per epoch"},
    ),
    dict(
        name="a short run still improving: after train-longer",
        history=("sample", "still_improving.csv", {"rows": 8}),
        expect="fire",
        score_max=0.85,
        evidence=["Training longer (train-longer) adds evaluations too"],
        params={"per_epoch": 2},
    ),
    dict(name="a run long enough: silent", history=("sample", "overfit.csv"), expect="silent"),
]
