#!/usr/bin/env python3
"""plot-bench.py: line charts of scripts/bench.sh's results, as one SVG file.

Usage: plot-bench.py POINTS_TSV OUT_SVG

Written by hand with no dependencies, so the benchmark plots wherever it
runs. POINTS_TSV has two kinds of tab-separated lines:
    panel  NAME  TITLE  X_LABEL  Y_LABEL    a chart, in the order given
    NAME  SERIES  X  Y                      one point of a series of chart NAME
A series whose name starts with "ceiling" is drawn dashed. The x axis is
logarithmic (--jobs 1, 2, 4, 8; sizes 1,000 to 100,000), the y axis linear
from 0; the legends sit below the charts.
"""

import math
import sys
from html import escape

PROG = "plot-bench.py"
W, H = 460, 320            # one chart
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 48
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def read(path):
    """Returns the charts in order: [(name, title, xlabel, ylabel, {series: [(x, y)]})]."""
    charts, points = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if cols[0] == "panel" and len(cols) == 5:
                charts.append(tuple(cols[1:]))
            elif len(cols) == 4:
                series = points.setdefault(cols[0], {}).setdefault(cols[1], [])
                series.append((float(cols[2]), float(cols[3])))
    return [(*c, points.get(c[0], {})) for c in charts if points.get(c[0])]


def nice_max(value):
    """A round number at or above value, for the top of the y axis."""
    if value <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= value:
            return m * step
    return 10 * step


def chart(x0, title, xlabel, ylabel, series):
    """SVG elements of one chart whose left edge is at x0."""
    xs = sorted({x for pts in series.values() for x, _ in pts})
    lo, hi = math.log(xs[0]), math.log(xs[-1]) if xs[-1] > xs[0] else math.log(xs[0]) + 1
    ymax = nice_max(max(y for pts in series.values() for _, y in pts) * 1.05)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x):
        return x0 + LEFT + (math.log(x) - lo) / (hi - lo) * pw

    def py(y):
        return TOP + ph - y / ymax * ph

    out = [f'<text x="{x0 + W / 2}" y="20" class="t">{escape(title)}</text>',
           f'<rect x="{x0 + LEFT}" y="{TOP}" width="{pw}" height="{ph}" class="f"/>']
    for k in range(6):
        y = ymax * k / 5
        out.append(f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + pw}" y1="{py(y):.1f}" '
                   f'y2="{py(y):.1f}" class="g"/>')
        out.append(f'<text x="{x0 + LEFT - 6}" y="{py(y) + 4:.1f}" class="yl">{y:g}</text>')
    for x in xs:
        out.append(f'<text x="{px(x):.1f}" y="{TOP + ph + 16}" class="xl">{x:g}</text>')
    out.append(f'<text x="{x0 + LEFT + pw / 2}" y="{H - 10}" class="xl">{escape(xlabel)}</text>')
    out.append(f'<text transform="translate({x0 + 14},{TOP + ph / 2}) rotate(-90)" '
               f'class="xl">{escape(ylabel)}</text>')
    for n, (name, pts) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        pts = sorted(pts)
        if len(pts) == 1:  # a single value (a ceiling) spans the chart
            pts = [(xs[0], pts[0][1]), (xs[-1], pts[0][1])]
        dash = ' stroke-dasharray="6 4"' if name.startswith("ceiling") else ""
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                   f'stroke-width="2"{dash}/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>'
                for x, y in pts if not dash]
        ly = H + 6 + 16 * n  # the legend, below the chart
        out.append(f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + 20}" y1="{ly - 4}" '
                   f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{x0 + LEFT + 26}" y="{ly}" class="lg">{escape(name)}</text>')
    return out


def main():
    if len(sys.argv) != 3:
        print(f"usage: {PROG} POINTS_TSV OUT_SVG", file=sys.stderr)
        return 2
    charts = read(sys.argv[1])
    if not charts:
        print(f"{PROG}: {sys.argv[1]}: no points to plot", file=sys.stderr)
        return 1
    width = W * len(charts)
    height = H + 10 + 16 * max(len(c[4]) for c in charts)
    body = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
            "<style>.t{font-size:13px;text-anchor:middle;font-weight:bold}"
            ".xl{text-anchor:middle}.yl{text-anchor:end}.lg{text-anchor:start}"
            ".f{fill:#fff;stroke:#999}.g{stroke:#e5e5e5}</style>",
            f'<rect width="{width}" height="{height}" fill="#fff"/>']
    for n, (_, title, xlabel, ylabel, series) in enumerate(charts):
        body += chart(n * W, title, xlabel, ylabel, series)
    body.append("</svg>")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(body) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
