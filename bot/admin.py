"""The help-desk page `/admin`: what people asked that the documents do not cover, grouped by
meaning; the answers they voted down, with their quotes; questions, answered share and votes
over time; every document with its review date; and CSV exports of each table.

Behind its own password, `Settings.admin_auth` (BOT_ADMIN_AUTH), as HTTP Basic auth with any
user name, compared in constant time. The public password (BOT_AUTH) is never accepted here,
and the public guard lets `/admin` through to this check (`ADMIN_PATHS`), so each page asks for
its own. With no admin password set the routes do not exist (404).

Plain FastAPI routes and server-rendered HTML: no script, no CDN; every text from the log or
the documents is HTML-escaped, and a CSV cell starting with = + - @ (or a tab or carriage
return) gets a leading apostrophe, so that no spreadsheet runs it as a formula. The analysis
is `bot/insights.py`; the clock is passed in (`clock`).

Left out: translations (the page is in English), paging of long tables (the page shows the
first `SHOWN` rows of each, the CSV all of them), and caching between visits.
"""

from __future__ import annotations

import base64
import csv
import hmac
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from . import insights
from .config import Settings
from .feedback import FeedbackLog
from .insights import DocumentInfo, Insights, Period, Quote
from .pipeline import Bot

#: the paths that check the admin password themselves (the public guard lets exactly these through)
ADMIN_PATHS = re.compile(r"^/admin/?$|^/admin/[a-z]+\.csv$")
REALM = 'Basic realm="help desk", charset="UTF-8"'  # its own realm: the browser asks for this password apart
SHOWN = 50
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
CSS = """
*{box-sizing:border-box} body{font:16px/1.45 system-ui,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:1100px;margin:0 auto;padding:12px 16px 40px} h1{font-size:1.5em;margin:.3em 0}
h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
.summary{display:flex;flex-wrap:wrap;gap:8px;padding:0;list-style:none}
.summary li{background:#f1f3f5;border-radius:6px;padding:.3em .7em}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.35em .5em;border-bottom:1px solid #e5e7eb;overflow-wrap:anywhere}
th{background:#f6f8fa} td.n{text-align:right;white-space:nowrap} .muted{color:#57606a;font-size:.9em}
.stale{color:#8a1c12;font-weight:600} blockquote{margin:.3em 0 .6em;padding:.2em .8em;border-left:4px solid #d0d7de;color:#333}
.chart{width:100%;height:auto;max-height:260px} a{color:#0b5cad} .notices{background:#eee8fb;border-radius:6px;padding:.4em .8em}
@media (max-width:600px){main{padding:8px} table,tbody,tr,td{display:block;width:100%} thead{display:none}
 tr{border:1px solid #e5e7eb;border-radius:6px;margin-bottom:8px} td{border:0} td.n{text-align:left}
 td[data-label]::before{content:attr(data-label) ": ";font-weight:600}}
"""


