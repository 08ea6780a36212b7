"""The admins' charts as PNG bytes (F22): request volume by kind and week, SLA compliance by month, license seats
per plan. Pure: data and already localized labels in, an image out; matplotlib is imported on the first chart, not
with this module, so a desk that never draws one never pays for it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

# 800×400 px: Teams shows card images up to 1024×1024 px and 1 MB (PNG, JPEG or GIF); this stays well inside and
# reads on a phone once the card stretches it to its width.
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 4.0, 100
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Room for a title, a y label with tick numbers up to five digits, and one line of x tick labels (half of the last
# one, "Dezember 2026", past the last tick), at 800×400 px.
_FIXED_MARGINS = {"left": 0.09, "right": 0.93, "top": 0.9, "bottom": 0.1}


@dataclass(frozen=True, slots=True)
class Series:
    """One stacked layer: its legend label and a value per category (week, month or plan)."""

    label: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ChartText:
    """A chart's localized words: its title, the y axis' label, and what it says when there is nothing to draw."""

    title: str
    y_label: str
    empty: str


def volume_chart(weeks: Sequence[str], kinds: Sequence[Series], text: ChartText) -> bytes:
    """Stacked bars: one bar per week, one layer per request kind."""
    figure, axes = _figure(text)
    if not kinds or not any(any(series.values) for series in kinds):
        return _empty(figure, axes, text)
    bottoms = [0.0] * len(weeks)
    for series in kinds:
        axes.bar(list(weeks), list(series.values), bottom=list(bottoms), label=series.label)
        bottoms = [below + value for below, value in zip(bottoms, series.values, strict=True)]
    axes.yaxis.set_major_locator(_whole_numbers())
    axes.legend(loc="upper left", fontsize="small", frameon=False)
    return _png(figure, tight=False)


def compliance_chart(months: Sequence[str], shares: Sequence[float | None], text: ChartText) -> bytes:
    """A line of compliance (0–100 %) per month; a month with nothing judged leaves a gap, not a zero."""
    figure, axes = _figure(text)
    if all(share is None for share in shares):
        return _empty(figure, axes, text)
    values = [float("nan") if share is None else share * 100 for share in shares]
    axes.plot(list(months), values, marker="o")
    axes.set_ylim(0, 105)
    return _png(figure, tight=False)


def seats_chart(plans: Sequence[str], assigned: Sequence[int], free: Sequence[int], labels: tuple[str, str],
                text: ChartText) -> bytes:
    """Horizontal stacked bars per plan: assigned seats, then free ones (``labels``: the two legend entries)."""
    figure, axes = _figure(text)
    if not plans:
        return _empty(figure, axes, text)
    axes.barh(list(plans), list(assigned), label=labels[0])
    axes.barh(list(plans), list(free), left=list(assigned), label=labels[1])
    axes.invert_yaxis()  # the first plan on top, as the card lists them
    axes.xaxis.set_major_locator(_whole_numbers())
    axes.set_xlabel(text.y_label)
    axes.set_ylabel("")
    axes.legend(loc="lower right", fontsize="small", frameon=False)
    return _png(figure)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError when the bytes are not a PNG."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _figure(text: ChartText) -> tuple[Figure, Axes]:
    # The object API with an explicit Agg canvas, not pyplot: no global figure registry and no GUI backend, so
    # charts can be drawn in worker threads, side by side, on a server without a display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(text.title)
    axes.set_ylabel(text.y_label)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _whole_numbers() -> MaxNLocator:
    # Requests and seats come whole: no tick at 2.5.
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _empty(figure: Figure, axes: Axes, text: ChartText) -> bytes:
    axes.set_axis_off()
    axes.text(0.5, 0.5, text.empty, ha="center", va="center", transform=axes.transAxes)
    return _png(figure)


def _png(figure: Figure, *, tight: bool = True) -> bytes:
    """The figure as PNG. ``tight``: fit the margins to the labels (the seats' plan names, of any length) — a
    third of the drawing's time; charts whose axes carry numbers and short categories use fixed margins."""
    if tight:
        figure.tight_layout()
    else:
        figure.subplots_adjust(**_FIXED_MARGINS)
    out = io.BytesIO()
    # No bbox_inches="tight": it would crop the image to its content and break the fixed size promised above.
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
