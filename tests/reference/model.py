#!/usr/bin/env python3
"""Independent reference implementation of docs/models.md (cleaning rules
§1-3 and the weekly model §4), written from the spec alone, to cross-check
sheetsync.  Python 3 standard library only.

    model.py FILE.csv [--locale en_US] [--now-local "YYYY-MM-DD HH:MM:SS"]
             [--observed FILE.json] [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Prints one JSON object:
    {"problems": [[row, field, code, severity], ...],   (sorted)
     "issues":   {issue_number: {field: value, ...}},     (current, valid)
     "trends":   {group_by: [row, ...]}}                  (contract §5.1 rows)

Choices where the spec is silent (kept in one place so they are easy to see):
  * the `field` of status_conflict / resolved_without_date is `status`;
  * formula_error is reported for cells of mapped columns (the leftmost
    column of each field) with that column's field, and for cells of unknown
    columns (extra attributes) with field null; not for the ignored second
    column of a field nor for cells under an empty header;
  * missing_vehicle is reported only when the sheet has a vehicle column;
  * "spaces" in the date forms: see RE_NUM below;
  * an odometer beyond 2^63-1 is invalid_number;
  * week_end of the week of 9999-12-27 is clamped to 9999-12-31;
  * empty text fields (vehicle, summary, description, reported_by,
    assigned_to) are null in the issue object;
  * summary/description are trimmed (ASCII) only.
"""

import argparse
import csv
import datetime as dt
import json
import re
import sys
from fractions import Fraction

# ---------------------------------------------------------------- text helpers

ASCII_WS = " \t\n\r\f\v"
_WS_RUN = re.compile(r"[ \t\n\r\f\v]+")
_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}


def trim(s):
    return s.strip(ASCII_WS)


def collapse(s):
    return _WS_RUN.sub(" ", trim(s))


def alower(s):
    return s.translate(_LOWER)


def aupper(s):
    return s.translate(_UPPER)


FORMULA_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!",
                  "#NULL!", "#ERROR!"}

# Spec-silent choice, matched to sheetsync: a formula error in an unknown
# (extra) column is reported too, with field null.
EXTRA_FORMULA_ERRORS = True

# ---------------------------------------------------------------- §2 columns

ALIASES = {
    "issue_number": ["issue #", "issue#", "issue number", "issue no",
                     "issue no.", "issue id", "number", "no.", "id", "#"],
    "vehicle": ["vehicle", "asset", "unit", "vehicle name", "unit #", "truck"],
    "summary": ["summary", "issue", "title", "issue summary", "name",
                "problem"],
    "description": ["description", "details", "notes"],
    "priority": ["priority", "severity", "urgency"],
    "status": ["status", "state"],
    "reported_at": ["reported date", "date reported", "reported on",
                    "reported at", "reported", "date"],
    "reported_by": ["reported by", "reporter", "submitted by", "driver"],
    "assigned_to": ["assigned to", "assignee", "owner", "technician",
                    "mechanic"],
    "due_date": ["due date", "due", "due on", "due by"],
    "resolved_at": ["resolved date", "date resolved", "resolved on",
                    "resolved at", "resolved", "closed date", "date closed",
                    "completed date"],
    "odometer": ["odometer", "mileage", "meter", "odometer (mi)", "miles"],
    "labels": ["labels", "tags", "category", "categories"],
}
ALIAS_TO_FIELD = {a: f for f, al in ALIASES.items() for a in al}
FIELDS = list(ALIASES)


def norm_header(h):
    h = collapse(alower(h))
    if h.endswith(":"):
        h = trim(h[:-1])  # `Status :` -> `status` (spec-silent choice)
    return h


# ---------------------------------------------------------------- §3 dates

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5,
    "june": 6, "july": 7, "august": 8, "september": 9, "october": 10,
    "november": 11, "december": 12,
}
for _name, _n in list(MONTHS.items()):
    MONTHS[_name[:3]] = _n
MONTHS["sept"] = 9
_MON = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"

_F = re.ASCII | re.IGNORECASE
RE_ISO = re.compile(
    r"([0-9]{4})([-/])([0-9]{2})\2([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?", _F)
