"""Two screening runs compared: which projects changed outcome, level, clauses or occupied area.

:func:`compare_runs` reads the ``report.json`` files (and ``summary.csv`` for
projects that could not be screened) of two output folders — e.g. before and
after a red-line adjustment or an updated village list — and returns one
:class:`Change` per difference: a project added, removed, newly failing or
screened again, a different ``overall``, a regulation's ``outcome``,
``level`` or ``clauses``, or a different occupied area (m²) or length (m) of a
kind.  :func:`changes_table` makes it a DataFrame (stdout, CSV),
:func:`render_diff_html` an HTML page.  Layer editions and checksums that
differ between the runs are listed by :func:`layer_changes`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import jinja2
import pandas as pd

from ..errors import ShgeoError
from ..library.kinds import KINDS
from .report_html import LEVEL_ZH, OUTCOME_ZH, OVERALL_ZH

__all__ = ["Change", "RunReports", "read_run", "compare_runs", "changes_table", "changes_csv", "layer_changes",
           "render_diff_html", "CHANGE_COLUMNS"]

log = logging.getLogger(__name__)

#: Columns of :func:`changes_table`.
CHANGE_COLUMNS: Final = ("project_id", "name", "change", "item", "old", "new")

#: An occupied area or length counts as changed beyond max(this many m² / m, this fraction of it).
_ABS_TOL: Final = 0.01
_REL_TOL: Final = 1e-6


@dataclass(frozen=True)
class Change:
    """One difference between the runs for one project."""

    project_id: str
    name: str | None
    change: str  # added, removed, failed, screened_again, overall, outcome, level, clauses, area_m2, length_m
    item: str  # what changed: "overall", a regulation, a kind, "project"
    old: str
    new: str


@dataclass
class RunReports:
    """One output folder: report.json by project id, and the projects that failed (id → reason)."""

    folder: Path
    reports: dict[str, dict[str, Any]]
    failed: dict[str, str]


def read_run(folder: str | Path) -> RunReports:
    """Read every ``*/report.json`` of an output folder, and the failed projects of its ``summary.csv``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ShgeoError(f"{folder}: not a folder (give a shgeo screen --out folder)")
    reports: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*/report.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ShgeoError(f"{path}: not a readable report.json ({exc})") from None
        if isinstance(data, dict) and isinstance(data.get("project_id"), str):
            reports[data["project_id"]] = data
    failed: dict[str, str] = {}
    summary = folder / "summary.csv"
    if summary.is_file():
        with summary.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("status") not in (None, "", "screened") and row.get("project_id"):
                    failed[row["project_id"].lstrip("'")] = row.get("reason") or row["status"]
    if not reports and not failed:
        raise ShgeoError(f"{folder}: no report.json found (give a shgeo screen --out folder)")
    return RunReports(folder, reports, failed)


def _measures(report: dict[str, Any]) -> dict[tuple[str, str], float]:
    """(kind, "area_m2"|"length_m") → occupied measure, from facts.details.by_kind, else summed overlaps."""
    details = (report.get("facts") or {}).get("details") or {}
    by_kind = details.get("by_kind")
    out: dict[tuple[str, str], float] = {}
    if isinstance(by_kind, dict):
        for kind, entry in by_kind.items():
            for unit in ("area_m2", "length_m"):
                if isinstance(entry, dict) and entry.get(unit):
                    out[(kind, unit)] = float(entry[unit])
        return out
    for o in report.get("overlaps") or []:
        if o.get("relation") != "overlap":
            continue
        for unit in ("area_m2", "length_m"):
            if o.get(unit):
                out[(o["kind"], unit)] = out.get((o["kind"], unit), 0.0) + float(o[unit])
    return out


def _findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f.get("regulation", "?"): f for f in report.get("findings") or []}


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "—"
    return str(value)


def _project_changes(pid: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    name = new.get("name") or old.get("name")
    out: list[Change] = []

    def add(change: str, item: str, a: Any, b: Any) -> None:
        out.append(Change(pid, name, change, item, _text(a), _text(b)))

    if old.get("overall") != new.get("overall"):
        add("overall", "overall", old.get("overall"), new.get("overall"))
    fo, fn = _findings(old), _findings(new)
    for reg in dict.fromkeys([*fo, *fn]):
        a, b = fo.get(reg, {}), fn.get(reg, {})
        for key in ("outcome", "level"):
            if a.get(key) != b.get(key):
                add(key, reg, a.get(key), b.get(key))
        if list(a.get("clauses") or []) != list(b.get("clauses") or []):
            add("clauses", reg, a.get("clauses"), b.get("clauses"))
    mo, mn = _measures(old), _measures(new)
    for key in sorted(set(mo) | set(mn)):
        x, y = mo.get(key, 0.0), mn.get(key, 0.0)
        if abs(x - y) > max(_ABS_TOL, _REL_TOL * max(abs(x), abs(y))):
            add(key[1], key[0], f"{x:,.2f}", f"{y:,.2f}")
    return out


def compare_runs(old: RunReports, new: RunReports) -> list[Change]:
    """Every difference between two runs, project by project (new run's order, then removed ones)."""
    ids = list(dict.fromkeys([*new.reports, *new.failed, *old.reports, *old.failed]))
    out: list[Change] = []
    for pid in ids:
        a, b = old.reports.get(pid), new.reports.get(pid)
        name = (b or a or {}).get("name")
        if a is None and b is None:  # failed in one run, absent from the other, or failed in both
            was, now = pid in old.failed, pid in new.failed
            if not (was and now):
                out.append(Change(pid, name, "added" if now else "removed", "project",
                                  "failed" if was else "—", "failed" if now else "—"))
        elif a is None:
            was = "failed" if pid in old.failed else "—"
            out.append(Change(pid, name, "screened_again" if pid in old.failed else "added", "project", was,
                              _text(b.get("overall"))))
        elif b is None:
            now = "failed" if pid in new.failed else "—"
            out.append(Change(pid, name, "failed" if pid in new.failed else "removed", "project",
                              _text(a.get("overall")), now + (f": {new.failed[pid]}" if pid in new.failed else "")))
        else:
            out += _project_changes(pid, a, b)
    return out


def changes_table(changes: Iterable[Change]) -> pd.DataFrame:
    """The changes as a DataFrame with :data:`CHANGE_COLUMNS`."""
    return pd.DataFrame([asdict(c) for c in changes], columns=list(CHANGE_COLUMNS))


def _cell(value: Any) -> Any:
    """A text cell Excel would read as a formula gets a leading ' (OWASP); numbers are left alone."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value.replace(",", ""))
        except ValueError:
            return "'" + value
    return value


def _combined(files: Any) -> str | None:
    """One digest over a layer's files (a FileGDB has no single file to name)."""
    if not isinstance(files, dict) or not files:
        return None
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]}\n".encode())
    return digest.hexdigest()


