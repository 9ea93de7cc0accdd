"""A benchmark's report from its runs' metrics.json files: one row per tracker kind. Pure.

Per kind: its defaults and its tuned settings (the best trial of its study on ``tune``), each
scored on ``tune`` and on ``test``. What a reader takes from a row:
- *tuned on test* is the kind's honest score: settings chosen on other data.
- *gain on tune* vs *gain on test* (tuned minus defaults on the same split) shows over-fitting:
  a gain on tune that vanishes on test was the study fitting the tune scene. Comparing gains,
  not raw scores, keeps a harder or easier test scene out of the reading.
- *vs best*: the paired bootstrap of this kind's tuned run against the best kind's on the same
  test blocks; "no" means the data cannot tell the two apart at 95%.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackbench.scoring import bootstrap
from trackbench.scoring.bootstrap import Comparison, Interval


@dataclass(frozen=True)
class KindRuns:
    """The metrics.json contents of one kind's runs (None: that run does not exist)."""

    kind: str
    default_tune: Mapping[str, Any] | None  # trial 0 of the study: the kind's defaults
    tuned_tune: Mapping[str, Any]  # the study's best trial
    default_test: Mapping[str, Any]
    tuned_test: Mapping[str, Any]
    best_params: Mapping[str, Any]


@dataclass(frozen=True)
class KindRow:
    kind: str
    default_tune: Interval
    tuned_tune: Interval
    default_test: Interval
    tuned_test: Interval
    gain_test: Comparison | None  # tuned minus defaults on test, paired
    vs_best: Comparison | None  # this kind minus the best kind on test, paired (None for the best)
    best_params: Mapping[str, Any]

    @property
    def gain_tune(self) -> float:
        return self.tuned_tune.value - self.default_tune.value

    def distinguishable(self) -> bool | None:
        if self.vs_best is None:
            return None
        d = self.vs_best.difference
        return bool(d.low > 0 or d.high < 0) if math.isfinite(d.low) else None


def _score(metrics: Mapping[str, Any] | None, metric: str) -> Interval:
    if metrics is None:
        return Interval(math.nan, math.nan, math.nan)
    value = float(metrics["overall"].get(metric, math.nan))
    found = metrics.get("intervals", {}).get(metric)
    if found is None:
        return Interval(value, math.nan, math.nan)
    return Interval(value, float(found["low"]), float(found["high"]))


def _paired(
    a: Mapping[str, Any], b: Mapping[str, Any], metric: str, higher: bool, samples: int, seed: int, level: float
) -> Comparison | None:
    """A minus B on the same blocks; None where the metric has no calibrated interval."""
    if metric not in bootstrap.HEADLINE or samples < 1:
        return None
    blocks_a = bootstrap.blocks_from_json(a["windows"]["per_camera"])
    blocks_b = bootstrap.blocks_from_json(b["windows"]["per_camera"])
    return bootstrap.compare(
        blocks_a, blocks_b, a["overall"], b["overall"], metric, samples, seed, level, higher_is_better=higher
    )


def rows(
    runs: Sequence[KindRuns],
    metric: str,
    higher_is_better: bool,
    samples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> list[KindRow]:
    """One row per kind, best first by ``metric`` tuned on test."""

    def key(r: KindRuns) -> float:
        value = float(r.tuned_test["overall"].get(metric, math.nan))
        return math.inf if math.isnan(value) else (-value if higher_is_better else value)

    ranked = sorted(runs, key=lambda r: (key(r), r.kind))
    if not ranked:
        return []
    best = ranked[0]
    out = []
    for r in ranked:
        out.append(
            KindRow(
                r.kind,
                _score(r.default_tune, metric),
                _score(r.tuned_tune, metric),
                _score(r.default_test, metric),
                _score(r.tuned_test, metric),
                _paired(r.tuned_test, r.default_test, metric, higher_is_better, samples, seed, level),
                None
                if r is best
                else _paired(r.tuned_test, best.tuned_test, metric, higher_is_better, samples, seed, level),
                dict(r.best_params),
            )
        )
    return out


def _fmt(x: Interval, *, signed: bool = False) -> str:
    if math.isnan(x.value):
        return "-"
    f = "{:+.3f}" if signed else "{:.3f}"
    text = f.format(x.value)
    if math.isfinite(x.low) and math.isfinite(x.high):
        text += " [" + f.format(x.low) + ", " + f.format(x.high) + "]"
    return text


def _verdict(row: KindRow) -> str:
    if row.vs_best is None:
        return "best"
    found = row.distinguishable()
    if found is None:
        return "-"
    d = row.vs_best.difference
    return f"{'yes' if found else 'no'} ({_fmt(d, signed=True)})"


HEADER = (
    "kind",
    "defaults, tune",
    "tuned, tune",
    "defaults, test",
    "tuned, test",
    "gain on tune",
    "gain on test",
    "distinguishable from best",
)


def table_cells(rows_: Sequence[KindRow]) -> list[list[str]]:
    return [
        [
            r.kind,
            _fmt(r.default_tune),
            _fmt(r.tuned_tune),
            _fmt(r.default_test),
            _fmt(r.tuned_test),
            "-" if math.isnan(r.gain_tune) else f"{r.gain_tune:+.3f}",
            _fmt(r.gain_test.difference, signed=True) if r.gain_test else _fmt(_minus(r.tuned_test, r.default_test)),
            _verdict(r),
        ]
        for r in rows_
    ]


def _minus(a: Interval, b: Interval) -> Interval:
    return Interval(a.value - b.value, math.nan, math.nan)


def as_markdown(rows_: Sequence[KindRow], metric: str, title: str) -> str:
    lines = [f"# {title}", "", f"{metric}, 95% intervals; best first by {metric} tuned on test.", ""]
    lines += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_cells(rows_)]
    lines += [
        "",
        "- tuned: the best trial of the kind's study on `tune`; gain: tuned minus defaults on one split "
        "(on test with a paired 95% interval). A gain on tune that shrinks on test is over-fitting.",
        "- distinguishable from best: the paired bootstrap interval of (this kind - best kind), tuned, on test, "
        "excludes 0.",
    ]
    return "\n".join(lines) + "\n"


