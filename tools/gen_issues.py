#!/usr/bin/env python3
"""Generate a deterministic, realistic sheet of vehicle issues as CSV.

It imitates the partner's Google Sheet, typed by hand: vehicle names spelled
several ways, dates in a few formats, priorities and statuses in mixed case,
odometer readings with and without commas and units. A few percent of the rows
(--messy-pct) carry the problems the cleaner must report (models.md §3).

The same arguments always give byte-identical output: every random choice
comes from random.Random(seed) and nothing depends on the clock or locale.

Volume: --rows issues are spread over --weeks weeks starting at --start, with a
slow upward trend, winter/summer seasonality, a few storm weeks and fewer
reports at weekends. Resolution times stretch in the middle of the period (a
mechanic short) and recover afterwards, so the open backlog grows and then
shrinks. Issues whose resolution would fall after the last day stay open.
--weeks is kept as given when --rows grows: 769230 rows over 60 weeks is about
12,800 issues a week. The fleet size does not depend on --rows.

Usage: gen_issues.py [--rows N] [--weeks W] [--start YYYY-MM-DD] [--seed S]
                     [--messy-pct P] [--out FILE]
"""

import argparse
import bisect
import csv
import datetime as dt
import math
import os
import random
import sys

HEADERS = [
    "Issue #", "Vehicle", "Summary", "Description", "Priority", "Status",
    "Reported Date", "Reported By", "Assigned To", "Due Date", "Resolved Date",
    "Odometer", "Labels",
]

# (summary, labels, priority weights critical/high/medium/low, season)
# season: "winter" or "summer" raises the weight in that season.
PROBLEMS = [
    ("Brake pads worn", ["brakes", "safety"], (1, 6, 3, 0), None),
    ("Brakes squealing", ["brakes"], (0, 3, 5, 2), None),
    ("Check engine light", ["engine"], (1, 3, 5, 1), None),
    ("Flat tire", ["tires"], (2, 6, 2, 0), "winter"),
    ("Tire pressure warning", ["tires"], (0, 2, 5, 3), "winter"),
    ("Battery dead", ["electrical", "battery"], (2, 6, 2, 0), "winter"),
    ("Won't start", ["electrical", "engine"], (3, 6, 1, 0), "winter"),
    ("Heater not working", ["hvac"], (0, 3, 5, 2), "winter"),
    ("AC not blowing cold", ["hvac"], (0, 2, 5, 3), "summer"),
    ("Coolant leak", ["cooling", "leak"], (1, 5, 4, 0), "summer"),
    ("Oil leak", ["engine", "leak"], (0, 4, 5, 1), None),
    ("Windshield cracked", ["body", "glass"], (0, 2, 5, 3), "winter"),
    ("Headlight out", ["electrical", "lights", "safety"], (0, 4, 5, 1), None),
    ("Brake light out", ["electrical", "lights", "safety"], (0, 5, 4, 1), None),
    ("Transmission slipping", ["transmission", "drivetrain"], (2, 6, 2, 0), None),
    ("Wiper blades streaking", ["body"], (0, 0, 3, 7), "winter"),
    ("Door won't latch", ["body", "safety"], (1, 5, 3, 1), None),
    ("Wheelchair lift stuck", ["lift", "ada", "safety"], (4, 5, 1, 0), None),
    ("Exhaust rattle", ["exhaust"], (0, 1, 4, 5), None),
    ("Power steering noise", ["steering"], (0, 3, 5, 2), None),
    ("Backup camera not working", ["electrical", "camera"], (0, 2, 5, 3), None),
    ("Mirror broken", ["body", "safety"], (0, 4, 4, 2), None),
    ("Fuel gauge stuck", ["electrical"], (0, 1, 4, 5), None),
    ("DEF warning light", ["emissions", "engine"], (1, 4, 4, 1), None),
    ("Pulling to the left", ["tires", "suspension"], (0, 3, 5, 2), None),
    ("Suspension clunk", ["suspension"], (0, 3, 5, 2), None),
    ("Seat belt won't retract", ["safety", "interior"], (1, 6, 3, 0), None),
    ("Hydraulic leak on liftgate", ["hydraulics", "leak"], (0, 4, 5, 1), None),
    ("Oil change due", ["maintenance", "pm"], (0, 0, 3, 7), None),
    ("PM service due", ["maintenance", "pm"], (0, 0, 4, 6), None),
    ("Horn not working", ["electrical", "safety"], (0, 4, 4, 2), None),
    ("Radio not working", ["electrical", "comms"], (0, 1, 3, 6), None),
    ("Check tire tread", ["tires", "inspection"], (0, 1, 4, 5), "winter"),
    ("Engine overheating", ["cooling", "engine"], (3, 6, 1, 0), "summer"),
]

