#!/usr/bin/env python3
"""Write hand-picked edge-case sheets for the reference cross-check.

    edge_csv.py OUTDIR

Files: values.csv (dates, issue numbers, odometers, priorities, statuses,
vehicles, labels, assignees at the edges of the rules, Unicode and ASCII
whitespace), spaces.csv (whitespace inside dates), headers.csv (header
normalisation), formula.csv (formula errors in mapped, duplicate, unknown and
header-less columns), bom.csv (a UTF-8 BOM, odometers near 2^63),
weeks.csv (week boundaries, overdue boundary, rounding ties in the means and
percentages, an even-count median), year1.csv and year9999.csv (the ends of
the calendar).
"""

import csv
import os
import sys

DATES = [
    "2024-03-05T09:30:00", "2024-03-05 T09:30", "2024-03-05t09:30",
    "2024-03-05 09:30:5", "3/5/2024 9:30:00PM", "3/5/2024 9:30 P.M.",
    "3/5/2024\t9:30", "3/5/2024 09:30 am", "03/05/2024", "3-5-24", "3.5.24",
    "Feb 29, 2023", "29 Feb 2024", "May 5 2024", "Sept 3, 2024",
    "sep 3, 2024", "SEPT 3 2024", "Septe 3 2024", "3 Sept 2024",
    "03 Mar 2024", "Mar 05, 2024", "Mar 5,2024", "Mar  5, 2024",
    "3/5/2024 12:00 AM", "3/5/2024 12:59:59 PM", "3/5/2024 0:00",
    "3/5/2024 23:59:59", "2024/03/05 23:59", "3/5/2024  9:30",
    "3/5/2024 9:30  PM", "3/5/2024 9:30PM ", "2024-03-05 09:30 PM",
    "2024-3-05", "2024-03-5", "2024/03-05", "3/5-2024",
    "12/31/2024 11:59 PM", "2/29/24", "3/5/2024 12:00 PM",
    "3/5/2024 00:00 AM", "3/5/2024 13:00", "3 / 5 / 2024", "\u00a03/5/2024",
    "3/5/2024\u00a0", "Mar\u00a05 2024", "5 march 2024", "5 MARCH 2024",
    "5 Mar, 2024", "March 5th, 2024", "2024-03-05 9:30",
    "2024-03-05 09:30:00.5", "2024-03-05T24:00", "+3/5/2024", "3/5/2024 9",
    "3/5/2024 9:3", "3/5/2024 9:30:0", "Jun 31 2024", "0/5/2024",
    "3/0/2024", "13/1/2024", "1/13/2024", "2024-02-30", "1.1.2024 1:00 am",
    "3/5/2024 09:30:00 PM", "3/5/2024 21:30 PM", "45292", "45292.5"]
FAR = ["1/1/0001", "1/1/00", "12/30/1899", "1/1/100", "9999-12-31",
       "31.12.9999", "0001-01-01", "1/1/1"]
NUMBERS = ["12.", "1e1", "12.50", "0012.0", "-1", "##12", "# #12",
           "\u00a012", "#\t13 ", "14.000", " 015 ", "16.0.0", "17,0", "TRUE"]
ODOMETERS = ["1,234.5 mi", "1 234,5", "12mi mi", "12 MILES", "12Km",
             "0.49999", "2.5", "12.50kms", "1.", "4.5e", "\u00a0123",
             "1\u00a0234", "12\tmi", "12 m i", "99999999999", "0", "00.5",
             "3.5 Mi", "12 Kms ", "7mI"]
PRIORITIES = ["no  priority", "N/A", "P1 ", "\u00a0high", "hIgH", "Crit.",
              "crit", "none ", "-", "--"]
STATUSES = ["In Progress", "in  progress", "WON'T FIX", "won\u2019t fix",
            "On Hold", "on-hold", "Wont Fix", "Complete ", "\u00a0done", ""]
VEHICLES = ["#", "---", "Truck\u00a012", "ＴＲＵＣＫ１２", "truck\x0b12", "\x0c",
            "ß1", "Ǆ"]
LABELS = ["a;b,c", "A , a", "\u00a0x, x", "ÉTÉ, été", "a\tb; A\tB"]
PEOPLE = ["JOSÉ", "josé", "Ǆ", "UNASSIGNED", "a\u00a0b", " \x0b "]

H = ["Issue #", "Vehicle", "Priority", "Status", "Reported Date",
     "Resolved Date", "Due Date", "Odometer", "Labels", "Assigned To",
     "Summary"]


def values():
    rows = [H]
    n = 0

    def add(rep="1/1/2024", res="", due="", veh="Truck 1", pri="high",
            st="open", odo="", lab="", asg="", num=None, note=""):
        nonlocal n
        n += 1
        rows.append([num if num is not None else str(n), veh, pri, st, rep,
                     res, due, odo, lab, asg, note])
    for d in DATES:
        add(rep=d, note=d)
    for d in DATES:
        add(res=d, note=d)
    for d in FAR:
        add(due=d, note=d)
    for x in NUMBERS:
        add(num=x, rep="2/1/2024", note=x)
    for o in ODOMETERS:
        add(odo=o, note=o)
    for p in PRIORITIES:
        add(pri=p, note=p)
    for s in STATUSES:
        add(st=s, res="2/3/2024", note=s)
    for v in VEHICLES:
        add(veh=v, note=v)
    for lab in LABELS:
        add(lab=lab, note=lab)
    for a in PEOPLE:
        add(asg=a, note=a)
    rows.append(["\u00a0"] + [""] * 10)          # not blank: NBSP is content
    rows.append([""] * 11 + ["\x0b"])            # blank: ASCII whitespace
    rows.append([""] * 12 + ["\x0c\t"])          # blank
    rows.append(["#N/A"] + [""] * 10)            # not blank
    return rows