def diff_commands(rows_: Sequence[KindRow], folder: Path) -> str:
    """Markdown: for each kind behind the best, the command that shows why (its tuned run on test
    against the best kind's: which animals, when, through which error; docs/diff.md)."""
    if len(rows_) < 2:
        return ""
    best = rows_[0].kind
    lines = ["", f"Why a kind scores below {best} (tuned, on test), event by event:", "", "```bash"]
    lines += [f"trackbench-diff {folder / best / 'tuned_test'} {folder / r.kind / 'tuned_test'}" for r in rows_[1:]]
    return "\n".join([*lines, "```", ""])


def learned_markdown(learned: Mapping[str, tuple[Sequence[str], Sequence[str]]]) -> str:
    """The report's section on what each kind's study learned: its summary lines (the most
    important parameter) and its plots, by kind (empty without studies)."""
    if not learned:
        return ""
    lines = ["", "## What each study learned", ""]
    for kind, (summary, files) in learned.items():
        plots = ", ".join(f"[{f.rpartition('/')[2].removesuffix('.png')}]({f})" for f in files)
        lines.append(f"- **{kind}**: {'; '.join(summary) or 'no summary'}" + (f" ({plots})" if plots else ""))
    return "\n".join(lines) + "\n"


def as_text(rows_: Sequence[KindRow]) -> str:
    """The table for a terminal: aligned columns."""
    cells = [list(HEADER), *table_cells(rows_)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def as_csv(rows_: Sequence[KindRow], metric: str) -> str:
    out = io.StringIO()
    fields = ["rank", "kind", "metric"]
    for part in ("default_tune", "tuned_tune", "default_test", "tuned_test"):
        fields += [part, f"{part}_ci_low", f"{part}_ci_high"]
    fields += ["gain_tune", "gain_test", "gain_test_ci_low", "gain_test_ci_high"]
    fields += ["vs_best", "vs_best_ci_low", "vs_best_ci_high", "best_wins_share", "distinguishable", "best_params"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for rank, r in enumerate(rows_, 1):
        row: dict[str, Any] = {"rank": rank, "kind": r.kind, "metric": metric}
        for part in ("default_tune", "tuned_tune", "default_test", "tuned_test"):
            x = getattr(r, part)
            row.update({part: x.value, f"{part}_ci_low": x.low, f"{part}_ci_high": x.high})
        row["gain_tune"] = r.gain_tune
        if r.gain_test is not None:
            g = r.gain_test.difference
            row.update({"gain_test": g.value, "gain_test_ci_low": g.low, "gain_test_ci_high": g.high})
        else:
            row["gain_test"] = r.tuned_test.value - r.default_test.value
        if r.vs_best is not None:
            d = r.vs_best.difference
            row.update(
                {
                    "vs_best": d.value,
                    "vs_best_ci_low": d.low,
                    "vs_best_ci_high": d.high,
                    "best_wins_share": r.vs_best.b_wins,
                }
            )
        found = r.distinguishable()
        row["distinguishable"] = "" if found is None else str(found).lower()
        row["best_params"] = " ".join(f"{k}={v}" for k, v in sorted(r.best_params.items()))
        writer.writerow(row)
    return out.getvalue()
