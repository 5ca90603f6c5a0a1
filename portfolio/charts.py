"""Bar charts drawn on the server as SVG: no script, no CDN, and the numbers sit in a table beside each."""

from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import mark_safe

COLOURS = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1"]
ROW, LABEL, WIDTH = 26, 190, 640


def bar_chart(rows, *, series: list[str], title: str) -> str:
    """Horizontal bars: `rows` are (label, [a value per series]); one colour a series, scaled to the top."""
    rows = [(label, [Decimal(v or 0) for v in values]) for label, values in rows]
    largest = max((v for _label, values in rows for v in values), default=Decimal(0)) or Decimal(1)
    band = ROW * len(series) + 10
    height = band * len(rows) + 30
    parts = [
        format_html(
            '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
            'xmlns="http://www.w3.org/2000/svg" font-size="12">',
            title,
            WIDTH,
            height,
        )
    ]
    for index, (label, values) in enumerate(rows):
        top = index * band
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>', LABEL - 8, top + band / 2 + 4, label
            )
        )
        for number, value in enumerate(values):
            length = float(value / largest) * (WIDTH - LABEL - 90)
            y = top + number * ROW + 4
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                    '<text x="{}" y="{}" fill="#333">{}</text>',
                    LABEL,
                    y,
                    f"{max(length, 1):.1f}",
                    ROW - 8,
                    COLOURS[number % len(COLOURS)],
                    series[number],
                    f"{value:,.2f}",
                    f"{LABEL + length + 4:.1f}",
                    y + ROW - 12,
                    f"{value:,.2f}",
                )
            )
    legend_y = height - 12
    for number, name in enumerate(series):
        x = LABEL + number * 140
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"></rect><text x="{}" y="{}">{}</text>',
                x,
                legend_y - 9,
                COLOURS[number % len(COLOURS)],
                x + 14,
                legend_y,
                name,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))


FLAG_COLOURS = {"red": "#dc3545", "yellow": "#e0a800", "green": "#198754"}


def progress_chart(rows, *, time_progress: Decimal, line_label: str, title: str) -> str:
    """Each row's completion rate (label, rate or None, flag) as a bar coloured by its flag, against a
    dashed line at 序时进度 drawn beneath them; bars past the frame (200%) are cut, their number beside."""
    rows = [(label, None if rate is None else Decimal(rate), flag) for label, rate, flag in rows]
    top = max([Decimal(100), time_progress, *(rate for _l, rate, _f in rows if rate is not None)])
    top = min(top, Decimal(200))
    span = WIDTH - LABEL - 70
    scale = lambda value: LABEL + float(min(value, top) / top) * span  # noqa: E731
    bottom = ROW * len(rows) + 4
    line = scale(time_progress)
    parts = [
        format_html(
            '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
            'xmlns="http://www.w3.org/2000/svg" font-size="13">',
            title,
            WIDTH,
            bottom + 40,
        ),
        # The line first, so that the bars and their numbers lie over it.
        format_html(
            '<line x1="{x}" y1="0" x2="{x}" y2="{b}" stroke="#0d6efd" stroke-width="2" '
            'stroke-dasharray="5,3"></line>'
            '<text x="{x}" y="{t}" fill="#0d6efd" text-anchor="middle">{} {}%</text>',
            line_label,
            f"{time_progress:.1f}",
            x=f"{line:.1f}",
            b=bottom,
            t=bottom + 18,
        ),
    ]
    for index, (label, rate, flag) in enumerate(rows):
        y = index * ROW + 4
        middle = y + ROW / 2 + 1
        parts.append(format_html('<text x="{}" y="{}" text-anchor="end">{}</text>', LABEL - 8, middle, label))
        if rate is None:
            parts.append(format_html('<text x="{}" y="{}" fill="#666">—</text>', LABEL + 4, middle))
            continue
        end = scale(max(rate, Decimal(0)))
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}%</title></rect>'
                '<rect x="{}" y="{}" width="46" height="16" fill="#fff"></rect>'
                '<text x="{}" y="{}" fill="#333">{}%</text>',
                LABEL,
                y,
                f"{max(end - LABEL, 1):.1f}",
                ROW - 8,
                FLAG_COLOURS.get(flag, COLOURS[0]),
                label,
                f"{rate:.1f}",
                f"{end + 2:.1f}",
                y + 2,
                f"{end + 4:.1f}",
                middle,
                f"{rate:.1f}",
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))