DETAILS = [
    "Driver reports it started on the morning run.",
    "Noticed during pre-trip inspection.",
    "Found during post-trip inspection.",
    "Happened on Route 9, near the depot.",
    "Intermittent; could not reproduce in the yard.",
    "Second time this month.",
    "Parts ordered from the dealer.",
    "Vehicle pulled from service until fixed.",
    "Driver says it \"grinds\" when stopping.",
    "Customer complaint, see email from dispatch.",
    "Safe to drive for now, keep an eye on it.",
    "Warning light came on at highway speed.",
    "Reported over the radio, no photo yet.",
    "Photo in the shared drive.",
    "",
]

FIRST = ["Mike", "Sarah", "Jose", "Linda", "James", "Maria", "Kevin", "Angela",
         "Robert", "Tanya", "Chris", "Priya", "DeShawn", "Emily", "Tom", "Rosa",
         "Brian", "Keisha", "Paul", "Nina", "Omar", "Heather", "Victor", "Jen",
         "Sam", "Aisha", "Greg", "Lupe"]
LAST = ["Johnson", "Lee", "Garcia", "Smith", "Nguyen", "Brown", "Martinez",
        "Davis", "Patel", "Wilson", "Clark", "Lopez", "Walker", "Young", "King",
        "Hernandez", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
        "O'Brien", "Rivera", "Campbell", "Mitchell"]
MECHANICS = ["Luis Ortega", "Dave Reynolds", "Tina Brooks", "Marcus Hall",
             "Frank Dubois", "Kim Park", "Ray Castillo", "Shawn Miller"]

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
MON3 = [m[:3] for m in MONTHS]

PRIORITY_WORDS = ["Critical", "High", "Medium", "Low"]
# Mostly the canonical word; some typed variants the cleaner recognises.
PRIORITY_VARIANTS = [
    [("Critical", 80), ("CRITICAL", 6), ("critical", 4), ("Urgent", 6), ("crit", 2), ("P1", 2)],
    [("High", 80), ("high", 8), ("HIGH", 6), ("H", 3), ("high ", 3)],
    [("Medium", 75), ("medium", 7), ("Med", 8), ("med", 3), ("Normal", 4), ("MEDIUM", 3)],
    [("Low", 82), ("low", 8), ("LOW", 5), ("Minor", 3), ("L", 2)],
]
OPEN_STATUS = [("Open", 45), ("In Progress", 25), ("open", 5), ("New", 5),
               ("On Hold", 4), ("Waiting", 4), ("Pending", 4), ("in progress", 3),
               ("In-Progress", 2), ("Reopened", 1), ("OPEN", 2)]
RESOLVED_STATUS = [("Resolved", 45), ("Fixed", 18), ("Done", 8), ("resolved", 6),
                   ("Complete", 5), ("Completed", 3), ("Repaired", 4), ("fixed", 3),
                   ("RESOLVED", 2), ("Resolved ", 2), ("done", 2), ("Closed", 2)]
CLOSED_STATUS = [("Closed", 60), ("Won't Fix", 12), ("Duplicate", 10), ("closed", 8),
                 ("Cancelled", 6), ("Invalid", 4)]

BASE_DELAY = [1.0, 3.0, 6.0, 10.0]   # mean days to resolve per priority
DUE_DAYS = [1, 3, 7, 14]             # due date after the report, per priority

# Problems injected into messy rows. They are dealt from a shuffled deck, so
# that even a small file (60 messy rows by default) carries every kind.
MESS = [
    "formula_error", "blank_row", "missing_issue_number", "duplicate_issue_number",
    "missing_reported_at", "invalid_reported_at", "serial_reported_at",
    "resolved_before_reported", "unknown_priority", "unknown_status",
    "resolved_without_date", "status_conflict", "missing_vehicle", "invalid_odometer",
    "messy_labels", "long_date_forms", "two_digit_year", "invalid_due_or_resolved",
]


