#!/usr/bin/python3
# Reads an .xlsx with openpyxl (a real spreadsheet reader, independent of
# libxlsxwriter) and prints what the export tests check, as JSON: per sheet
# its name, frozen pane, autofilter range, column widths, charts, and every
# cell as {"t": type, "v": value, "f": number format}. Types come from the
# Python value openpyxl gives: n (int or float), s (str), b (bool),
# d (datetime), t (time), null (empty cell).
import datetime
import json
import sys

import openpyxl


def cell(c):
    v = c.value
    if v is None:
        return None
    if isinstance(v, bool):
        t = "b"
    elif isinstance(v, (int, float)):
        t = "n"
    elif isinstance(v, datetime.datetime):
        t, v = "d", v.isoformat(sep=" ")
    elif isinstance(v, datetime.time):
        t, v = "t", v.isoformat()
    else:
        t, v = "s", str(v)
    return {"t": t, "v": v, "f": c.number_format, "bold": bool(c.font and c.font.b)}


wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": []}
for ws in wb.worksheets:
    widths = {}
    for letter, dim in ws.column_dimensions.items():
        if dim.width:
            widths[letter] = dim.width
    charts = []
    for ch in ws._charts:
        kind = type(ch).__name__
        if kind == "BarChart":
            kind = "column" if ch.type == "col" else "bar"
        elif kind == "LineChart":
            kind = "line"
        charts.append({"type": kind, "series": len(ch.series)})
    out["sheets"].append({
        "name": ws.title,
        "freeze": ws.freeze_panes,
        "autofilter": ws.auto_filter.ref,
        "widths": widths,
        "charts": charts,
        "rows": [[cell(c) for c in row] for row in ws.iter_rows()],
    })
json.dump(out, sys.stdout)