def spaces():
    ds = ["3/5/2024\t9:30", "3/5/2024 \t 9:30", "3/5/2024\n9:30",
          "3/5/2024 9:30\tPM", "Mar  5, 2024", "5  Mar 2024", "Mar 5,  2024",
          "Mar\t5, 2024", "Mar 5 , 2024", "5\tMar\t2024", "Mar 5  2024",
          "2024-03-05  09:30", "2024-03-05\t09:30", "3/5/2024\x0b9:30",
          "Mar\x0c5 2024", "2024-03-05 09:30 ", "Mar 5 2024 ",
          "3/5/2024 9:30 PM\t"]
    return [["Issue #", "Reported Date", "Summary"]] + \
        [[str(i + 1), d, repr(d)] for i, d in enumerate(ds)]


def headers():
    return [["Issue #", "Reported Date", "Status :", "Priority::",
             "Assigned\tTo", "\u00a0Vehicle", "Due  Date :", " DUE:",
             "ODOMETER (MI):", "Unit  #"],
            ["1", "1/1/2024", "done", "high", "Kim", "T", "1/5/2024",
             "1/6/2024", "12 mi", "U 1"]]


def formula():
    return [["Issue #", "Reported Date", "Status", "STATE", "", "Extra"],
            ["1", "1/1/2024", "open", "#N/A", "#REF!", "#NUM!"],
            ["2", "1/1/2024", "#N/A", "open", "", ""],
            ["3", "#VALUE!", "open", "", "", ""],
            ["4", "1/1/2024", "open", "", "", "#n/a"],
            ["5", "1/1/2024", "open", "", "", " #DIV/0! "],
            ["", "", "", "", "#NULL!", ""],
            ["", "", "", "", "", "#ERROR!"]]


def bom():
    return [["\ufeffIssue #", "Reported Date", "Odometer"],
            ["1", "1/1/2024", "99999999999999999999999"],
            ["2", "1/1/2024", "9223372036854775807"],
            ["3", "1/1/2024", "9223372036854775808"],
            ["4", "1/1/2024", "9007199254740993"],
            ["5", "1/1/2024", "1.99999999999999999999"],
            ["6", "1/1/2024", "9223372036854775806.5"]]


def weeks():
    rows = [["Issue #", "Vehicle", "Priority", "Status", "Reported Date",
             "Resolved Date", "Due Date", "Assigned To"]]
    n = 0

    def add(rep, res="", due="", st="", pr="high"):
        nonlocal n
        n += 1
        rows.append([str(n), "T1", pr, st, rep, res, due, ""])
    for i in range(16):  # week of 2024-01-01: 16 opened, the first at 00:00
        add("2024-01-01 00:00:00" if i == 0 else
            "2024-01-0%d 10:00" % (1 + i % 7))
    add("2024-01-08 09:00", "2024-01-08 12:00")           # 0.125 days
    add("2024-01-09 00:00:00", "2024-01-10 00:07:12")     # 1.005 days
    for i in range(15):  # 17 opened: +6.25 %
        add("2024-01-%02d 08:00" % (8 + i % 7))
    add("2024-01-15 00:00", "2024-01-22 00:00:00")        # next Monday
    add("2024-01-15 00:00", "2024-01-21 23:59:59", pr="low")
    add("2024-01-16", "", due="2024-01-22 00:00", pr="low")  # not overdue
    add("2024-01-16", "", due="2024-01-21 23:59:59", pr="low")  # overdue
    for i in range(11):
        add("2024-01-%02d 08:00" % (15 + i % 7), pr="medium")
    for d in (1, 2, 3, 10):  # even-count median
        add("2024-01-%02d 00:00" % (29 - d), "2024-01-29 00:00",
            pr="critical")
    add("2024-02-05 00:00", "2024-02-05 06:00", pr="none")
    add("2024-02-05 00:00", "2024-02-05 00:36", pr="none")
    add("2024-02-06", "2024-02-08", st="open", pr="none")  # status_conflict
    add("2024-02-06", "", st="done", pr="none")            # observed
    add("2024-02-07 10:00", "2024-02-07", pr="none")   # resolved_before_rep.
    return rows


def year1():
    return [H, ["1", "T", "high", "open", "1/1/0001", "", "", "", "", "", ""],
            ["2", "T", "high", "open", "1/2/0001", "1/9/0001", "", "", "", "",
             ""]]


def year9999():
    return [H, ["1", "T", "high", "open", "12/20/9999", "", "12/31/9999", "",
                "", "", ""],
            ["2", "T", "high", "done", "12/27/9999", "12/31/9999 23:59:59",
             "", "", "", "", ""]]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, fn in [("values", values), ("spaces", spaces),
                     ("headers", headers), ("formula", formula),
                     ("bom", bom), ("weeks", weeks), ("year1", year1),
                     ("year9999", year9999)]:
        with open(os.path.join(out, name + ".csv"), "w", encoding="utf-8",
                  newline="") as f:
            csv.writer(f).writerows(fn())


if __name__ == "__main__":
    main()