def cumulative(weights):
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


class Picker:
    """Weighted choice with one random() call: bisect over cumulative weights."""

    def __init__(self, pairs):
        self.values = [v for v, _ in pairs]
        self.cum = cumulative([w for _, w in pairs])
        self.total = self.cum[-1]

    def pick(self, rnd):
        return self.values[bisect.bisect_right(self.cum, rnd() * self.total)]


def fmt_mdy(d):
    return f"{d.month}/{d.day}/{d.year}"


def make_fleet(rng):
    """Vehicles as (weight, [typed forms]); the first form is the usual one.
    Every typed form keeps the same vehicle_key (models.md §3)."""
    fleet = []
    n_trucks, n_vans, n_units, n_buses = (rng.randint(18, 30), rng.randint(10, 18),
                                          rng.randint(6, 12), rng.randint(5, 10))
    for num in rng.sample(range(1, 60), n_trucks):
        fleet.append([f"Truck {num}", f"truck {num}", f"TRUCK-{num}", f" Truck {num} ",
                      f"Truck  {num}", f"TRUCK {num}", f"Truck{num}"])
    for num in rng.sample(range(1, 40), n_vans):
        fleet.append([f"VAN-{num:02d}", f"Van-{num:02d}", f"van-{num:02d}", f"VAN {num:02d}",
                      f"Van {num:02d}", f"VAN-{num:02d} "])
    for num in rng.sample(range(1, 30), n_units):
        fleet.append([f"Unit {num}", f"unit {num}", f"UNIT {num}", f"Unit #{num}",
                      f"Unit-{num}"])
    for num in rng.sample(range(1, 50), n_buses):
        fleet.append([f"Bus {num}", f"BUS {num}", f"bus {num}", f"Bus #{num}", f"Bus-{num}"])
    rng.shuffle(fleet)
    # A few vehicles break down far more often than the rest (Zipf-like).
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(fleet))]
    vehicles = []
    for forms in fleet:
        odo = rng.randint(8000, 190000)
        per_day = rng.uniform(40, 260)
        vehicles.append((forms, odo, per_day))
    return vehicles, cumulative(weights)


def make_people(rng):
    names = set()
    while len(names) < 24:
        names.add(f"{rng.choice(FIRST)} {rng.choice(LAST)}")
    return sorted(names)


def typed_forms(name):
    """How a person's name gets typed: right (90% of the time, see typed()),
    lower case, with spaces around, with two spaces inside."""
    first, last = name.split(" ", 1)
    return [name, name.lower(), f" {name} ", f"{first}  {last}"]


def typed(forms, x):
    return forms[0] if x < 0.90 else forms[1] if x < 0.94 else forms[2] if x < 0.97 else forms[3]