def changes_csv(changes: Iterable[Change]) -> bytes:
    """The changes as CSV (UTF-8 with BOM, for Excel), formula-like cells neutralised."""
    table = changes_table(changes)
    return table.map(_cell).to_csv(index=False).encode("utf-8-sig")


def layer_changes(old: RunReports, new: RunReports) -> list[dict[str, str]]:
    """Layers whose edition or checksum differs between the runs (from one report of each)."""
    def layers(run: RunReports) -> dict[str, str]:
        report = next(iter(run.reports.values()), {})
        out: dict[str, list[str]] = {}
        for entry in report.get("layers") or []:
            digest = entry.get("sha256") or _combined(entry.get("sha256_files"))
            out.setdefault(str(entry.get("kind")), []).append(
                f"{Path(str(entry.get('path'))).name} {_text(entry.get('edition'))} {str(digest or '')[:12]}".strip())
        return {k: "; ".join(v) for k, v in out.items()}

    lo, ln = layers(old), layers(new)
    return [{"layer": kind, "old": lo.get(kind, "—"), "new": ln.get(kind, "—")}
            for kind in dict.fromkeys([*lo, *ln]) if lo.get(kind) != ln.get(kind)]


_CHANGE_ZH: Final = {"added": "新增项目", "removed": "项目已移除", "failed": "未能筛查", "screened_again": "重新筛查",
                     "overall": "筛查结论", "outcome": "结论", "level": "审批层级", "clauses": "条款",
                     "area_m2": "占用面积（平方米）", "length_m": "占用长度（米）"}

_TEMPLATE: Final = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>两次筛查结果比较</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;
padding:4px 8px;text-align:left}th{background:#eee}.muted{color:#666}</style></head><body>
<h1>两次筛查结果比较</h1>
<p class="muted">原结果：{{ old }}<br>新结果：{{ new }}</p>
<p>{{ n_projects }} 个项目有变化，共 {{ rows|length }} 处。</p>
{% if layers %}<h2>图层变化</h2><table id="layers"><tr><th>图层</th><th>原版本</th><th>新版本</th></tr>
{% for l in layers %}<tr><td>{{ KIND_ZH.get(l.layer, l.layer) }}</td><td>{{ l.old }}</td><td>{{ l.new }}</td></tr>{% endfor %}</table>{% endif %}
<h2>项目变化</h2>
<table id="changes"><tr><th>项目编号</th><th>项目名称</th><th>变化</th><th>对象</th><th>原</th><th>新</th></tr>
{% for r in rows %}<tr><td>{{ r.project_id }}</td><td>{{ r.name or "" }}</td><td>{{ CHANGE_ZH.get(r.change, r.change) }}</td>
<td>{{ KIND_ZH.get(r.item, "项目" if r.item == "project" else "总体" if r.item == "overall" else r.item) }}</td>
<td>{{ VALUE_ZH.get(r.old, r.old) }}</td><td>{{ VALUE_ZH.get(r.new, r.new) }}</td></tr>
{% else %}<tr><td colspan="6">两次筛查结果一致。</td></tr>{% endfor %}
</table></body></html>
"""


def render_diff_html(changes: list[Change], old: RunReports, new: RunReports) -> str:
    """An HTML page (Chinese) listing the changes and the layers that changed; every value escaped."""
    env = jinja2.Environment(autoescape=True)
    template = env.from_string(_TEMPLATE)
    return template.render(old=str(old.folder), new=str(new.folder), rows=changes,
                           n_projects=len({c.project_id for c in changes}), layers=layer_changes(old, new),
                           CHANGE_ZH=_CHANGE_ZH, KIND_ZH={k: s.label_zh for k, s in KINDS.items()},
                           VALUE_ZH={**OUTCOME_ZH, **OVERALL_ZH, **LEVEL_ZH, "failed": "未能筛查"})
