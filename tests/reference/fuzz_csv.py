#!/usr/bin/env python3
"""Generate a random, messy issue sheet as CSV (seeded, reproducible), made to
exercise every cleaning rule of docs/models.md §2-3.

    fuzz_csv.py --seed N [--locale en_US|de_DE] [--rows 120]
                [--missing-column] [-o FILE]

The locale only decides how numeric dates are usually written (month/day for
en_US, day/month otherwise); a share of them is written the other way round on
purpose, so some come out as different dates and some as impossible ones.
"""

import argparse
import csv
import datetime as dt
import io
import random
import sys

ALIASES = {
    "issue_number": ["Issue #", "issue#", "Issue Number", "ISSUE NO", "Issue No.",
                     "Issue ID", "Number", "No.", "id", "#"],
    "vehicle": ["Vehicle", "Asset", "UNIT", "Vehicle Name", "Unit #", "truck"],
    "summary": ["Summary", "Issue", "Title", "Issue Summary", "Name",
                "Problem"],
    "description": ["Description", "Details", "Notes"],
    "priority": ["Priority", "Severity", "Urgency"],
    "status": ["Status", "State"],
    "reported_at": ["Reported Date", "Date Reported", "Reported On",
                    "Reported At", "Reported", "Date"],
    "reported_by": ["Reported By", "Reporter", "Submitted By", "Driver"],
    "assigned_to": ["Assigned To", "Assignee", "Owner", "Technician",
                    "Mechanic"],
    "due_date": ["Due Date", "Due", "Due On", "Due By"],
    "resolved_at": ["Resolved Date", "Date Resolved", "Resolved On",
                    "Resolved At", "Resolved", "Closed Date", "Date Closed",
                    "Completed Date"],
    "odometer": ["Odometer", "Mileage", "Meter", "Odometer (mi)", "Miles"],
    "labels": ["Labels", "Tags", "Category", "Categories"],
}
UNKNOWN_HEADERS = ["Notes 2", "Cost ($)", "Location", "Photo", "Shop",
                   "Work Order", "Issue Count", "Reported Datetime"]
FORMULA_ERRORS = ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!",
                  "#NULL!", "#ERROR!"]

PRIORITY_WORDS = ["critical", "crit", "urgent", "p0", "p1", "highest",
                  "emergency", "high", "h", "p2", "medium", "med", "m",
                  "normal", "moderate", "p3", "low", "l", "p4", "minor",
                  "lowest", "", "none", "no priority", "n/a", "-"]
PRIORITY_ODD = ["ASAP", "?", "p5", "hi", "Medium-High", "2", "urgent!",
                "#"]
STATUS_OPEN = ["open", "new", "in progress", "in-progress", "pending",
               "reopened", "waiting", "on hold"]
STATUS_DONE = ["resolved", "fixed", "done", "complete", "completed",
               "repaired", "closed", "won't fix", "wont fix", "wontfix",
               "cancelled", "canceled", "duplicate", "invalid"]
STATUS_ODD = ["Waiting on parts", "tbd", "in  progress", "Open?", "n/a",
              "resolved."]

VEHICLES = [["Truck 12", "TRUCK-12", " truck12 ", "truck  12", "Truck_12"],
            ["Van #7", "VAN-07", "van 07", "Van 7"],
            ["Bus.22", "BUS 22", "bus-22"],
            ["Ünit 5", "ÜNIT 5", "Unit 5"],
            ["Straße 1", "STRASSE 1"],
            ["中文"], ["——"],
            ["Car 3", "car\t3", "CAR 3 "],
            ["F-150 (blue)", "f150 blue"],
            ["12"], ["12.0"]]
PEOPLE = [["Luis Ortega", "luis ortega", "LUIS  ORTEGA", " Luis Ortega "],
          ["Tina Brooks", "tina brooks"],
          ["José Pérez", "JOSÉ PÉREZ", "josé pérez"],
          ["Kim Park"], ["Dave Reynolds", "dave\treynolds"],
          ["Unassigned"], ["O'Neil, Pat", "o'neil, pat"]]
SUMMARIES = ["Flat tire", "Brakes squealing", "Check engine light",
             "Oil leak, front", 'Door "won\'t" latch', "  Heater out  ",
             "AC not cold\nsince Monday", "Horn", "Mirror broken",
             "Wipers; streaking", "Radio 📻 dead"]
DESCRIPTIONS = ["", "", "Second time this month.",
                "Line one\r\nLine two, with a comma", '  "quoted"  ',
                "Noticed on pre-trip.\n\nCall the driver.", "tab\there"]
LABELS = ["", "", "brakes", "brakes, safety", "Brakes; brakes, Safety;;",
          " , ; ", "Engine Oil; engine oil;ENGINE OIL", "hvac,  a  b ,hvac",
          "tires;", "électrique, ÉLECTRIQUE"]