def week_weights(rng, weeks, start):
    """Relative volume per week: trend, seasonality, storms, noise."""
    storms = set(rng.sample(range(weeks), max(1, weeks // 20)))
    out = []
    for w in range(weeks):
        day = start + dt.timedelta(days=7 * w + 3)
        doy = day.timetuple().tm_yday
        trend = 1.0 + 0.25 * w / max(1, weeks - 1)
        # Peak in mid-January (winter breakdowns), a smaller bump in July (heat).
        season = (1.0 + 0.28 * math.cos(2 * math.pi * (doy - 15) / 365.25)
                  + 0.10 * math.cos(2 * math.pi * (doy - 200) / 182.6))
        storm = 1.6 if w in storms else 1.0
        # The week of a public holiday (late Dec, early Jul) is quiet.
        quiet = (day.month == 12 and day.day >= 22) or (day.month == 7 and day.day <= 7)
        holiday = 0.6 if quiet else 1.0
        noise = rng.uniform(0.85, 1.15)
        out.append(trend * season * storm * holiday * noise)
    return out


def spread(total, weights):
    """Split `total` into integers proportional to weights (largest remainder)."""
    s = sum(weights)
    exact = [total * w / s for w in weights]
    counts = [int(x) for x in exact]
    rest = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:rest]:
        counts[i] += 1
    return counts


def delay_factor(frac):
    """Resolution times stretch in the middle of the period (a mechanic short)
    and recover at the end: the backlog grows, then shrinks."""
    late = 0.55 if frac > 0.62 else 1.0  # a second mechanic hired
    return late * (0.9 + 3.6 * math.exp(-(((frac - 0.55) / 0.13) ** 2)))


def generate(args, out):
    rng = random.Random(args.seed)
    rnd = rng.random
    start = args.start
    weeks = args.weeks
    ndays = weeks * 7
    last_day = ndays - 1  # day index of the data's last day ("today")

    vehicles, vcum = make_fleet(rng)
    vtotal = vcum[-1]
    people = [typed_forms(n) for n in make_people(rng)]
    mechanics = [typed_forms(n) for n in MECHANICS[: rng.randint(6, 8)]]

    # Date strings for every day the data can touch, computed once.
    lo, hi = -60, ndays + 60
    days = [start + dt.timedelta(days=i) for i in range(lo, hi)]
    mdy = [fmt_mdy(d) for d in days]
    iso = [d.isoformat() for d in days]
    mdy2 = [f"{d.month}/{d.day}/{d.year % 100:02d}" for d in days]
    monthfirst = [f"{MON3[d.month - 1]} {d.day}, {d.year}" for d in days]
    dayfirst = [f"{d.day} {MONTHS[d.month - 1]} {d.year}" for d in days]
    serial = [str((d - dt.date(1899, 12, 30)).days) for d in days]
    # Times in 5-minute steps from 5:00 to 19:55.
    t12, t24 = [], []
    for m in range(5 * 60, 20 * 60, 5):
        h, mi = divmod(m, 60)
        h12 = h % 12 or 12
        t12.append(f"{h12}:{mi:02d} {'AM' if h < 12 else 'PM'}")
        t24.append(f"{h:02d}:{mi:02d}")
    ntimes = len(t12)

    def date_text(i, slot, fmt):
        """Text of day index i (relative to start); fmt: 0 M/D/YYYY, 1 with a
        12-hour time, 2 ISO, 3 ISO with time."""
        k = i - lo
        if fmt == 0:
            return mdy[k]
        if fmt == 1:
            return f"{mdy[k]} {t12[slot]}"
        if fmt == 2:
            return iso[k]
        return f"{iso[k]} {t24[slot]}"

    # Per-week problem mix: seasonal problems weigh more in their season.
    problem_cum = []
    for w in range(weeks):
        doy = (start + dt.timedelta(days=7 * w + 3)).timetuple().tm_yday
        winter = 0.5 + 0.5 * math.cos(2 * math.pi * (doy - 15) / 365.25)  # 1 in Jan, 0 in Jul
        ws = []
        for _, _, _, season in PROBLEMS:
            if season == "winter":
                ws.append(0.3 + 2.2 * winter)
            elif season == "summer":
                ws.append(0.3 + 2.2 * (1 - winter))
            else:
                ws.append(1.0)
        problem_cum.append(cumulative(ws))
    prio_cum = [cumulative(p[2]) for p in PROBLEMS]
    label_text = [[", ".join(p[1]), ",".join(p[1]), "; ".join(x.title() for x in p[1]), p[1][0]]
                  for p in PROBLEMS]
    prio_pick = [Picker(v) for v in PRIORITY_VARIANTS]
    open_status = Picker(OPEN_STATUS).pick
    resolved_status = Picker(RESOLVED_STATUS).pick
    closed_status = Picker(CLOSED_STATUS).pick
    dfac = [delay_factor(d / ndays) for d in range(ndays)]
    deck = []
    weekday_cum = cumulative([1.25, 1.1, 1.05, 1.0, 0.95, 0.35, 0.25])  # Mon..Sun
    start_wd = start.weekday()
    messy_p = args.messy_pct / 100.0
    lift = [x[0] for x in PROBLEMS].index("Wheelchair lift stuck")
    liftgate = [x[0] for x in PROBLEMS].index("Hydraulic leak on liftgate")
    npeople = len(people)
    nmech = len(mechanics)
    ndetails = len(DETAILS)

    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)

    counts = spread(args.rows, week_weights(rng, weeks, start))
    number = 0
    prev_number = 0
    rows = []
    for w, n in enumerate(counts):
        # Report days of this week, in order (the sheet is typed as issues come in).
        wd_days = []
        for _ in range(n):
            wd = bisect.bisect_right(weekday_cum, rnd() * weekday_cum[-1])
            wd_days.append(7 * w + (wd - start_wd) % 7)
        wd_days.sort()
        pcum = problem_cum[w]
        ptotal = pcum[-1]
        for day in wd_days:
            number += 1
            # Sometimes an issue is typed in a few days late.
            if rnd() < 0.03:
                day = max(0, day - 1 - int(rnd() * 5))
            vi = bisect.bisect_right(vcum, rnd() * vtotal)
            forms, odo0, per_day = vehicles[vi]
            p = bisect.bisect_right(pcum, rnd() * ptotal)
            if p == lift and not forms[0].startswith("Bus"):
                p = liftgate  # only buses have wheelchair lifts
            summary = PROBLEMS[p][0]
            pc = prio_cum[p]
            prio = bisect.bisect_right(pc, rnd() * pc[-1])
            x = rnd()
            vehicle = forms[0] if x < 0.82 else forms[1 + int((x - 0.82) / 0.18 * (len(forms) - 1))]

            # Reported date: mostly M/D/YYYY, some with a time, some ISO.
            x = rnd()
            slot = int(rnd() * ntimes)
            rfmt = 0 if x < 0.74 else 1 if x < 0.87 else 2 if x < 0.95 else 3
            reported = date_text(day, slot, rfmt)
            has_time = rfmt in (1, 3)

            # Resolution.
            x = rnd()
            mean = BASE_DELAY[prio] * dfac[day]
            delay = int(-mean * math.log(1.0 - rnd()))
            if delay > 30:
                delay = 20 + int(rnd() * 11)
            resolved = ""
            if x < 0.008:  # stuck: never resolved
                status = open_status(rnd)
            elif day + delay > last_day:
                status = open_status(rnd)
            else:
                status = closed_status(rnd) if x < 0.08 else resolved_status(rnd)
                rday = day + delay
                y = rnd()
                if delay == 0 and has_time:
                    # Same day: a later time, so it is not before the report.
                    rslot = min(ntimes - 1, slot + 6 + int(rnd() * 40))
                    resolved = date_text(rday, rslot, 1 if rfmt == 1 else 3)
                elif y < 0.88:
                    resolved = mdy[rday - lo]
                elif y < 0.95:
                    resolved = date_text(rday, int(rnd() * ntimes), 1)
                else:
                    resolved = iso[rday - lo]

            assigned = ""
            if resolved or rnd() < 0.7:
                assigned = typed(mechanics[int(rnd() * nmech)], rnd())
            due = "" if rnd() < 0.3 else mdy[day + DUE_DAYS[prio] - lo]

            x = rnd()
            odo = int(odo0 + per_day * day + rnd() * 60)
            if x < 0.45:
                odometer = f"{odo:,}"
            elif x < 0.75:
                odometer = str(odo)
            elif x < 0.88:
                odometer = f"{odo} mi"
            elif x < 0.93:
                odometer = f"{odo:,} miles"
            else:
                odometer = ""

            x = rnd()
            lab = label_text[p]
            if x < 0.7:
                labels_txt = lab[0]  # "brakes, safety"
            elif x < 0.8:
                labels_txt = lab[1]  # "brakes,safety"
            elif x < 0.87:
                labels_txt = lab[2]  # "Brakes; Safety"
            elif x < 0.92:
                labels_txt = lab[3]  # the first label only
            else:
                labels_txt = ""

            detail = DETAILS[int(rnd() * ndetails)]
            x = rnd()
            if x < 0.015:
                description = f"{summary}.\n{detail or 'Checked it twice.'}"  # Alt+Enter in a cell
            elif x < 0.15:
                description = ""
            else:
                description = f"{summary}. {detail}".rstrip()

            row = [str(number) if rnd() > 0.04 else f"#{number}", vehicle, summary, description,
                   prio_pick[prio].pick(rnd), status, reported,
                   typed(people[int(rnd() * npeople)], rnd()), assigned, due, resolved,
                   odometer, labels_txt]

            if rnd() < messy_p:
                if not deck:
                    deck = MESS[:]
                    rng.shuffle(deck)
                mess(rng, deck.pop(), row, day, prev_number, mdy, mdy2, monthfirst,
                     dayfirst, serial, lo)
            prev_number = number
            rows.append(row)
        if len(rows) >= 20000:
            writer.writerows(rows)
            rows = []
    writer.writerows(rows)


def mess(rng, kind, row, day, prev_number, mdy, mdy2, monthfirst, dayfirst, serial, lo):
    """Injects one problem of models.md §3 (or a legal but unusual form) into row."""
    k = day - lo
    if kind == "formula_error":
        col = rng.choice([1, 8, 9, 11, 12])  # vehicle, assignee, due, odometer, labels
        row[col] = rng.choice(["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#ERROR!"])
    elif kind == "blank_row":
        # Content deleted but the row left in place; sometimes stray spaces remain.
        for i in range(len(row)):
            row[i] = ""
        if rng.random() < 0.3:
            row[rng.randrange(len(row))] = " "
    elif kind == "missing_issue_number":
        row[0] = ""
    elif kind == "duplicate_issue_number":
        if prev_number > 0:
            row[0] = str(prev_number)  # copied the row above and forgot to change it
    elif kind == "missing_reported_at":
        row[6] = ""
    elif kind == "invalid_reported_at":
        row[6] = rng.choice(["2/30/2024", "yesterday", "13/45/2024", "TBD", "last week",
                             "2/29/2023", "4/31/2024", "??"])
    elif kind == "serial_reported_at":
        row[6] = serial[k]
    elif kind == "resolved_before_reported":
        row[10] = mdy[max(0, k - 1 - rng.randrange(20))]
        row[5] = rng.choice(["Resolved", "Fixed", "Closed"])
    elif kind == "unknown_priority":
        row[4] = rng.choice(["ASAP", "hi", "Very High", "?", "2", "mediun", "Hgh"])
    elif kind == "unknown_status":
        row[5] = rng.choice(["Waiting on parts", "Sent to dealer", "Parts ordered", "??",
                             "Scheduled", "At shop"])
    elif kind == "resolved_without_date":
        row[5] = rng.choice(["Resolved", "Fixed", "Done", "Closed"])
        row[10] = ""
    elif kind == "status_conflict":
        row[5] = rng.choice(["Open", "In Progress", "open"])
        if not row[10]:
            row[10] = mdy[k + rng.randrange(15)]
    elif kind == "missing_vehicle":
        row[1] = ""
    elif kind == "invalid_odometer":
        row[11] = rng.choice(["N/A", "-5", "12k", "approx 40000", "45.120.3", "unknown", "1e5"])
    elif kind == "messy_labels":
        base = [x.strip() for x in row[12].replace(";", ",").split(",") if x.strip()] or ["misc"]
        row[12] = f"{base[0]}; {base[0].title()}, {', '.join(base)};;"
    elif kind == "long_date_forms":
        row[6] = monthfirst[k] if rng.random() < 0.5 else dayfirst[k]
    elif kind == "two_digit_year":
        row[6] = mdy2[k]
    elif kind == "invalid_due_or_resolved":
        if row[10] and rng.random() < 0.5:
            row[10] = rng.choice(["2/30/2024", "soon", "13/13/2024"])
        else:
            row[9] = rng.choice(["ASAP", "next week", "2/31/2024", "TBD"])


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1500, help="data rows (default 1500)")
    ap.add_argument("--weeks", type=int, default=60, help="weeks covered (default 60)")
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2024, 1, 1),
                    help="first day, YYYY-MM-DD (default 2024-01-01)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--messy-pct", type=float, default=4.0,
                    help="percent of rows with a data problem (default 4)")
    ap.add_argument("--out", default="-", help="output file (default stdout)")
    args = ap.parse_args(argv)
    if args.rows < 0:
        ap.error("--rows must be >= 0")
    if args.weeks < 1:
        ap.error("--weeks must be >= 1")
    if not 0 <= args.messy_pct <= 100:
        ap.error("--messy-pct must be between 0 and 100")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.out == "-":
        out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="", closefd=False)
    else:
        out = open(args.out, "w", encoding="utf-8", newline="")
    try:
        with out:
            generate(args, out)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