def authorized(header: str, password: str) -> bool:
    """HTTP Basic credentials with `password` (any user name), compared in constant time."""
    scheme, _, value = header.partition(" ")
    if not password or scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
    except (ValueError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8"))


def cell(value: object) -> str:
    """A CSV cell that no spreadsheet reads as a formula: text starting with = + - @ (or a tab or
    a carriage return) gets a leading apostrophe; numbers are written as they are."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


class AdminPage:
    """The page's data from the served bot (its index keeps the review dates), and the log; `clock` gives the time now."""

    def __init__(self, bot: Callable[[], Bot], log: FeedbackLog | None, settings: Settings,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.bot, self.log, self.settings, self.clock = bot, log, settings, clock
        self._catalog: tuple[Bot, insights.Catalog] | None = None

    def catalog(self, bot: Bot) -> insights.Catalog:
        """The served index version's passages by place (one pass per version)."""
        if self._catalog is None or self._catalog[0] is not bot:
            self._catalog = (bot, insights.Catalog.of(bot.index.passages))
        return self._catalog[1]

    def documents(self, bot: Bot, catalog: insights.Catalog) -> list[DocumentInfo]:
        """The served index's documents with the review dates their citations show: the index
        keeps them (read from each file's front matter when it was built), so a replica without the
        corpus lists them too."""
        dates = bot.index.manifest.get("documents") or {}
        return [DocumentInfo(doc, title, (dates.get(doc) or {}).get("reviewed"), (dates.get(doc) or {}).get("review_by"),
                             known=doc in dates) for doc, title in catalog.titles.items()]

    def insights(self) -> Insights:
        bot = self.bot()
        catalog = self.catalog(bot)
        events = list(self.log.events()) if self.log else []

        def quote(p: dict[str, Any]) -> Quote:
            doc, start, end = str(p.get("doc", "")), int(p.get("start", 0)), int(p.get("end", 0))
            row = catalog.rows.get((doc, start, end))
            passage = bot.index.get([row])[0] if row is not None else None
            return Quote(doc, str(p.get("section", "")), start, end, catalog.titles.get(doc, ""),
                         passage.text if passage else None)

        return insights.summarize(events, embed=lambda texts: bot.embedder.embed(texts), quote=quote,
                                  docs=self.documents(bot, catalog), stale_months=self.settings.stale_months,
                                  today=self.clock().date())


def mount_admin(api: FastAPI, page: AdminPage, password: str) -> None:
    """Add `/admin` and `/admin/<table>.csv` to `api`; nothing when `password` is empty (404)."""
    if not password:
        return

    def refused() -> Response:
        return Response("The help-desk page needs its own password (BOT_ADMIN_AUTH), not the chat's.",
                        401, {"www-authenticate": REALM, "cache-control": "no-store"}, media_type="text/plain")

    private = {"cache-control": "no-store", "x-robots-tag": "noindex"}

    @api.get("/admin", include_in_schema=False)
    @api.get("/admin/", include_in_schema=False)
    def admin(request: Request) -> Response:
        if not authorized(request.headers.get("authorization", ""), password):
            return refused()
        return HTMLResponse(render(page.insights(), page.settings.stale_months, page.clock()), headers=private)

    @api.get("/admin/{table}.csv", include_in_schema=False)
    def export(table: str, request: Request) -> Response:
        if not authorized(request.headers.get("authorization", ""), password):
            return refused()
        data = insights.tables(page.insights())
        if table not in data:
            return Response(f"No table {table!r}: use one of {', '.join(data)}.", 404, media_type="text/plain")
        header, rows = data[table]
        body = "\ufeff" + to_csv(header, rows)  # the BOM: spreadsheets read the file as UTF-8
        return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
            **private, "content-disposition": f'attachment; filename="{table}.csv"'})


def render(data: Insights, stale_months: int, now: datetime) -> str:
    """The whole page: every value from the log or the documents escaped."""
    e = escape
    share = f"{data.answered / data.asked:.0%}" if data.asked else "–"
    notices = ", ".join(f"{n} {e(kind)}" for kind, n in data.notices.items()) or "none"
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">',
        f"<title>Help desk</title><style>{CSS}</style></head><body><main>",
        "<h1>Help desk</h1>",
        f'<p class="muted">From the feedback log, {e(now.strftime("%d %B %Y %H:%M"))} UTC. Download: '
        + " · ".join(f'<a href="/admin/{t}.csv" download>{t}.csv</a>' for t in ("unanswered", "votes", "documents", "timeline"))
        + "</p>",
        f'<ul class="summary"><li><strong>{data.asked}</strong> questions</li><li><strong>{share}</strong> answered</li>'
        f'<li><strong>{sum(g.count for g in data.groups)}</strong> not answered</li>'
        f'<li><strong>{sum(v.down for v in data.voted)}</strong> thumbs down</li>'
        f'<li><strong>{len(data.stale)}</strong> stale documents</li></ul>',
        '<h2 id="unanswered">Questions the documents do not answer</h2>',
        '<p class="muted">Grouped by meaning; the latest wording first. These are the documents to add.</p>',
        _groups(data),
        '<h2 id="time">Over time</h2>', chart(data.timeline),
        '<h2 id="votes">Answers voted down</h2>', _voted(data),
        '<h2 id="documents">Documents</h2>', _documents(data, stale_months),
        '<h2 id="safety">Safety notices</h2>',
        f'<p class="notices">Messages that got an emergency or crisis notice: {notices}. They are counted '
        "here only, never listed: what these people needed was a helpline, not a document.</p>",
        "</main></body></html>",
    ]
    return "\n".join(parts)


