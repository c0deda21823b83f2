#!/usr/bin/env python3
"""Regenerates Tests/PMMLConformance/jpmml: hand-made PMML documents for the rule set, scorecard,
general regression, naive Bayes, neural network and vote families (models.py), scored by
JPMML-Evaluator 1.7.7 as the reference.

    python3 -m venv /tmp/jpmml && /tmp/jpmml/bin/pip install jpmml_evaluator==0.16.0 JPype1
    python3 scripts/pmml-jpmml/generate.py --python /tmp/jpmml/bin/python [model ...]

Needs a Java runtime (openjdk-17-jre-headless). Inputs are a fixed subset of the shared corpus's
payments rows: the first 100 plus every row with missing fields, unseen categories or absurd amounts.
"""
import argparse, csv, os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "Tests", "PMMLConformance", "jpmml")
SOURCE_INPUTS = os.path.join(ROOT, "..", "shared", "pmml-conformance", "hand_ruleset_firsthit", "inputs.csv")

DD = """<DataDictionary>
  <DataField name="risk_tier" optype="categorical" dataType="string"><Value value="allow"/><Value value="review"/><Value value="block"/></DataField>
  <DataField name="fraud" optype="categorical" dataType="integer"><Value value="0"/><Value value="1"/></DataField>
  <DataField name="y" optype="continuous" dataType="double"/>
  <DataField name="amount" optype="continuous" dataType="double"/>
  <DataField name="amount_sum_1h" optype="continuous" dataType="double"/>
  <DataField name="txn_count_1h" optype="continuous" dataType="integer"/>
  <DataField name="beneficiary_new" optype="categorical" dataType="integer"><Value value="0"/><Value value="1"/></DataField>
  <DataField name="minutes_since_last_txn" optype="continuous" dataType="double"/>
  <DataField name="hour_of_day" optype="continuous" dataType="integer"/>
  <DataField name="device_age_days" optype="continuous" dataType="double"/>
  <DataField name="channel" optype="categorical" dataType="string"/>
  <DataField name="country" optype="categorical" dataType="string"/>
</DataDictionary>"""
ALL = ["amount", "amount_sum_1h", "txn_count_1h", "beneficiary_new", "minutes_since_last_txn", "hour_of_day",
       "device_age_days", "channel", "country"]


def schema(target, fields=ALL, extra=""):
    s = "<MiningSchema>\n" + "".join('<MiningField name="%s"/>' % f for f in fields) + extra
    if target:
        s += '<MiningField name="%s" usageType="target"/>' % target
    return s + "\n</MiningSchema>"


def doc(body, td=""):
    return ('<?xml version="1.0"?>\n<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header/>\n'
            + DD + td + "\n" + body + "\n</PMML>\n")


MODELS = {}


def model(name):
    def deco(f):
        MODELS[name] = f
        return f
    return deco


exec(open(os.path.join(HERE, "models.py")).read())

# Documents JPMML refuses on every row, or that only probe JPMML's arithmetic, are left out.
SKIP = {"x_mining_chain", "x_scorecard_int_target", "x_nn_nan"}
KEEP_RANDOM = 3


def selected():
    for name in MODELS:
        if name in SKIP:
            continue
        m = re.match(r"r_[a-z]+_(\d+)$", name)
        if m and int(m.group(1)) >= KEEP_RANDOM:
            continue
        yield name


def input_rows():
    rows = list(csv.reader(open(SOURCE_INPUTS, newline="")))
    header, body = rows[0], rows[1:]
    keep = []
    for i, r in enumerate(body):
        cells = dict(zip(header, r))
        empties = sum(1 for v in r if v == "")
        unseen = cells["channel"] not in ("web", "app", "atm", "branch", "") or \
            cells["country"] not in ("NL", "NG", "RO", "US", "GB", "DE", "FR", "BE", "")
        big = cells["amount"] != "" and float(cells["amount"]) > 5000
        if i < 100 or empties >= 3 or unseen or big:
            keep.append(r)
    return header, keep


def float_columns(pmml, header):
    names = set(re.findall(r'<DataField name="([^"]+)"[^>]*dataType="float"', pmml))
    names |= set(re.findall(r'<OutputField name="([^"]+)"[^>]*dataType="float"', pmml))
    return [c for c in header if c in names]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True, help="a Python with jpmml_evaluator and JPype1 installed")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    header, rows = input_rows()
    inputs = os.path.join(OUT, "inputs.csv")
    with open(inputs, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    for name in selected():
        if args.models and name not in args.models:
            continue
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        pmml = MODELS[name]()
        with open(os.path.join(d, "model.pmml"), "w") as f:
            f.write(pmml)
        link = os.path.join(d, "inputs.csv")
        if not os.path.lexists(link):
            os.symlink("../inputs.csv", link)
        r = subprocess.run([args.python, os.path.join(HERE, "jref.py"), os.path.join(d, "model.pmml"), inputs],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("JPMML failed on %s: %s" % (name, r.stderr.strip()[-300:]))
        with open(os.path.join(d, "expected.csv"), "w") as f:
            f.write(r.stdout)
        exp_header = r.stdout.splitlines()[0].split(",")
        floats = float_columns(pmml, exp_header)
        meta = os.path.join(d, "meta.json")
        if floats:
            with open(meta, "w") as f:
                f.write('{"expected_columns": [%s]}\n' % ", ".join('{"name": "%s", "float32": true}' % c for c in floats))
        elif os.path.exists(meta):
            os.remove(meta)
        print(name)


if __name__ == "__main__":
    main()
