"""Markdown renderer: a report to paste into a pull request."""

from __future__ import annotations

from ..numbers import epoch_range, num, relative_gap

VERDICT_BADGE = {
    "good_fit": "✅ good fit",
    "overfitting": "⚠️ overfitting",
    "underfitting": "⚠️ underfitting",
    "overfitting_and_underfitting": "⚠️ overfitting and underfitting",
    "still_improving": "⏳ still improving",
    "not_learning": "❌ not learning",
    "unstable": "❌ unstable",
    "insufficient_data": "❔ insufficient data",
}


def noise_figure(noise, unit: str) -> str:
    """The validation noise; a zero says what it means (no point off its trend), not a measured 0."""
    if noise == 0:
        return f"0  (no {unit} off its trend: none measurable)"
    return num(noise)


def figures(run: dict) -> list[tuple[str, str]]:
    """The key figures, as (label, value) rows: shared by the text and markdown renderers."""
    mon = run["monitor"]
    unit = run.get("unit", "epoch")
    gap = run["gap"]
    val_name = mon["val"] if mon else "validation"
    return [
        (f"best {unit}", f"{num(run['best_epoch'])}  ({val_name} {num(run['best_val'])})"),
        (f"recommended {unit}", num(run["recommended_epoch"])),
        (
            f"divergence {unit}",
            f"{num(run['divergence_epoch'])}"
            + (f"  (range {epoch_range(run['divergence_range'])})" if run["divergence_range"] else ""),
        ),
        (f"{unit}s past best", num(run["epochs_past_best"])),
        ("final gap", f"{num(gap['final'])}  ({relative_gap(gap['relative_final'])}; {gap['trend']})"),
        (f"gap at recommended {unit}", num(gap["at_best"])),
        ("validation noise", noise_figure(run.get("noise"), unit)),
        ("bias / variance", f"{run['bias']} / {run['variance']}"),
    ]


def render_markdown(report: dict, images: dict[str, str] | None = None) -> str:
    out = []
    for run in report["runs"]:
        out.append(f"### overfitdoc: `{run['source']}`\n")
        if not run["ok"]:
            out.append(f"**Error:** {run['error']}\n")
            continue
        mon = run["monitor"]
        out.append(f"**{VERDICT_BADGE[run['verdict']]}** (confidence {run['confidence']:.2f})  \n{run['summary']}\n")
        if mon:
            direction = "lower is better" if mon["mode"] == "min" else "higher is better"
            out.append(
                f"Format `{run['format']}`, {run['epochs']} {run.get('unit', 'epoch')}s, monitor "
                f"`{mon['train']}` / `{mon['val']}` ({direction}).\n"
            )
            out.append("| figure | value |\n|---|---|")
            out.extend(f"| {k} | {v} |" for k, v in figures(run))
            out.append("")
        if images and run["source"] in images:
            out.append(f"![training curves of {run['source']}]({images[run['source']]})\n")
        if run["advice"]:
            out.append("**What to try, best first**\n")
            for a in run["advice"]:
                out.append(f"{a['rank']}. **{a['title']}** (`{a['id']}`): {a['evidence']}")
                for framework, code in (a.get("fix") or {}).items():
                    out.append(f"   <details><summary>{framework} fix</summary>\n\n   ```python")
                    out.extend(f"   {ln}" for ln in code.rstrip().splitlines())
                    out.append("   ```\n   </details>")
            out.append("")
            for hint in dict.fromkeys(a["context_hint"] for a in run["advice"] if a.get("context_hint")):
                out.append(f"_{hint}_  ")
            out.append("")
        for note in run.get("notes") or []:
            out.append(f"> {note}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