def _groups(data: Insights) -> str:
    if not data.groups:
        return "<p>None yet.</p>"
    rows = "".join(
        f'<tr><td class="n" data-label="Asked">{g.count}</td><td data-label="Question">{escape(g.latest)}</td>'
        f'<td data-label="Also asked as">{"<br>".join(escape(w) for w in g.wordings) or "–"}</td>'
        f'<td class="n" data-label="Last asked">{escape(g.last.strftime("%Y-%m-%d") if g.last else "–")}</td></tr>'
        for g in data.groups[:SHOWN])
    return ('<table id="groups"><thead><tr><th>Asked</th><th>Question (latest wording)</th><th>Also asked as</th>'
            f"<th>Last asked</th></tr></thead><tbody>{rows}</tbody></table>")


def _voted(data: Insights) -> str:
    if not data.voted:
        return "<p>None yet.</p>"
    items = []
    for v in data.voted[:SHOWN]:
        quotes = "".join(
            f'<div class="muted">{escape(q.title or q.doc)} › {escape(q.section)} — {escape(q.doc)}, characters '
            f"{q.start:,}–{q.end:,}</div><blockquote>"
            f"{escape(q.text) if q.text is not None else '<em>no longer in the index</em>'}</blockquote>"
            for q in v.quotes) or '<p class="muted">No quote (the documents did not answer).</p>'
        items.append(f'<li><strong>{escape(v.question)}</strong> <span class="muted">({v.down} down, {v.up} up)'
                     f"</span>{quotes}</li>")
    return f'<ol id="voted">{"".join(items)}</ol>'


def _documents(data: Insights, stale_months: int) -> str:
    rule = f"reviewed more than {stale_months} months ago or" if stale_months else ""
    stale = "".join(f"<li>{escape(d.title)} — {escape(d.doc)} (reviewed {escape(d.reviewed or 'never')}"
                    f"{', review by ' + d.review_by.isoformat() if d.review_by else ''})</li>" for d in data.stale)
    parts = [f'<p>Stale ({rule} past their review-by date): </p><ul id="stale">{stale}</ul>' if stale
             else f"<p>No stale document ({rule} past its review-by date).</p>"]
    rows = "".join(
        f'<tr><td data-label="Document">{escape(d.title)}<div class="muted">{escape(d.doc)}</div></td>'
        f'<td data-label="Reviewed" class="{"stale" if d.state == "stale" else ""}">'
        f'{escape(_review(d))}</td><td class="n" data-label="Answers">{d.answers}</td></tr>'
        for d in data.documents[:SHOWN * 10])
    parts.append('<table id="all-documents"><thead><tr><th>Document</th><th>Reviewed</th><th>Answers that quoted it</th>'
                 f"</tr></thead><tbody>{rows}</tbody></table>")
    return "".join(parts)


def _review(d: insights.DocumentRow) -> str:
    if d.state is None:
        return "date unknown"
    text = d.reviewed or "no date"
    if d.review_by:
        text += f", review by {d.review_by.isoformat()}"
    return text + (" (stale)" if d.state == "stale" else "")