# "spaces" before the time and between the words of the month-name forms: a
# run of ASCII whitespace (spec-silent; matched to sheetsync).  Before AM/PM:
# no space or one space.  ISO: exactly one `T` or one space.
_S = r"[ \t\n\r\f\v]+"
RE_NUM = re.compile(
    r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})"
    r"(?:" + _S + r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?: ?(AM|PM))?)?",
    _F)
RE_D_MON_Y = re.compile(r"([0-9]{1,2})" + _S + _MON + _S + r"([0-9]{4})", _F)
RE_MON_D_Y = re.compile(_MON + _S + r"([0-9]{1,2})(?:," + _S + "|" + _S +
                        r")([0-9]{4})", _F)


def _mk(y, mo, d, h=0, mi=0, s=0):
    if not (1 <= y <= 9999):
        return None
    if not (0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 59):
        return None
    try:
        return dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def parse_date(text, locale):
    """Returns a datetime, or None when invalid. `text` is non-empty."""
    t = trim(text)
    m = RE_ISO.fullmatch(t)
    if m:
        y, _, mo, d, h, mi, s = m.groups()
        return _mk(int(y), int(mo), int(d), int(h or 0), int(mi or 0),
                   int(s or 0))
    m = RE_NUM.fullmatch(t)
    if m:
        a, _, b, y, h, mi, s, ap = m.groups()
        y = int(y) + 2000 if len(y) == 2 else int(y)
        if locale == "en_US" or locale is None or locale == "":
            mo, d = int(a), int(b)
        else:
            d, mo = int(a), int(b)
        hh = int(h or 0)
        if ap:
            if not 1 <= hh <= 12:
                return None
            hh = hh % 12 + (12 if ap.lower() == "pm" else 0)
        return _mk(y, mo, d, hh, int(mi or 0), int(s or 0))
    m = RE_D_MON_Y.fullmatch(t)
    if m:
        d, mon, y = m.groups()
        return _mk(int(y), MONTHS[mon.lower()], int(d))
    m = RE_MON_D_Y.fullmatch(t)
    if m:
        mon, d, y = m.groups()
        return _mk(int(y), MONTHS[mon.lower()], int(d))
    return None


def fmt_dt(v):
    if v is None:
        return None
    return "%04d-%02d-%02d %02d:%02d:%02d" % (v.year, v.month, v.day, v.hour,
                                              v.minute, v.second)


def week_end(ws):
    if ws.toordinal() + 6 > dt.date.max.toordinal():
        return "9999-12-31"  # clamped: the Sunday after 9999-12-27 is 10000-01-02
    return fmt_d(ws + dt.timedelta(days=6))


def fmt_d(v):
    return "%04d-%02d-%02d" % (v.year, v.month, v.day)


def parse_local(s):
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------- §3 values

PRIORITY = {}
for _canon, _words in [
        ("critical", "critical crit urgent p0 p1 highest emergency"),
        ("high", "high h p2"),
        ("medium", "medium med m normal moderate p3"),
        ("low", "low l p4 minor lowest")]:
    for _w in _words.split():
        PRIORITY[_w] = _canon
for _w in ["", "none", "no priority", "n/a", "-"]:
    PRIORITY[_w] = "none"

STATUS = {}
for _canon, _words in [
        ("open", ["open", "new", "in progress", "in-progress", "pending",
                  "reopened", "waiting", "on hold"]),
        ("resolved", ["resolved", "fixed", "done", "complete", "completed",
                      "repaired"]),
        ("closed", ["closed", "won't fix", "wont fix", "wontfix", "cancelled",
                    "canceled", "duplicate", "invalid"])]:
    for _w in _words:
        STATUS[_w] = _canon

RE_ODO = re.compile(r"([0-9]+)(?:\.([0-9]+))?(?:mi|miles|km|kms)?", _F)
RE_WHOLE = re.compile(r"([0-9]+)\.0+", re.ASCII)


def clean_issue_number(v):
    v = trim(v)
    if v.startswith("#"):
        v = trim(v[1:])
    m = RE_WHOLE.fullmatch(v)
    if m:
        v = m.group(1)
    return v


