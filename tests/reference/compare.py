#!/usr/bin/env python3
"""Cross-check sheetsync against the independent reference model.py.

    compare.py --bin build/release/sheetsync FILE.csv [--locale en_US]

Imports FILE into a fresh database (`import-csv --timezone UTC`), serves it on
a free port, fetches /issues, /quality and /trends/weekly (all four group_bys,
the default range and one explicit range), and compares with model.py.  Exits
1 with a readable diff of the first mismatches, 0 with a summary line.
"""

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model  # noqa: E402

GROUP_BYS = ("none", "priority", "vehicle", "assignee")
TREND_KEYS = [
    "week_start", "week_end", "group", "opened", "resolved", "open_at_end",
    "overdue_at_end", "mean_days_to_resolve", "median_days_to_resolve",
    "opened_prev", "opened_wow_delta", "opened_wow_pct", "resolved_prev",
    "resolved_wow_delta", "resolved_wow_pct", "open_at_end_prev",
    "open_at_end_wow_delta", "open_at_end_wow_pct"]
DECIMAL_KEYS = {"mean_days_to_resolve", "median_days_to_resolve",
                "opened_wow_pct", "resolved_wow_pct", "open_at_end_wow_pct"}
ISSUE_KEYS = ["issue_number", "row", "vehicle", "vehicle_key", "summary",
              "description", "priority", "status", "reported_at",
              "reported_by", "assigned_to", "due_date", "resolved_at",
              "resolved_effective", "odometer", "labels"]
MAX_SHOWN = 12
PAGE = 37  # small pages, so that the cursors are exercised too


class Diff:
    def __init__(self):
        self.lines = []
        self.count = 0

    def add(self, msg):
        self.count += 1
        if len(self.lines) < MAX_SHOWN:
            self.lines.append(msg)


