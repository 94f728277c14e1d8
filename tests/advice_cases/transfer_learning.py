CASES = [
    dict(
        name="no task: low, with a hint",
        history=("sample", "overfit.csv"),
        expect="fire",
        score_max=0.35,
        hint="--task image",
    ),
    dict(
        name="small image data set: near the top",
        history=("sample", "overfit.csv"),
        context={"task": "image", "train_size": 200},
        expect="fire",
        score_min=0.75,
        evidence=["With 200 training samples"],
        fix_contains={"keras": "keras.applications.MobileNetV3Small"},
    ),
    dict(
        name="text: a pretrained language model",
        history=("sample", "overfit.csv"),
        context={"task": "text"},
        expect="fire",
        fix_contains={"pytorch": "AutoModelForSequenceClassification"},
    ),
    dict(
        name="tabular: does not apply", history=("sample", "overfit.csv"), context={"task": "tabular"}, expect="silent"
    ),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
]
