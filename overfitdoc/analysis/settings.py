"""Every threshold of the analysis, in one place (each is defined in ``docs/analysis.md``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """The analysis' thresholds. The defaults are the documented ones; ``benchmarks/accuracy``
    scores any other choice."""

    window_fraction: float = 0.12  # trend window as a fraction of the run length ...
    min_window: int = 3  # ... at least this many points ...
    max_window: int = 21  # ... and at most this many
    kept_raw: float = 0.7  # the kept score: this share of the raw value, the rest its 3-point trend
    light_window: int = 5  # the light trend that places the epochs (at most the window)
    z_rise: float = 3.0  # a rise counts when above this many trend uncertainties ...
    min_rise: float = 0.03  # ... and above this fraction of the validation scale
    min_sustain: int = 2  # points after the onset needed to call a divergence (and half a window)
    z_range: float = 1.0  # onset range: kept score within this many noise units of its minimum ...
    range_floor: float = 0.03  # ... or within this fraction of it, whichever is wider,
    range_halfwidth: int = 2  # ... and at least this many points either side (the pick's resolution)
    high_variance_gap: float = 0.50  # relative gap (to the training badness) that means high variance
    bias_progress: float = 0.38  # training must cover this share of the way to its floor ...
    target_tolerance: float = 0.10  # ... or come within this fraction of --target
    not_learning_drop: float = 0.02  # training trend improving by less than this fraction: flat
    still_fall: float = 0.03  # still improving: the last tenth of the run fell by this share of the final level
    gap_change: float = 0.02  # a gap trend must move by this share of the training badness
    gap_verdict: bool = False  # True: a large, widening gap alone makes the verdict overfitting
    gap_rise: float = 0.10  # with a large, widening gap: a rise of this share of the validation level diverges
    unstable_train_noise: float = 0.15  # relative epoch-to-epoch noise of training that means unstable
    unstable_train_level: float = 0.5  # ... judged against the larger of its trend's range and this share of its level
    unstable_val_noise: float = 0.40  # ... and of validation
    unstable_val_jump: float = 0.15  # typical epoch-to-epoch validation change, relative to its level
    runaway_factor: float = 100.0  # a loss below zero this many times its first value's size: no lower bound
    unstable_spike: float = 1.5  # a training loss above this multiple of its first value: a spike
    unstable_train_rise: float = 0.10  # training got worse by this share of its level (and 3 trend uncertainties)


DEFAULT_SETTINGS = Settings()
