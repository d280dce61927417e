"""Three charts a coordinator can put in a report, as PNG: requests per week stacked by
category, the time to the first answer against the SLA, how cases ended. Drawn with
matplotlib's Agg canvas (no pyplot, whose global figures leak in a long-running process),
in a thread, so the event loop goes on meanwhile; large type, for a phone's screen.

The words come in already translated (`ChartWords`, built by bot/dialogs/stats.py), and
the dates are written by Babel in the reader's locale: this module knows no gettext."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from bot.services.stats import Figures, Week
from db.models import HelpKind, Outcome

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIZE = (8.0, 6.0)  # inches: 1200 × 900 pixels at DPI, sharp on a phone, small as a file
DPI = 150
FONT = 13
# Colour-blind-safe (Okabe–Ito), then greys for the rarer categories.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000", "#999999", "#666666", "#BBBBBB", "#444444")  # fmt: skip
IN_TIME, LATE = "#009E73", "#D55E00"
# Hours to the first answer, the bars of the distribution.
BINS: tuple[tuple[float, float], ...] = ((0, 1), (1, 2), (2, 4), (4, 8), (8, 24), (24, 48),
                                         (48, float("inf")))  # fmt: skip


@dataclass(frozen=True)
class ChartWords:
    locale: str
    weekly_title: str
    weekly_axis: str
    categories: dict[HelpKind, str]
    response_title: str
    response_axis: str
    response_count: str
    in_time: str
    late: str
    hours: tuple[str, ...]  # one label per bin
    outcomes_title: str
    outcomes: dict[Outcome, str]
    indicator: str  # "The child lives in the family: {share}"
    empty: str


def _figure() -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _style(axes: Any, title: str) -> None:
    axes.set_title(title, fontsize=FONT + 3, loc="left", pad=12)
    axes.tick_params(labelsize=FONT)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)


def _empty(axes: Any, words: ChartWords) -> None:
    axes.text(0.5, 0.5, words.empty, ha="center", va="center", fontsize=FONT + 2,
              transform=axes.transAxes)  # fmt: skip
    axes.set_xticks([])
    axes.set_yticks([])


def weekly_png(weeks: Sequence[Week], words: ChartWords) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    _style(axes, words.weekly_title)
    if not any(w.total for w in weeks):
        _empty(axes, words)
        return _png(figure)
    kinds = [k for k in HelpKind if any(w.counts.get(k) for w in weeks)]
    x = list(range(len(weeks)))
    bottom = [0] * len(weeks)
    for n, kind in enumerate(kinds):
        heights = [w.counts.get(kind, 0) for w in weeks]
        axes.bar(x, heights, bottom=bottom, color=COLOURS[n % len(COLOURS)],
                 label=words.categories.get(kind, kind.value), width=0.8)  # fmt: skip
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    step = max(1, len(weeks) // 8)  # at most about eight dates under the bars
    axes.set_xticks(x[::step])
    axes.set_xticklabels(
        [format_date(w.monday, "d MMM", locale=words.locale) for w in weeks][::step],
        rotation=30, ha="right",
    )  # fmt: skip
    axes.set_ylabel(words.weekly_axis, fontsize=FONT)
    axes.legend(fontsize=FONT - 2, loc="upper left", frameon=False, ncols=2)
    axes.set_ylim(top=max(bottom) * 1.35)  # room for the legend above the bars
    return _png(figure)


def _binned(responses: Sequence[tuple[float, bool]]) -> tuple[list[int], list[int]]:
    in_time, late = [0] * len(BINS), [0] * len(BINS)
    for seconds, ok in responses:
        hours = seconds / 3600
        n = next(i for i, (low, high) in enumerate(BINS) if low <= hours < high)
        (in_time if ok else late)[n] += 1
    return in_time, late


def response_png(figures: Figures, words: ChartWords) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    _style(axes, words.response_title)
    if not figures.responses:
        _empty(axes, words)
        return _png(figure)
    in_time, late = _binned(figures.responses)
    x = list(range(len(BINS)))
    axes.bar(x, in_time, color=IN_TIME, label=words.in_time, width=0.8)
    axes.bar(x, late, bottom=in_time, color=LATE, label=words.late, width=0.8)
    axes.set_xticks(x)
    axes.set_xticklabels(words.hours)
    axes.set_xlabel(words.response_axis, fontsize=FONT)
    axes.set_ylabel(words.response_count, fontsize=FONT)
    axes.legend(fontsize=FONT, frameon=False)
    return _png(figure)


def outcomes_png(figures: Figures, words: ChartWords) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    share = figures.at_home_share
    title = words.outcomes_title
    if share is not None:
        title += "\n" + words.indicator.format(share=f"{share:.0%}")
    _style(axes, title)
    axes.grid(axis="y", alpha=0)
    if not figures.outcomes:
        _empty(axes, words)
        return _png(figure)
    kinds = list(reversed(figures.outcomes))  # the first on top
    counts = [figures.outcomes[k] for k in kinds]
    bars = axes.barh([words.outcomes.get(k, k.value) for k in kinds], counts,
                     color=COLOURS[0])  # fmt: skip
    axes.bar_label(bars, padding=4, fontsize=FONT)
    axes.set_xlim(right=max(counts) * 1.2)
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)


@dataclass(frozen=True)
class Chart:
    name: str  # the file name, without extension
    png: bytes


async def render(figures: Figures, weeks: Sequence[Week], words: ChartWords) -> list[Chart]:
    """The three charts, drawn one after another in a worker thread."""

    def draw() -> list[Chart]:
        return [
            Chart("requests-by-week", weekly_png(weeks, words)),
            Chart("first-response", response_png(figures, words)),
            Chart("outcomes", outcomes_png(figures, words)),
        ]

    return await asyncio.to_thread(draw)


def hours_labels() -> tuple[str, ...]:
    """Bin labels that need no words: "<1", "1–2", … "48+"."""

    def h(value: float) -> str:
        return str(int(value))

    out = []
    for low, high in BINS:
        if low == 0:
            out.append(f"<{h(high)}")
        elif high == float("inf"):
            out.append(f"{h(low)}+")
        else:
            out.append(f"{h(low)}–{h(high)}")
    return tuple(out)