ODOMETERS = ["", "", "45120", "45,120", "45 120", "45120 mi", "45120mi",
             "45,120 Miles", "72,000 KM", "72000kms", "1234.5", "1234.49",
             "0.5", "99.50 mi", "12k", "-5", "1e5", "N/A", "mi", "12.5.3",
             "+5", ".5", "5.", "007", " 1,2,3 ", "12 MI", "45120 mil"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
BAD_DATES = ["yesterday", "45292", "2024-1-5", "2024-01/05", "2/30/2024",
             "13/45/2024", "2023-02-29", "0000-01-01", "1/2/024",
             "Sep 31, 2024", "Jan. 5, 2024", "2024-03-05 24:00",
             "3/5/2024 13:00 PM", "3/5/2024 0:30 AM", "3/5/2024 10:60",
             "2024-03-05T9:30", "2024-03-05  09:30", "3/5/2024T10:00",
             "5 Mars 2024", "31/31/2024", "2024-03-05 10:00:60", "TBD",
             "3/5", "2024"]


# Edge values, valid and invalid, mixed in with a small probability.
EDGE_DATES = [
    "2024-03-05T09:30:00", "2024-03-05 T09:30", "2024-03-05t09:30",
    "2024-03-05 09:30:5", "3/5/2024 9:30:00PM", "3/5/2024 9:30 P.M.",
    "3/5/2024\t9:30", "3/5/2024 09:30 am", "03/05/2024", "3-5-24", "3.5.24",
    "Feb 29, 2023", "29 Feb 2024", "May 5 2024", "Sept 3, 2024",
    "sep 3, 2024", "SEPT 3 2024", "Septe 3 2024", "3 Sept 2024",
    "03 Mar 2024", "Mar 05, 2024", "Mar 5,2024", "Mar  5, 2024",
    "Mar 5 , 2024", "3/5/2024 12:00 AM", "3/5/2024 12:59:59 PM",
    "3/5/2024 0:00", "3/5/2024 23:59:59", "2024/03/05 23:59",
    "3/5/2024  9:30", "3/5/2024 9:30  PM", "3/5/2024 9:30\tPM",
    "2024-03-05 09:30 PM", "2024-3-05", "2024-03-5", "2024/03-05",
    "3/5-2024", "12/31/2024 11:59 PM", "2/29/24", "3/5/2024 12:00 PM",
    "3/5/2024 00:00 AM", "3/5/2024 13:00", "3 / 5 / 2024", "\u00a03/5/2024",
    "Mar\u00a05 2024", "5 march 2024", "5 Mar, 2024", "March 5th, 2024",
    "2024-03-05 9:30", "2024-03-05 09:30:00.5", "2024-03-05T24:00",
    "3/5/2024 9", "3/5/2024 9:3", "Jun 31 2024", "0/5/2024", "3/0/2024",
    "13/1/2024", "1/13/2024", "2024-02-30", "1.1.2024 1:00 am",
    "3/5/2024 09:30:00 PM", "3/5/2024 21:30 PM", "Mar\t5,\t2024",
    "2024-03-05  09:30", "yesterday", "45292", "45292.5", "TRUE"]
FAR_DATES = ["1/1/0001", "12/31/9999", "1/1/00", "9999-12-31", "0001-01-01",
             "12/30/1899", "1/1/100", "31.12.9999"]
EDGE_NUMBERS = ["12.", "1e1", "12.50", "0012.0", "-1", "##12", "# #12",
                "\u00a012", "#\t13 ", "14.000", " 015 ", "16.0.0", "17,0",
                "TRUE", "#0", "0", "00", "１２"]
EDGE_ODOMETERS = ["1,234.5 mi", "1 234,5", "12mi mi", "12 MILES", "12Km",
                  "0.49999", "2.5", "12.50kms", "1.", "4.5e", "\u00a0123",
                  "1\u00a0234", "12\tmi", "12 m i", "0", "00.5", "3.5 Mi",
                  "12 Kms ", "7mI", "１２"]
EDGE_PRIORITIES = ["no  priority", "N/A", "P1 ", "\u00a0high", "hIgH",
                   "Crit.", "none ", "--", "NO PRIORITY", "\tp4\t"]
EDGE_STATUSES = ["In Progress", "in  progress", "WON'T FIX", "won\u2019t fix",
                 "On Hold", "on-hold", "Wont Fix", "Complete ", "\u00a0done",
                 "IN-PROGRESS", "Re-opened"]
EDGE_VEHICLES = ["#", "---", "Truck\u00a012", "ＴＲＵＣＫ１２", "truck\x0b12",
                 "\x0c", "ß1", "Ǆ", "12", "Truck 12\nTrailer"]
EDGE_PEOPLE = ["JOSÉ", "josé", "Ǆ", "ǆ", "UNASSIGNED", "a\u00a0b", " \x0b ",
               "Kim\nPark"]


def case(rng, s):
    r = rng.random()
    if r < 0.15:
        return s.upper()
    if r < 0.3:
        return s.lower()
    if r < 0.4:
        return s.title()
    return s


def pad(rng, s):
    if rng.random() < 0.15:
        return rng.choice([" ", "  ", "\t", " \t"]) + s + \
            rng.choice(["", " ", "  "])
    return s


def render_date(rng, t, locale, with_time):
    """Renders datetime t as text in one of the accepted forms."""
    form = rng.random()
    if form < 0.3:
        sep = rng.choice("-/")
        s = "%04d%s%02d%s%02d" % (t.year, sep, t.month, sep, t.day)
        if with_time:
            s += rng.choice(["T", "t", " "])
            s += "%02d:%02d" % (t.hour, t.minute)
            if rng.random() < 0.5:
                s += ":%02d" % t.second
        return s
    if form < 0.8:
        sep = rng.choice("/////-.")
        md = locale == "en_US"
        if rng.random() < 0.05:
            md = not md
        a, b = (t.month, t.day) if md else (t.day, t.month)
        fa = "%02d" if rng.random() < 0.3 else "%d"
        fb = "%02d" if rng.random() < 0.3 else "%d"
        y = "%02d" % (t.year % 100) if rng.random() < 0.2 else "%04d" % t.year
        s = (fa % a) + sep + (fb % b) + sep + y
        if with_time:
            s += rng.choice([" ", " ", "  "])
            if rng.random() < 0.5:
                h = t.hour % 12 or 12
                ap = "AM" if t.hour < 12 else "PM"
                s += ("%02d" if rng.random() < 0.2 else "%d") % h
                s += ":%02d" % t.minute
                if rng.random() < 0.3:
                    s += ":%02d" % t.second
                s += rng.choice(["", " "]) + rng.choice([ap, ap.lower(),
                                                         ap.title()])
            else:
                s += ("%02d" if rng.random() < 0.3 else "%d") % t.hour
                s += ":%02d" % t.minute
                if rng.random() < 0.3:
                    s += ":%02d" % t.second
        return s
    name = MONTHS[t.month - 1]
    r = rng.random()
    if r < 0.4:
        name = name[:3]
    elif r < 0.5 and t.month == 9:
        name = "Sept"
    name = case(rng, name)
    style = rng.randrange(3)
    if style == 0:
        return "%d %s %04d" % (t.day, name, t.year)
    if style == 1:
        return "%s %d, %04d" % (name, t.day, t.year)
    return "%s %d %04d" % (name, t.day, t.year)


def edge_time(rng, t):
    """Sometimes moves t onto an AM/PM edge (midnight, noon, 12:xx)."""
    if rng.random() < 0.2:
        return t.replace(hour=rng.choice([0, 12, 0, 12, 11, 23, 1, 13]),
                         minute=rng.choice([0, 0, 30, 59]),
                         second=rng.choice([0, 0, 59]))
    return t


def date_cell(rng, t, locale, p_time=0.4):
    if t is None:
        return ""
    t = edge_time(rng, t)
    return pad(rng, render_date(rng, t, locale, rng.random() < p_time))


def gen(seed, locale, nrows, missing_column=False):
    rng = random.Random(seed)
    fields = list(ALIASES)
    cols = []  # (header text, field or None)
    for f in fields:
        if f == "description" and rng.random() < 0.2:
            continue  # an optional column left out
        if f not in ("issue_number", "reported_at") and rng.random() < 0.05:
            continue
        h = case(rng, rng.choice(ALIASES[f]))
        if rng.random() < 0.2:
            h += ":"
        if rng.random() < 0.15:
            h = h.replace(" ", "  ", 1)
        cols.append((pad(rng, h), f))
    if missing_column:
        cols = [c for c in cols if c[1] != "reported_at"]
    for _ in range(rng.randrange(3)):
        cols.append((rng.choice(UNKNOWN_HEADERS), None))
    for _ in range(rng.randrange(3)):
        f = rng.choice(fields)
        cols.append((rng.choice(ALIASES[f]).upper(), f))
    if rng.random() < 0.3:
        cols.append(("", None))  # a column without a header
    rng.shuffle(cols)
    trailing = rng.random() < 0.3  # cells beyond the header

    base = dt.datetime(2024, 1, 1) + dt.timedelta(days=rng.randrange(300))
    span = rng.choice([20, 60, 150, 400])
    used = []
    rows = []
    for i in range(nrows):
        kind = rng.random()
        if kind < 0.04:
            rows.append([])
            continue
        if kind < 0.08:
            rows.append([rng.choice(["", " ", "\t", "  "]) for _ in cols])
            continue
        # issue number
        r = rng.random()
        if r < 0.08 and used:
            n = rng.choice(used)
            num = rng.choice([n, "#" + n, n + ".0", " # " + n + " "])
        else:
            n = str(i + 1)
            used.append(n)
            num = rng.choice([n] * 8 + ["#" + n, n + ".0", n + ".00",
                                        " #  " + n, "0" + n, "A-" + n])
        if rng.random() < 0.03:
            num = rng.choice(["", " ", "#", " # "])
        rep = base + dt.timedelta(days=rng.randrange(span),
                                  seconds=rng.randrange(86400))
        status_kind = rng.random()
        if status_kind < 0.45:
            status = case(rng, rng.choice(STATUS_DONE))
        elif status_kind < 0.85:
            status = case(rng, rng.choice(STATUS_OPEN))
        elif status_kind < 0.95:
            status = ""
        else:
            status = rng.choice(STATUS_ODD)
        res = None
        if rng.random() < 0.6:
            res = rep + dt.timedelta(days=rng.randrange(30),
                                     seconds=rng.randrange(86400))
            if rng.random() < 0.05:
                res = rep - dt.timedelta(days=rng.randrange(1, 5))
            if rng.random() < 0.1:
                res = rep.replace(hour=0, minute=0, second=0)
        due = None
        if rng.random() < 0.4:
            due = rep + dt.timedelta(days=rng.randrange(-3, 20))
        if rng.random() < 0.03:
            num = rng.choice(EDGE_NUMBERS)
        vals = {
            "issue_number": num,
            "vehicle": pad(rng, rng.choice(rng.choice(VEHICLES)))
            if rng.random() < 0.93 else "",
            "summary": rng.choice(SUMMARIES),
            "description": rng.choice(DESCRIPTIONS),
            "priority": pad(rng, case(rng, rng.choice(PRIORITY_WORDS)))
            if rng.random() < 0.93 else rng.choice(PRIORITY_ODD),
            "status": pad(rng, status),
            "reported_at": date_cell(rng, rep, locale),
            "reported_by": rng.choice(rng.choice(PEOPLE)),
            "assigned_to": rng.choice(rng.choice(PEOPLE))
            if rng.random() < 0.8 else rng.choice(["", " "]),
            "due_date": date_cell(rng, due, locale, 0.1),
            "resolved_at": date_cell(rng, res, locale, 0.6),
            "odometer": rng.choice(ODOMETERS),
            "labels": rng.choice(LABELS),
        }
        if rng.random() < 0.04:
            vals["reported_at"] = rng.choice(["", " "])
        for f in ("reported_at", "resolved_at", "due_date"):
            r = rng.random()
            if r < 0.03:
                vals[f] = rng.choice(BAD_DATES)
            elif r < 0.06:
                vals[f] = rng.choice(EDGE_DATES)
        if rng.random() < 0.03:  # far years only where they cannot stretch
            vals["due_date"] = rng.choice(FAR_DATES)  # the range to millennia
        for f, pool in (("odometer", EDGE_ODOMETERS),
                        ("priority", EDGE_PRIORITIES),
                        ("status", EDGE_STATUSES),
                        ("vehicle", EDGE_VEHICLES),
                        ("assigned_to", EDGE_PEOPLE),
                        ("reported_by", EDGE_PEOPLE)):
            if rng.random() < 0.03:
                vals[f] = rng.choice(pool)
        row = []
        for h, f in cols:
            if f is None:
                v = rng.choice(["", "", "x", "12", "a, b"])
            else:
                v = vals[f]
                if (h, f) != next(c for c in cols if c[1] == f):
                    v = rng.choice(["", vals[f], "other " + f])  # duplicate
            if rng.random() < 0.015:
                v = rng.choice(FORMULA_ERRORS) + rng.choice(["", "", " "])
            row.append(v)
        if trailing and rng.random() < 0.1:
            row.append(rng.choice(["", "beyond the header"]))
        if rng.random() < 0.03:
            row = row[:rng.randrange(1, len(row) + 1)]  # a short row
        rows.append(row)

    out = io.StringIO()
    w = csv.writer(out, lineterminator=rng.choice(["\r\n", "\n"]))
    w.writerow([h for h, _ in cols])
    for r in rows:
        w.writerow(r)
    return out.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--locale", default="en_US")
    ap.add_argument("--rows", type=int, default=120)
    ap.add_argument("--missing-column", action="store_true")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    text = gen(a.seed, a.locale, a.rows, a.missing_column)
    if a.output:
        with open(a.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