def clean_odometer(v):
    """Returns (value, ok)."""
    if trim(v) == "":
        return None, True
    s = re.sub(r"[, \t\n\r\f\v]", "", v)
    m = RE_ODO.fullmatch(s)
    if not m:
        return None, False
    whole, frac = m.group(1), m.group(2) or ""
    n = int(whole)
    if frac and frac[0] >= "5":
        n += 1
    if n > 2 ** 63 - 1:  # spec-silent: must fit a 64-bit integer
        return None, False
    return n, True


def clean_labels(v):
    out = []
    for part in re.split(r"[,;]", v):
        p = alower(trim(part))
        if p and p not in out:
            out.append(p)
    return out


def text_or_none(v):
    v = collapse(v)
    return v if v else None


# ---------------------------------------------------------------- the sheet

def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def clean_sheet(records, locale, now_local, observed):
    problems = []
    if not records:
        return problems, {}
    header = records[0]
    col_of = {}
    extra_cols = []
    for idx, h in enumerate(header):
        f = ALIAS_TO_FIELD.get(norm_header(h))
        if f is None:
            if EXTRA_FORMULA_ERRORS and trim(h) != "":
                extra_cols.append(idx)
            continue
        if f in col_of:
            problems.append((1, f, "duplicate_column", "warning"))
        else:
            col_of[f] = idx
    missing = [f for f in ("issue_number", "reported_at") if f not in col_of]
    if missing:
        for f in missing:
            problems.append((1, f, "missing_column", "error"))
        return problems, None

    rows = []  # (row_number, cleaned dict, problems list, has_error)
    for n, rec in enumerate(records[1:], start=2):
        if all(trim(c) == "" for c in rec):
            continue
        probs = []

        def cell(field):
            i = col_of.get(field)
            v = rec[i] if i is not None and i < len(rec) else ""
            if trim(v) in FORMULA_ERRORS:
                probs.append((n, field, "formula_error", "warning"))
                return ""
            return v

        raw = {f: cell(f) for f in FIELDS}
        for i in extra_cols:
            if i < len(rec) and trim(rec[i]) in FORMULA_ERRORS:
                probs.append((n, None, "formula_error", "warning"))
        r = {"row": n}
        num = clean_issue_number(raw["issue_number"])
        r["issue_number"] = num
        if num == "":
            probs.append((n, "issue_number", "missing_issue_number", "error"))

        # dates
        rep = None
        if trim(raw["reported_at"]) == "":
            probs.append((n, "reported_at", "missing_reported_at", "error"))
        else:
            rep = parse_date(raw["reported_at"], locale)
            if rep is None:
                probs.append((n, "reported_at", "invalid_date", "error"))
        for f in ("due_date", "resolved_at"):
            v = None
            if trim(raw[f]) != "":
                v = parse_date(raw[f], locale)
                if v is None:
                    probs.append((n, f, "invalid_date", "warning"))
            r[f] = v
        if rep is not None and r["resolved_at"] is not None \
                and r["resolved_at"] < rep:
            r["resolved_at"] = None
            probs.append((n, "resolved_at", "resolved_before_reported",
                          "warning"))
        r["reported_at"] = rep

        # priority
        p = alower(trim(raw["priority"]))
        if p in PRIORITY:
            r["priority"] = PRIORITY[p]
        else:
            r["priority"] = "none"
            probs.append((n, "priority", "unknown_priority", "warning"))

        # status
        s = alower(trim(raw["status"]))
        typed = STATUS.get(s)
        if typed is None and s != "":
            probs.append((n, "status", "unknown_status", "warning"))
        if typed is None:
            typed_status = None
            r["status"] = "resolved" if r["resolved_at"] is not None else "open"
        else:
            typed_status = typed
            r["status"] = typed

        # resolved_effective
        r["observed"] = False
        if r["resolved_at"] is not None:
            r["resolved_effective"] = r["resolved_at"]
            if typed_status == "open":
                probs.append((n, "status", "status_conflict", "warning"))
        elif r["status"] in ("resolved", "closed"):
            r["observed"] = True
            r["resolved_effective"] = None  # filled in once the number is known
            probs.append((n, "status", "resolved_without_date", "warning"))
        else:
            r["resolved_effective"] = None

        # vehicle
        name = collapse(raw["vehicle"])
        key = re.sub(r"[^A-Z0-9]", "", aupper(name))
        if name == "" and "vehicle" in col_of:
            probs.append((n, "vehicle", "missing_vehicle", "warning"))
        r["vehicle"] = name if name else None
        r["vehicle_key"] = key if key else "UNKNOWN"

        r["summary"] = trim(raw["summary"]) or None
        r["description"] = trim(raw["description"]) or None
        r["reported_by"] = text_or_none(raw["reported_by"])
        r["assigned_to"] = text_or_none(raw["assigned_to"])

        odo, ok = clean_odometer(raw["odometer"])
        if not ok:
            probs.append((n, "odometer", "invalid_number", "warning"))
        r["odometer"] = odo
        r["labels"] = clean_labels(raw["labels"])
        rows.append([n, r, probs])

    # duplicates: the highest row number carrying a number wins
    last = {}
    for n, r, probs in rows:
        if r["issue_number"] != "":
            last[r["issue_number"]] = n
    for n, r, probs in rows:
        num = r["issue_number"]
        if num != "" and last[num] != n:
            probs.append((n, "issue_number", "duplicate_issue_number", "error"))

    issues = {}
    for n, r, probs in rows:
        problems.extend(probs)
        if any(p[3] == "error" for p in probs):
            continue
        if r["observed"]:
            t = observed.get(r["issue_number"], now_local)
            if t is None:
                raise SystemExit("model.py: issue %s needs --now-local"
                                 % r["issue_number"])
            r["resolved_effective"] = parse_local(t)
        issues[r["issue_number"]] = r
    return problems, issues


