#!/usr/bin/env python3
"""Reference scores from JPMML-Evaluator: jref.py model.pmml inputs.csv -> CSV on stdout (row errors in __error__)."""
import csv, sys, math
from jpmml_evaluator import make_evaluator
ev = make_evaluator(sys.argv[1], backend="jpype")
ev.verify()
rows = list(csv.DictReader(open(sys.argv[2])))
out = []
cols = []
def fmt(v):
    if v is None: return ""
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, float): return repr(v)
    return str(v)
for r in rows:
    args = {}
    for k, v in r.items():
        if v == "": args[k] = None
        else:
            try: args[k] = int(v)
            except ValueError:
                try: args[k] = float(v)
                except ValueError: args[k] = v
    try:
        res = ev.evaluate(args)
        for k in res:
            if k not in cols: cols.append(k)
        out.append((res, ""))
    except Exception as e:
        out.append(({}, str(e).splitlines()[0][:200]))
w = csv.writer(sys.stdout)
w.writerow(cols + ["__error__"])
for res, err in out:
    w.writerow([fmt(res.get(c)) for c in cols] + [err])
