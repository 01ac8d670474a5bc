"""The report a person reads: an HTML page (self-contained, the chart inlined) and the chart as a
PNG, with the scores per candidate and per checkpoint, the thresholds and how each fared, and the
worst examples side by side; plus every example's answers and scores as JSONL.

matplotlib (Agg, no display) is imported only here, when a report is written.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vertex_tuning.evaluation.examples import text_of
from vertex_tuning.evaluation.gate import Check, Choice
from vertex_tuning.evaluation.run import Results

#: How many of the candidate's lowest-scoring examples the report shows.
WORST_SHOWN = 5
HTML_NAME, PNG_NAME, RESULTS_NAME = "report.html", "scores.png", "results.jsonl"
_COLORS = ("#1a73e8", "#9aa0a6", "#e37400", "#188038", "#a142f4", "#d93025")


@dataclass(frozen=True)
class Summary:
    """What the report states above the tables."""

    title: str
    data: str
    candidate: str  # the key of the candidate the gate judges
    primary: str  # the metric checkpoints are chosen by
    scores: Mapping[str, Mapping[str, float]]  # candidate -> metric -> mean
    checkpoint_scores: Mapping[str, Mapping[str, float]]  # checkpoint id -> metric -> mean
    checks: Sequence[Check]
    choice: Choice | None
    passed: bool
    verdict: str


def write(directory: Path, summary: Summary, results: Results) -> dict[str, Path]:
    """Write report.html, scores.png and results.jsonl into `directory`; their paths by name."""
    directory.mkdir(parents=True, exist_ok=True)
    png = chart(summary)
    paths = {
        "html": directory / HTML_NAME,
        "png": directory / PNG_NAME,
        "results": directory / RESULTS_NAME,
    }
    paths["png"].write_bytes(png)
    paths["html"].write_text(page(summary, results, png), encoding="utf-8")
    paths["results"].write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows(results)),
        encoding="utf-8",
    )
    return paths


def rows(results: Results) -> list[dict[str, Any]]:
    """One line per example: the question, the reference, each candidate's answer and scores."""
    found = []
    for i, example in enumerate(results.examples):
        found.append(
            {
                "index": i,
                "prompt": example.prompt,
                "reference": example.reference_text,
                "answers": {k: text_of(a[i]) for k, a in results.answers.items()},
                "scores": {
                    k: {m: round(v[i], 6) for m, v in by.items()}
                    for k, by in results.scores.items()
                },
            }
        )
    return found