def get_json(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.loads(r.read().decode("utf-8"))


def get_all(base, path):
    items, cursor = [], None
    while True:
        q = path + ("&" if "?" in path else "?") + "limit=%d" % PAGE
        if cursor:
            q += "&cursor=" + urllib.parse.quote(cursor)
        page = get_json(base, q)
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def start_server(binary, db, workdir):
    log_path = os.path.join(workdir, "serve.log")
    env = dict(os.environ, SHEETSYNC_PORT="0", SHEETSYNC_BIND="127.0.0.1",
               SHEETSYNC_RECONCILE_SECONDS="0")
    for k in ("SHEETSYNC_API_TOKEN", "SHEETSYNC_API_TOKEN_FILE",
              "SHEETSYNC_SPREADSHEET_ID", "SHEETSYNC_CONFIG"):
        env.pop(k, None)
    log = open(log_path, "w")
    proc = subprocess.Popen([binary, "--db", db, "serve"], stdout=log,
                            stderr=subprocess.STDOUT, env=env, cwd=workdir)
    deadline = time.time() + 15
    while time.time() < deadline:
        with open(log_path) as f:
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", f.read())
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    with open(log_path) as f:
        raise SystemExit("compare.py: server did not start:\n" + f.read())


LOOSE = []  # decimals equal within 0.01 but not exactly (rounding notes)


def num_eq(key, a, b):
    if a is None or b is None:
        return a is None and b is None
    if key in DECIMAL_KEYS:
        if not isinstance(b, (int, float)) or abs(a - b) > 0.01 + 1e-9:
            return False
        if abs(a - b) > 1e-9:
            LOOSE.append((key, a, b))
        return True
    return a == b and type(a) == type(b) or (
        isinstance(b, int) and not isinstance(b, bool) and a == b)


def csv_row(values):
    """A CSV line of /trends/weekly as a JSON-like row (empty -> null)."""
    row = {}
    for k, v in zip(TREND_KEYS, values):
        if k in ("week_start", "week_end", "group"):
            row[k] = v
        elif v == "":
            row[k] = None
        elif k in DECIMAL_KEYS:
            row[k] = float(v)
        else:
            row[k] = int(v)
    return row


def compare_trends(diff, label, ref_rows, got_rows):
    if len(ref_rows) != len(got_rows):
        diff.add("%s: %d rows expected, %d served" %
                 (label, len(ref_rows), len(got_rows)))
    for i, (r, g) in enumerate(zip(ref_rows, got_rows)):
        missing = [k for k in TREND_KEYS if k not in g]
        if missing:
            diff.add("%s row %d: missing keys %s" % (label, i, missing))
        bad = []
        for k in TREND_KEYS:
            if k in g and not num_eq(k, r[k], g[k]):
                bad.append("%s: expected %r, got %r" % (k, r[k], g[k]))
        if bad:
            diff.add("%s row %d (%s %s): %s" % (label, i, r["week_start"],
                                                r["group"], "; ".join(bad)))
    if len(ref_rows) != len(got_rows):
        rk = [(r["week_start"], r["group"]) for r in ref_rows]
        gk = [(g.get("week_start"), g.get("group")) for g in got_rows]
        only_r = [k for k in rk if k not in gk][:5]
        only_g = [k for k in gk if k not in rk][:5]
        diff.add("%s: only in reference %s; only served %s" %
                 (label, only_r, only_g))


def compare_problems(diff, ref, got):
    def key(p):
        return tuple("" if x is None else x for x in p)
    ref_l = sorted((tuple(p) for p in ref), key=key)
    got_l = sorted(((q["row"], q["field"], q["code"], q["severity"])
                    for q in got), key=key)
    for q in got:
        # A1 cell, or the whole row (`Sheet!1:1`) for a missing column
        m = re.search(r"!(?:[A-Z]+(\d+)|(\d+):\2)$", q.get("cell") or "")
        if not m or int(m.group(1) or m.group(2)) != q["row"]:
            diff.add("quality item row %s has cell %r" % (q["row"],
                                                          q.get("cell")))
    rest = list(got_l)
    only_ref = []
    for p in ref_l:
        if p in rest:
            rest.remove(p)
        else:
            only_ref.append(p)
    for p in only_ref:
        diff.add("problem expected, not in /quality: %s" % (list(p),))
    for p in rest:
        q = next(q for q in got if (q["row"], q["field"], q["code"],
                                    q["severity"]) == p)
        diff.add("problem in /quality, not expected: %s (cell %s, column %r,"
                 " value %r)" % (list(p), q.get("cell"), q.get("column"),
                                 q.get("value")))
    return len(ref_l)


def compare_issues(diff, ref, got_items):
    got = {}
    for it in got_items:
        if it["issue_number"] in got:
            diff.add("/issues lists issue %r twice" % it["issue_number"])
        got[it["issue_number"]] = it
    for n in sorted(set(ref) - set(got)):
        diff.add("issue %r expected (row %s), not in /issues" %
                 (n, ref[n]["row"]))
    for n in sorted(set(got) - set(ref)):
        diff.add("issue %r (row %s) in /issues, not expected" %
                 (n, got[n].get("row")))
    for n in sorted(set(ref) & set(got)):
        r, g = ref[n], got[n]
        bad = ["%s: expected %r, got %r" % (k, r[k], g.get(k))
               for k in ISSUE_KEYS if r[k] != g.get(k)]
        if bad:
            diff.add("issue %r (row %s): %s" % (n, r["row"], "; ".join(bad)))


def report(name, diff, ok_line):
    if diff.count:
        print("%s: %d mismatches" % (name, diff.count))
        for line in diff.lines:
            print("  " + line)
        if diff.count > len(diff.lines):
            print("  ... %d more" % (diff.count - len(diff.lines)))
        return 1
    note = ""
    if LOOSE:
        note = " (%d decimals within 0.01 but not equal, e.g. %s: expected " \
            "%r, got %r)" % ((len(LOOSE),) + LOOSE[0])
    print("%s: %s%s" % (name, ok_line, note))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/release/sheetsync")
    ap.add_argument("--locale", default="en_US")
    ap.add_argument("--timezone", default="UTC",
                    help="the source time zone given to import-csv; the "
                         "observed fallback must be the import time there")
    ap.add_argument("--first", metavar="CSV",
                    help="import this file first, then FILE over it")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    ap.add_argument("csv")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    csv_path = os.path.abspath(a.csv)
    name = "%s [%s]" % (os.path.basename(a.csv), a.locale)
    if a.timezone != "UTC":
        name = "%s [%s %s]" % (os.path.basename(a.csv), a.locale, a.timezone)
    import zoneinfo
    tz = zoneinfo.ZoneInfo(a.timezone)

    def local_now():
        return dt.datetime.now(tz).replace(tzinfo=None)

    workdir = tempfile.mkdtemp(prefix="sheetsync-ref-")
    db = os.path.join(workdir, "t.db")
    proc = None
    try:
        before = local_now().replace(microsecond=0)
        if a.first:
            # an earlier import of another sheet into the same source: the
            # second import must leave exactly the state of the second file
            # (rows it no longer has are deleted); the observed fallback may
            # keep the moment of the first import
            imp = subprocess.run([binary, "--db", db, "import-csv",
                                  os.path.abspath(a.first), "--timezone",
                                  a.timezone, "--locale", a.locale],
                                 capture_output=True, text=True, cwd=workdir)
            if imp.returncode != 0:
                print("%s: first import-csv failed: %s" %
                      (name, imp.stderr.strip()))
                return 1
            name += " after " + os.path.basename(a.first)
            time.sleep(1.2)  # the two imports fall in different seconds
        mid = local_now().replace(microsecond=0)
        imp = subprocess.run([binary, "--db", db, "import-csv", csv_path,
                              "--timezone", a.timezone, "--locale", a.locale],
                             capture_output=True, text=True, cwd=workdir)
        after = local_now()
        ref0 = model.run(csv_path, a.locale, "0001-01-01 00:00:00")
        if ref0["issues"] is None:
            # missing_column: the import fails, recorded in /quality
            diff = Diff()
            if imp.returncode != 1:
                diff.add("import-csv exit %d, expected 1 (missing_column)"
                         % imp.returncode)
            proc, base = start_server(binary, db, workdir)
            nprob = compare_problems(diff, ref0["problems"],
                                     get_all(base, "/quality"))
            if get_all(base, "/issues"):
                diff.add("/issues is not empty after a refused import")
            return report(name, diff, "import refused, %d problems: "
                          "identical" % nprob)
        if imp.returncode != 0:
            print("%s: import-csv failed (exit %d): %s" %
                  (name, imp.returncode, imp.stderr.strip()))
            return 1
        proc, base = start_server(binary, db, workdir)

        issues_got = get_all(base, "/issues")
        quality_got = get_all(base, "/quality")
        diff = Diff()

        # observed fallback moments, as the service recorded them
        observed = {}
        if a.first:
            first_ref = model.run(os.path.abspath(a.first), a.locale,
                                  "0001-01-01 00:00:00")
        for it in issues_got:
            if it.get("resolved_at") is None and \
                    it.get("resolved_effective") is not None:
                observed[it["issue_number"]] = it["resolved_effective"]
                t = model.parse_local(it["resolved_effective"])
                if not (before <= t <= after + dt.timedelta(seconds=1)):
                    diff.add("issue %r: observed resolved_effective %s is "
                             "not the import time in %s (%s .. %s)" %
                             (it["issue_number"], t, a.timezone, before,
                              after))
                if a.first:
                    # "the moment the service first observed this issue in
                    # that state": same status without a date in both files
                    # -> the first import; open or absent in the first file
                    # -> the second import
                    f_iss = first_ref["issues"].get(it["issue_number"])
                    if f_iss and f_iss["resolved_at"] is None and \
                            f_iss["status"] == it["status"]:
                        want, ok = "first", t < mid
                    elif f_iss is None or f_iss["resolved_effective"] is None:
                        want, ok = "second", t >= mid
                    else:
                        want, ok = "", True
                    if not ok:
                        diff.add("issue %r: observed resolved_effective %s "
                                 "is not the %s import's time (second import"
                                 " began %s)" % (it["issue_number"], t, want,
                                                 mid))
        now_local = min(observed.values()) if observed else \
            model.fmt_dt(before)

        ref = model.run(csv_path, a.locale, now_local, observed)
        nprob = compare_problems(diff, ref["problems"], quality_got)
        compare_issues(diff, ref["issues"], issues_got)

        nweeks = 0
        for g in GROUP_BYS:
            got = get_json(base, "/trends/weekly?group_by=" + g)
            rows = ref["trends"][g]
            weeks = sorted({r["week_start"] for r in rows})
            nweeks = len(weeks)
            compare_trends(diff, "trends group_by=%s" % g, rows,
                           got.get("weeks", []))
            if weeks and (got.get("from"), got.get("to")) != \
                    (weeks[0], weeks[-1]):
                diff.add("trends group_by=%s: from/to %s..%s, expected "
                         "%s..%s" % (g, got.get("from"), got.get("to"),
                                     weeks[0], weeks[-1]))
            if got.get("timezone") != a.timezone or \
                    got.get("group_by") != g:
                diff.add("trends group_by=%s: timezone %r / group_by %r" %
                         (g, got.get("timezone"), got.get("group_by")))
            # the same rows as CSV
            with urllib.request.urlopen(
                    base + "/trends/weekly?format=csv&group_by=" + g,
                    timeout=30) as r:
                lines = list(csv.reader(io.StringIO(r.read().decode())))
            if not lines or lines[0] != TREND_KEYS:
                diff.add("trends group_by=%s format=csv: header %s" %
                         (g, lines[:1]))
            else:
                compare_trends(diff, "trends group_by=%s format=csv" % g,
                               rows, [csv_row(x) for x in lines[1:]])
        # an explicit range: starts two weeks early (mid-week dates, moved to
        # their Monday), ends five weeks after the first week
        first = dt.date.fromisoformat(ref["trends"]["none"][0]["week_start"]) \
            if nweeks else None
        if first and dt.date(1, 2, 1) < first < dt.date(9999, 11, 1):
            f = (first - dt.timedelta(days=12)).isoformat()
            t = (first + dt.timedelta(days=38)).isoformat()
            ranged = model.run(csv_path, a.locale, now_local, observed, f, t)
            for g in GROUP_BYS:
                got = get_json(base, "/trends/weekly?group_by=%s&from=%s&to=%s"
                               % (g, f, t))
                compare_trends(diff, "trends group_by=%s from=%s to=%s" %
                               (g, f, t), ranged["trends"][g],
                               got.get("weeks", []))
            # `from` after `to` gives no weeks
            got = get_json(base, "/trends/weekly?group_by=priority&from=%s"
                           "&to=%s" % (t, f))
            if got.get("weeks"):
                diff.add("trends from=%s to=%s: %d rows, expected none" %
                         (t, f, len(got["weeks"])))

        return report(name, diff, "reference: 4 group_bys x %d weeks, %d "
                      "problems, %d issues: identical"
                      % (nweeks, nprob, len(ref["issues"])))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if a.keep:
            print("kept " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
