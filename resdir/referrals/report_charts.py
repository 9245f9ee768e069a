"""The referrals report's charts: `charts` draws the parts people would rather look at than
read as SVG (matplotlib, Agg backend), and `chart_data_uri` makes an SVG embeddable as
`<img src="data:...">` under our CSP.

matplotlib is imported when the first chart is drawn, not with the app: it adds about
30 MB to a process, and every gunicorn worker (and the master it forks from) would carry
it while almost all of them only search (issue 12: per-worker memory)."""

from __future__ import annotations

import base64
import io
import threading
from collections import Counter
from typing import TYPE_CHECKING

from resdir.referrals.reports import NO_REASON, STATUS_LABELS, Report, reason_label
from resdir.referrals.states import REASONS, STATUSES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Colour-blind-safe categorical palette (Okabe-Ito) plus greys, one per status.
STATUS_COLOURS = dict(zip(STATUSES, (
    "#bbbbbb", "#56b4e9", "#0072b2", "#d55e00", "#999999", "#009e73",
    "#f0e442", "#cc79a7", "#117733", "#444444"), strict=True))
REASON_COLOURS = dict(zip((*REASONS, NO_REASON), (
    "#0072b2", "#d55e00", "#e69f00", "#cc79a7", "#009e73", "#999999", "#444444"), strict=True))



RC = {
    "svg.hashsalt": "resdir",  # stable ids: the same report draws the same bytes
    "svg.fonttype": "none",  # text as text: small, and readable in the file
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


# rc_context changes matplotlib's global settings: one chart at a time per process.
_RC_LOCK = threading.Lock()


def _matplotlib():
    """matplotlib with the Agg backend (no GUI: charts are rendered to SVG text)."""
    import matplotlib  # noqa: PLC0415  (see the module's docstring)

    matplotlib.use("Agg")
    return matplotlib


def _figure(**options) -> Figure:
    from matplotlib.figure import Figure  # noqa: PLC0415

    return Figure(**options)


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    fig.clear()  # a Figure made without pyplot is not registered anywhere; free it now
    return out.getvalue()


def _month_chart(report: Report) -> str:
    months = [m.month for m in report.months]
    present = [s for s in STATUSES if any(m.by_status.get(s) for m in report.months)]
    fig = _figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.add_subplot()
    bottom = [0] * len(months)
    for status in present:
        values = [m.by_status.get(status, 0) for m in report.months]
        ax.bar(months, values, bottom=bottom, label=STATUS_LABELS[status],
               color=STATUS_COLOURS[status], edgecolor="white", linewidth=0.5)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Referrals by month, by current status")
    ax.set_ylabel("Referrals")
    ax.yaxis.get_major_locator().set_params(integer=True)
    if len(months) > 12:
        ax.tick_params(axis="x", labelrotation=45)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _svg(fig)


def _rejection_chart(report: Report) -> str:
    totals: Counter = Counter()
    for r in report.rejections_by_need:
        totals[r.label] += r.count
    # most rejected need on top (barh draws the first bar at the bottom)
    needs = sorted(totals, key=lambda label: (-totals[label], label))[::-1]
    reasons = [code for code in (*REASONS, NO_REASON)
               if any(r.reason == code for r in report.rejections_by_need)]
    counts = {(r.label, r.reason): r.count for r in report.rejections_by_need}
    fig = _figure(figsize=(7, 0.9 + 0.45 * len(needs)), layout="constrained")
    ax = fig.add_subplot()
    left = [0] * len(needs)
    for code in reasons:
        values = [counts.get((need, code), 0) for need in needs]
        ax.barh(needs, values, left=left, label=reason_label(code),
                color=REASON_COLOURS.get(code, "#444444"), edgecolor="white", linewidth=0.5)
        left = [a + v for a, v in zip(left, values, strict=True)]
    ax.set_title("Rejected referrals by need and reason")
    ax.set_xlabel("Rejected referrals")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _svg(fig)


def charts(report: Report) -> dict[str, str]:
    """SVG text per chart name (`by_month`, `rejections_by_need`); a chart with no data to
    show is left out. Deterministic: the same report gives the same bytes."""
    drawn = {}
    with _RC_LOCK, _matplotlib().rc_context(RC):
        if report.months:
            drawn["by_month"] = _month_chart(report)
        if report.rejections_by_need:
            drawn["rejections_by_need"] = _rejection_chart(report)
    return drawn


def chart_data_uri(svg: str) -> str:
    """An SVG as a data: URI for `<img src>` (our CSP allows `img-src data:`, not inline
    script or style, and an SVG in an <img> runs no script)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
