"""The ranking on a corpus of real and sample runs against the expected top 3
(tests/advice_corpus/expected.tsv): rules that must be in it, rules that must not, and rules
that must not come first. The agreement is reported in tests/advice_corpus/README.md."""

from __future__ import annotations

from pathlib import Path

import overfitdoc
from overfitdoc.advice import advise

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: the agreement measured when the corpus was written; it may only rise
FLOOR = 0.85  # 13 of 16 (81%) when written; 15 of 16 (94%) after the ranking changes; 14 of 16 (88%) since
# issue 15's rejected rises (r032, a 10-epoch HF fine-tune: its rise is judged more likely noise)


def _rows():
    for line in (HERE / "advice_corpus" / "expected.tsv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        run, must, never, never_first, _why = (line.split("\t") + [""] * 5)[:5]
        path = ROOT / run if run.startswith("sample_runs") else HERE / "fixtures" / run
        yield (
            run,
            path,
            [x for x in must.split(",") if x],
            [x for x in never.split(",") if x],
            [x for x in never_first.split(",") if x],
        )


def agreement():
    rows, bad = list(_rows()), []
    for run, path, must, never, never_first in rows:
        top = [a.id for a in advise(overfitdoc.diagnose(str(path)), top=3)]
        ok = all(m in top for m in must) and not any(n in top for n in never)
        ok = ok and not (top and top[0] in never_first)
        if not ok:
            bad.append((run, top))
    return 1 - len(bad) / len(rows), bad


def test_corpus_agreement():
    share, bad = agreement()
    assert share >= FLOOR, f"{share:.0%} agree; these do not: {bad}"
