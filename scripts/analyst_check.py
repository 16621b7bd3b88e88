"""Checks scripts/analyst.sql (figure (f) of scripts/bench.py) against qinglian.

On one data directory (canonical Parquet, as `qinglian generate` writes it):
exports qinglian's data-point SQL once per quarter (`qinglian bench export`),
runs it in DuckDB on the same views as bench.py's (c), reads each data point
per village as qinglian reads it (a village without a row, or a NULL, is 0
for counts and sums and for SQL data points with `missing = "zero"`, else
missing), and compares every value per village and quarter with the analyst
script's (relative tolerance 1e-9). Prints the mismatches; exits 1 on any.

    venv/bin/python scripts/analyst_check.py --data DIR [--quarter 2026Q3] [--quarters 2]
        [--bin target/release/qinglian] [--framework indicators] [--time 3]

--time N also times both in DuckDB (one warm-up, median of N): the exported
queries once per quarter, and the analyst script for all the quarters at once.
Source coverage (a window reaching before a source's first quarter makes a
data point `not_covered` in qinglian) is not modelled on either side.
"""

import argparse
import glob
import math
import os
import subprocess
import sys
import tempfile
import time
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

ZERO_WHEN_EMPTY = {"count", "count_distinct", "sum"}
REL_TOL = 1e-9


def datapoints(framework):
    """The framework's data points that come from SQL, by id: ('compiled',
    zero_when_empty) or ('sql', file, column, zero_when_missing)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(framework, "datapoints", "*.toml"))):
        with open(path, "rb") as f:
            for d in tomllib.load(f).get("datapoint", []):
                if "sql" in d:
                    out[d["id"]] = ("sql", d["sql"], d["column"], d.get("missing", "zero") == "zero")
                elif "aggregate" in d:
                    out[d["id"]] = ("compiled", d["aggregate"] in ZERO_WHEN_EMPTY)
                # else built in (population, households): not SQL
    return out


def expected(con, export, dps, villages):
    """qinglian's values for the export's quarter: {(village, id): value}."""
    out = {}
    known = set(villages)
    for name, sql in bench.exported_queries(export):
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        vc = cols.index("village_code")
        if name.startswith("compiled "):
            ids = [(i, c, dps[c][1]) for i, c in enumerate(cols) if c in dps]
        else:
            file = name.removeprefix("sql/")
            ids = [(cols.index(spec[2]), dp, spec[3]) for dp, spec in dps.items()
                   if spec[0] == "sql" and spec[1] == file]
        for _, dp, zero in ids:
            for v in villages:
                out[(v, dp)] = 0.0 if zero else None
        for row in rows:
            if row[vc] not in known:
                continue
            for i, dp, zero in ids:
                if row[i] is not None:
                    out[(row[vc], dp)] = float(row[i])
                elif name.startswith("sql/"):
                    out[(row[vc], dp)] = None  # a returned NULL is unavailable
    return out


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b or abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--quarter", default="2026Q3", help="the assessed quarter")
    ap.add_argument("--quarters", type=int, default=2, help="quarters back from it, it included")
    ap.add_argument("--bin", default=os.environ.get("QINGLIAN_BIN", os.path.join(root, "target", "release", "qinglian")))
    ap.add_argument("--framework", default=os.path.join(root, "indicators"))
    ap.add_argument("--sql", default=bench.ANALYST_SQL)
    ap.add_argument("--time", type=int, default=0, metavar="N", help="also time both, median of N")
    ap.add_argument("--show", type=int, default=5, help="mismatches shown per data point")
    args = ap.parse_args()

    dps = datapoints(args.framework)
    quarters = bench.quarters_back(args.quarter, args.quarters)
    exports = {}
    with tempfile.TemporaryDirectory() as tmp:
        for q in quarters:
            path = os.path.join(tmp, f"export-{q}.json")
            subprocess.run([args.bin, "bench", "export", "--data", args.data, "--framework", args.framework,
                            "--quarter", q, "--out", path], check=True, stdout=subprocess.DEVNULL)
            exports[q] = bench.load_export(path)
    con = bench.duckdb_connect(exports[quarters[0]], threads=2)
    villages = [r[0] for r in con.execute("SELECT village_code FROM villages").fetchall()]

    statements = bench.analyst_statements(exports[quarters[0]], args.quarters, args.sql)
    got = {}
    for source, (cols, rows) in bench.analyst_results(con, statements).items():
        qi, vi = cols.index("quarter"), cols.index("village_code")
        for row in rows:
            for i, c in enumerate(cols):
                if i not in (qi, vi):
                    key = (row[qi], row[vi], c)
                    if key in got:
                        sys.exit(f"the analyst script gives {c} twice for {row[vi]} in {row[qi]}")
                    got[key] = None if row[i] is None else float(row[i])

    analyst_ids = {c for _, _, c in got}
    unknown = sorted(analyst_ids - set(dps))
    absent = sorted(set(dps) - analyst_ids)
    bad = {}
    compared = 0
    nonzero = {dp: 0 for dp in dps}
    for q in quarters:
        want = expected(con, exports[q], dps, villages)
        for (v, dp), e in sorted(want.items()):
            if dp not in analyst_ids:
                continue
            a = got.get((q, v, dp), "no row")
            compared += 1
            nonzero[dp] += e is not None and e != 0
            if a == "no row" or not close(a, e):
                bad.setdefault(dp, []).append((q, v, e, a))

    print(f"{args.data}: {len(villages)} villages, quarters {', '.join(quarters)}; "
          f"{len(dps)} SQL data points in {args.framework} (built-ins aside), "
          f"{len(analyst_ids & set(dps))} in the analyst script; {compared:,} values compared")
    dull = sorted(dp for dp, n in nonzero.items() if n == 0 and dp in analyst_ids)
    if dull:
        print(f"  0 or missing for every village and quarter here (checked, but weakly): {', '.join(dull)}")
    for dp in absent:
        print(f"  not in the analyst script: {dp}")
    for c in unknown:
        print(f"  the analyst script's {c} is no data point of the framework")
    for dp, rows in sorted(bad.items()):
        print(f"  {dp}: {len(rows)} mismatches")
        for q, v, e, a in rows[: args.show]:
            print(f"    {q} {v}: qinglian {e}, analyst {a}")
    mismatches = sum(len(r) for r in bad.values())
    print(f"{mismatches} mismatches" + ("" if mismatches or absent or unknown else ": the analyst script agrees"))

    if args.time:
        bench.REPEAT = args.time
        exported = [(n, s) for q in quarters for n, s in bench.exported_queries(exports[q])]
        t_exported = bench.timed(con, exported)
        t_analyst = bench.timed(con, statements)
        qs = f"{len(quarters)} quarter{'s' if len(quarters) > 1 else ''}"
        print(f"DuckDB, median of {args.time} after a warm-up: exported SQL {t_exported:.3f} s "
              f"({len(exported)} queries, {qs}); analyst script {t_analyst:.3f} s "
              f"({sum(1 for n, _ in statements if n)} queries, {qs}): "
              f"exported / analyst = {t_exported / t_analyst:.2f}")
    sys.exit(1 if mismatches or absent or unknown else 0)


if __name__ == "__main__":
    main()