def chart(periods: tuple[Period, ...], width: int = 720, height: int = 220) -> str:
    """An inline SVG: questions per period as bars (answered dark, not answered light, the rest,
    notices and outages, grey), the answered share as a line (right scale 0–100%), thumbs up
    and down as small bars under the axis; a table of the same numbers follows for screen readers."""
    if not periods:
        return "<p>No questions yet.</p>"
    top, base, votes_h, left, right = 14, 150, 50, 34, 40
    most = max(max(p.asked for p in periods), 1)
    most_votes = max(max(max(p.up, p.down) for p in periods), 1)
    slot = (width - left - right) / len(periods)
    bar = min(max(slot * 0.7, 1), 28)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
           f'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">Questions, answered share and votes, '
           f"{periods[0].start} to {periods[-1].start}</title>",
           f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#888"/>',
           f'<text x="{left - 4}" y="{top + 4}" font-size="11" text-anchor="end">{most}</text>',
           f'<text x="{left - 4}" y="{base}" font-size="11" text-anchor="end">0</text>',
           f'<text x="{width - right + 4}" y="{top + 4}" font-size="11">100%</text>',
           f'<text x="{width - right + 4}" y="{base}" font-size="11">0%</text>']
    line = []
    for i, p in enumerate(periods):
        x = left + i * slot + (slot - bar) / 2
        scale = (base - top) / most
        y = base
        for n, colour in ((p.answered, "#1f6feb"), (p.unanswered, "#9ecbff"), (p.asked - p.answered - p.unanswered, "#bbb")):
            if n > 0:
                y -= n * scale
                out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{n * scale:.1f}" fill="{colour}"/>')
        vscale = (votes_h / 2 - 4) / most_votes
        mid = base + votes_h / 2 + 8
        for y0, n, colour in ((mid - p.up * vscale, p.up, "#2da44e"), (mid, p.down, "#cf222e")):
            if n:
                out.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar:.1f}" height="{n * vscale:.1f}" fill="{colour}"/>')
        label = (f"{p.start}: {p.asked} asked, {p.answered} answered, {p.unanswered} not answered, "
                 f"{p.up} up, {p.down} down")
        out.append(f'<rect x="{left + i * slot:.1f}" y="{top}" width="{slot:.1f}" height="{height - top}" '
                   f'fill="transparent"><title>{escape(label)}</title></rect>')
        if p.share is not None:
            line.append(f"{x + bar / 2:.1f},{base - p.share * (base - top):.1f}")
    if line:
        out.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="#bf8700" stroke-width="2"/>')
        out += [f'<circle cx="{pt.split(",")[0]}" cy="{pt.split(",")[1]}" r="2.5" fill="#bf8700"/>' for pt in line]
    out.append(f'<text x="{left}" y="{height - 2}" font-size="11">{escape(str(periods[0].start))}</text>')
    out.append(f'<text x="{width - right}" y="{height - 2}" font-size="11" text-anchor="end">'
               f"{escape(str(periods[-1].start))}</text></svg>")
    legend = ('<p class="muted">Bars: <span style="color:#1f6feb">■</span> answered, <span style="color:#9ecbff">■'
              '</span> not answered, <span style="color:#888">■</span> other (notices, outages); <span style="color:'
              '#bf8700">●</span> answered share; under the line: <span style="color:#2da44e">■</span> thumbs up, '
              '<span style="color:#cf222e">■</span> thumbs down.</p>')
    rows = "".join(f"<tr><td>{p.start}</td><td class='n'>{p.asked}</td><td class='n'>{p.answered}</td>"
                   f"<td class='n'>{p.unanswered}</td><td class='n'>{'' if p.share is None else f'{p.share:.0%}'}</td>"
                   f"<td class='n'>{p.up}</td><td class='n'>{p.down}</td></tr>" for p in periods)
    table = ("<details><summary>The numbers</summary><table><thead><tr><th>From</th><th>Asked</th><th>Answered</th>"
             "<th>Not answered</th><th>Share</th><th>Up</th><th>Down</th></tr></thead>"
             f"<tbody>{rows}</tbody></table></details>")
    return "".join(out) + legend + table