# ---------------------------------------------------------------- §4 weekly

def monday(d):
    d = d.date() if isinstance(d, dt.datetime) else d
    return d - dt.timedelta(days=d.weekday())


def round_half_away(x, places):
    """x: Fraction -> float rounded half away from zero."""
    scale = 10 ** places
    v = abs(x) * scale
    n = int(v)  # floor for non-negative
    if v - n >= Fraction(1, 2):
        n += 1
    q = Fraction(n, scale)
    return float(q if x >= 0 else -q)


def group_value(issue, group_by):
    if group_by == "none":
        return "all"
    if group_by == "priority":
        return issue["priority"]
    if group_by == "vehicle":
        return issue["vehicle_key"]
    a = issue["assigned_to"]
    return alower(a) if a else "unassigned"


class _Never:
    """A moment after every datetime (the week after 9999-12-27)."""
    def __gt__(self, other):
        return True

    def __le__(self, other):
        return False


def week_metrics(members, ws):
    if ws is None:  # the week before 0001-01-01
        return {"opened": 0, "resolved": 0, "open_at_end": 0,
                "overdue_at_end": 0, "mean_days_to_resolve": None,
                "median_days_to_resolve": None}
    start = dt.datetime.combine(ws, dt.time())
    try:
        nxt = start + dt.timedelta(days=7)
    except OverflowError:
        nxt = _Never()
    opened = resolved = open_end = overdue = 0
    durations = []
    for i in members:
        rep, R = i["reported_at"], i["resolved_effective"]
        if start <= rep < nxt:
            opened += 1
        if R is not None and start <= R < nxt:
            resolved += 1
            if i["resolved_at"] is not None:
                secs = int((i["resolved_at"] - rep).total_seconds())
                durations.append(Fraction(secs, 86400))
        if rep < nxt and (R is None or R >= nxt):
            open_end += 1
            if i["due_date"] is not None and i["due_date"] < nxt:
                overdue += 1
    mean = median = None
    if durations:
        durations.sort()
        mean = round_half_away(sum(durations) / len(durations), 2)
        k = len(durations)
        mid = durations[k // 2] if k % 2 else \
            (durations[k // 2 - 1] + durations[k // 2]) / 2
        median = round_half_away(mid, 2)
    return {"opened": opened, "resolved": resolved, "open_at_end": open_end,
            "overdue_at_end": overdue, "mean_days_to_resolve": mean,
            "median_days_to_resolve": median}


def weekly(issues, group_by, date_from=None, date_to=None):
    vals = list(issues.values())
    if date_from is None or date_to is None:
        if not vals:
            return []
        lo = min(i["reported_at"] for i in vals)
        hi = max([i["reported_at"] for i in vals] +
                 [i["resolved_at"] for i in vals
                  if i["resolved_at"] is not None])
        first = monday(lo) if date_from is None else monday(date_from)
        last = monday(hi) if date_to is None else monday(date_to)
    else:
        first, last = monday(date_from), monday(date_to)
    if group_by == "priority":
        groups = ["critical", "high", "medium", "low", "none"]
    else:
        groups = {group_value(i, group_by) for i in vals}
    groups = sorted(groups, key=lambda g: g.encode("utf-8"))
    members = {g: [] for g in groups}
    for i in vals:
        members[group_value(i, group_by)].append(i)
    out = []
    ws = first
    while ws <= last:
        for g in groups:
            cur = week_metrics(members[g], ws)
            prev = week_metrics(members[g], ws - dt.timedelta(days=7)
                                if ws.toordinal() > 7 else None)
            row = {"week_start": fmt_d(ws),
                   "week_end": week_end(ws),
                   "group": g}
            row.update(cur)
            for x in ("opened", "resolved", "open_at_end"):
                row[x + "_prev"] = prev[x]
                row[x + "_wow_delta"] = cur[x] - prev[x]
                row[x + "_wow_pct"] = None if prev[x] == 0 else \
                    round_half_away(Fraction(100 * (cur[x] - prev[x]),
                                             prev[x]), 1)
            out.append(row)
        if ws.toordinal() + 7 > dt.date.max.toordinal():
            break
        ws += dt.timedelta(days=7)
    return out


def issue_json(r):
    return {
        "issue_number": r["issue_number"],
        "row": r["row"],
        "vehicle": r["vehicle"],
        "vehicle_key": r["vehicle_key"],
        "summary": r["summary"],
        "description": r["description"],
        "priority": r["priority"],
        "status": r["status"],
        "reported_at": fmt_dt(r["reported_at"]),
        "reported_by": r["reported_by"],
        "assigned_to": r["assigned_to"],
        "due_date": fmt_dt(r["due_date"]),
        "resolved_at": fmt_dt(r["resolved_at"]),
        "resolved_effective": fmt_dt(r["resolved_effective"]),
        "odometer": r["odometer"],
        "labels": r["labels"],
    }


def run(path, locale="en_US", now_local=None, observed=None, date_from=None,
        date_to=None):
    records = read_csv(path)
    problems, issues = clean_sheet(records, locale, now_local, observed or {})
    problems = sorted([list(p) for p in problems],
                      key=lambda p: (p[0], p[1] or "", p[2], p[3]))
    out = {"problems": problems, "issues": None, "trends": None}
    if issues is None:
        return out
    df = dt.date.fromisoformat(date_from) if date_from else None
    dtt = dt.date.fromisoformat(date_to) if date_to else None
    out["issues"] = {k: issue_json(v) for k, v in sorted(issues.items())}
    out["trends"] = {g: weekly(issues, g, df, dtt)
                     for g in ("none", "priority", "vehicle", "assignee")}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--locale", default="en_US")
    ap.add_argument("--now-local", help="observed-fallback time, local")
    ap.add_argument("--observed",
                    help="JSON file {issue_number: 'YYYY-MM-DD HH:MM:SS'} "
                         "overriding --now-local per issue")
    ap.add_argument("--from", dest="date_from")
    ap.add_argument("--to", dest="date_to")
    a = ap.parse_args()
    observed = {}
    if a.observed:
        with open(a.observed) as f:
            observed = json.load(f)
    out = run(a.csv, a.locale, a.now_local, observed, a.date_from, a.date_to)
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