def chart(summary: Summary) -> bytes:
    """The PNG: grouped bars of each metric per candidate with the min_score marks, and (with
    checkpoints) the primary metric per checkpoint with the chosen one marked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.figure import Figure

    panels = 2 if summary.checkpoint_scores else 1
    figure: Figure = pyplot.figure(figsize=(6.5 * panels, 4.2), dpi=100)
    try:
        bars = figure.add_subplot(1, panels, 1)
        candidates = list(summary.scores)
        metrics = list(next(iter(summary.scores.values()), {}))
        width = 0.8 / max(1, len(candidates))
        for i, key in enumerate(candidates):
            xs = [m + (i - (len(candidates) - 1) / 2) * width for m in range(len(metrics))]
            values = [summary.scores[key].get(metric, 0.0) for metric in metrics]
            bars.bar(xs, values, width, label=key, color=_COLORS[i % len(_COLORS)])
        for m, metric in enumerate(metrics):
            for check in summary.checks:
                if check.metric == metric and check.rule == "min_score":
                    bars.hlines(
                        check.required, m - 0.45, m + 0.45, colors="#d93025", linestyles="--"
                    )
        bars.set_xticks(range(len(metrics)), metrics)
        bars.set_ylabel("mean score")
        bars.set_title("scores per candidate (dashed: min_score)")
        bars.legend(fontsize="small")
        if summary.checkpoint_scores:
            line = figure.add_subplot(1, panels, 2)
            ids = list(summary.checkpoint_scores)
            values = [summary.checkpoint_scores[c].get(summary.primary, 0.0) for c in ids]
            line.plot(ids, values, marker="o", color=_COLORS[0])
            if summary.choice is not None:
                line.plot(
                    [summary.choice.checkpoint_id],
                    [summary.choice.score],
                    marker="*",
                    markersize=16,
                    color=_COLORS[3],
                    label="chosen",
                )
                line.legend(fontsize="small")
            line.set_xlabel("checkpoint")
            line.set_ylabel(summary.primary)
            line.set_title(f"{summary.primary} per checkpoint")
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        pyplot.close(figure)


def page(summary: Summary, results: Results, png: bytes) -> str:
    """The HTML report; every value from data or the models is escaped."""
    e = html.escape
    metrics = list(next(iter(summary.scores.values()), {}))
    head = "".join(f"<th>{e(m)}</th>" for m in metrics)
    score_rows = "".join(
        f"<tr><th>{e(k)}</th>"
        + "".join(f"<td>{by.get(m, 0.0):.4f}</td>" for m in metrics)
        + "</tr>"
        for k, by in summary.scores.items()
    )
    checkpoint_rows = "".join(
        f"<tr{' class=chosen' if summary.choice and c == summary.choice.checkpoint_id else ''}>"
        f"<th>{e(c)}</th>" + "".join(f"<td>{by.get(m, 0.0):.4f}</td>" for m in metrics) + "</tr>"
        for c, by in summary.checkpoint_scores.items()
    )
    check_rows = (
        "".join(
            f"<tr class={'pass' if c.passed else 'fail'}><td>{'PASS' if c.passed else 'FAIL'}</td>"
            f"<td>{e(c.describe())}</td></tr>"
            for c in summary.checks
        )
        or "<tr><td colspan=2>no thresholds: this evaluation only reports</td></tr>"
    )
    sections = [
        f"<h1>{e(summary.title)}</h1>",
        f"<p class=verdict id=verdict>{e(summary.verdict)}</p>",
        f"<p>{len(results.examples)} examples from <code>{e(summary.data)}</code>; the gate "
        f"judges <b>{e(summary.candidate)}</b>.</p>",
        f'<img id=chart alt="scores per candidate" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode()}">',
        "<h2>Scores (mean over the examples)</h2>",
        f"<table id=scores><tr><th>candidate</th>{head}</tr>{score_rows}</table>",
    ]
    if summary.checkpoint_scores:
        sections += [
            "<h2>Checkpoints</h2>",
            f"<p>{e(summary.choice.reason if summary.choice else '')}</p>",
            f"<table id=checkpoints><tr><th>checkpoint</th>{head}</tr>{checkpoint_rows}</table>",
        ]
    sections += [
        "<h2>Thresholds</h2>",
        f"<table id=thresholds>{check_rows}</table>",
        f"<h2>The {WORST_SHOWN} worst examples by {e(summary.primary)}</h2>",
        worst_table(summary, results),
    ]
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{e(summary.title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )


def worst_table(summary: Summary, results: Results) -> str:
    """The candidate's lowest-scoring examples: question, reference and every answer."""
    e = html.escape
    mine = results.scores.get(summary.candidate, {}).get(summary.primary)
    if not mine:
        return "<p>no examples</p>"
    order = sorted(range(len(mine)), key=lambda i: (mine[i], i))[:WORST_SHOWN]
    keys = list(results.answers)
    head = "".join(f"<th>{e(k)}</th>" for k in keys)
    body = ""
    for i in order:
        example = results.examples[i]
        cells = "".join(
            f"<td>{e(text_of(results.answers[k][i]))}"
            f"<div class=score>{e(summary.primary)} {results.scores[k][summary.primary][i]:.3f}</div></td>"
            for k in keys
        )
        body += (
            f"<tr><td>{i}</td><td>{e(example.prompt)}</td><td>{e(example.reference_text)}</td>"
            f"{cells}</tr>"
        )
    return (
        f"<table id=worst><tr><th>#</th><th>prompt</th><th>reference</th>{head}</tr>{body}</table>"
    )


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:90em;color:#202124}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #dadce0;padding:.35em .6em;
text-align:left;vertical-align:top}tr.fail td{background:#fce8e6}tr.pass td{background:#e6f4ea}
tr.chosen{font-weight:bold}.verdict{font-size:1.2em;font-weight:bold}.score{color:#5f6368;
font-size:.85em}img{max-width:100%}
"""
