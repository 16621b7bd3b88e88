"""Province-scale benchmark of qinglian against DuckDB (docs/performance.md).

Run by scripts/bench, which builds the release binary and installs DuckDB.
Measures on one generated province:
  (a) the full `run --no-report` for one quarter, and for each of the eight;
  (b) the data-point stage alone (fused plan), one quarter and eight at once;
  (c) the same compiled data-point SQL in DuckDB;
  (d) the scan floor: decoding just the columns the framework's SQL names;
  (e) the naive plan: one query per data point (on a 200+ data point framework).
Prints every figure, the ratios (b)/(c), (b)/(d), (e)/(b), and peak RSS.
"""

import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time

import duckdb

BIN = os.environ["QINGLIAN_BIN"]
WORK = os.environ["BENCH_DIR"]
DATA = os.path.join(WORK, "province")
SCALE = os.path.join(WORK, "scale")
QUARTER = os.environ.get("BENCH_QUARTER", "2026Q3")
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
THREADS = os.cpu_count() or 2


def run(args, capture=True):
    """Runs the binary; returns (wall seconds, peak RSS bytes, stdout)."""
    started = time.monotonic()
    proc = subprocess.Popen([BIN] + args, stdout=subprocess.PIPE if capture else None)
    out = proc.stdout.read() if capture else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    if status != 0:
        sys.exit(f"qinglian {' '.join(args)} failed with status {status}")
    return wall, usage.ru_maxrss * 1024, out.decode()


def json_line(out):
    return json.loads(out.strip().splitlines()[-1])


def quarters_back(q, n):
    year, k = int(q[:4]), int(q[5])
    out = []
    for _ in range(n):
        out.append(f"{year}Q{k}")
        k -= 1
        if k == 0:
            year, k = year - 1, 4
    return out


def median_of(f, n=REPEAT):
    return statistics.median(f() for _ in range(n))


def duckdb_stage(export_path):
    """Runs the exported SQL in DuckDB; returns (seconds, queries)."""
    with open(export_path) as f:
        export = json.load(f)
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    for name, t in export["tables"].items():
        # Cast as ingest casts (a Timestamp date column becomes a DATE).
        cols = ", ".join(f'CAST("{src}" AS {ty}) AS "{canon}"' for canon, src, ty in t["columns"])
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in t["files"])
        con.execute(
            f"CREATE VIEW {name} AS SELECT {cols} FROM read_parquet([{files}], union_by_name = true)"
        )

    def literal(v):
        if "date" in v:
            return "DATE '" + datetime.date.fromisoformat(v["date"]).isoformat() + "'"
        # Parenthesised (a negative value after a minus is not a comment)
        # and typed as DataFusion binds it (Float64, not DECIMAL).
        return f"CAST({float(v['number'])!r} AS DOUBLE)"

    # The parameters as typed literals: DuckDB types a bound date in a CASE
    # as a timestamp (date - timestamp is an interval), so the values are
    # written in, longest name first; the SQL is otherwise as exported.
    queries = []
    for q in export["queries"]:
        sql = q["sql"]
        for k in sorted(q["params"], key=len, reverse=True):
            sql = re.sub(r"\$" + re.escape(k) + r"(?![A-Za-z0-9_])", literal(q["params"][k]), sql)
        queries.append(sql)

    def once():
        started = time.monotonic()
        for sql in queries:
            con.execute(sql).fetchall()
        return time.monotonic() - started

    once()  # warm the page cache and DuckDB's metadata cache alike
    return median_of(once), len(export["queries"])


FIG = {}


def note(key, value):
    """Records a figure, prints it at once and keeps figures.json current."""
    FIG[key] = value
    print(f"  {key} = {value}", flush=True)
    with open(os.path.join(WORK, "figures.json"), "w") as f:
        json.dump(FIG, f, indent=2)


def main():
    fig = FIG
    only = set(os.environ.get("BENCH_ONLY", "abcde"))
    # (a) full runs, tables only.
    out = os.path.join(WORK, "out")
    if "a" in only:
        wall, rss, _ = run(["run", "--no-report", "--data", DATA, "--quarter", QUARTER, "--out", out])
        note("a_one_quarter_s", wall)
        note("a_one_quarter_rss", rss)
        total, peak = 0.0, 0
        for q in quarters_back(QUARTER, 8):
            wall, rss, _ = run(["run", "--no-report", "--data", DATA, "--quarter", q, "--out", out + "-" + q])
            total, peak = total + wall, max(peak, rss)
        note("a_eight_quarters_s", total)
        note("a_eight_quarters_rss", peak)

    # (b) the data-point stage alone, default framework.
    def stage(framework, quarters=1, plan="fused"):
        wall, rss, out = run(["bench", "stage", "--data", DATA, "--framework", framework,
                              "--quarter", QUARTER, "--quarters", str(quarters), "--plan", plan])
        t = json_line(out)
        return t["stage_ms"] / 1e3, rss, t

    if "b" in only:
        note("b_stage_s", median_of(lambda: stage("indicators")[0]))
        _x, _y, _ = stage("indicators", 8)
        note("b_stage8_s", _x)
        note("b_stage8_rss", _y)

    # (c) DuckDB on the same SQL.
    export = os.path.join(WORK, "export.json")
    if "c" in only:
        run(["bench", "export", "--data", DATA, "--framework", "indicators", "--quarter", QUARTER, "--out", export])
        _x, _y = duckdb_stage(export)
        note("c_duckdb_s", _x)
        note("c_queries", _y)

    # (d) the scan floor.
    def scan(framework):
        _, _, out = run(["bench", "scan", "--data", DATA, "--framework", framework,
                         "--threads", str(THREADS)])
        return json_line(out)

    if "d" in only:
        note("d_scan_s", median_of(lambda: scan("indicators")["ms"] / 1e3))
        floor = scan("indicators")
        note("d_rows", floor["rows"])
        note("d_decoded_bytes", floor["decoded_bytes"])

    # (e) fused against naive on a framework of 200+ data points.
    if "e" in only:
        if not os.path.isdir(os.path.join(SCALE, "indicators")):
            run(["generate-framework", "--out", SCALE])
        scale = os.path.join(SCALE, "indicators")
        fused, _, t = stage(scale)
        note("e_fused_s", fused)
        note("e_fused_aggregates_s", t["aggregate_ms"] / 1e3)
        note("e_fused_queries", t["aggregate_queries"])
        note("e_datapoints", t["aggregate_datapoints"])
        naive, _, t = stage(scale, plan="naive")
        note("e_naive_s", naive)
        note("e_naive_aggregates_s", t["aggregate_ms"] / 1e3)
        note("e_naive_queries", t["aggregate_queries"])

    summary(FIG)


def summary(fig):
    gib = 1024 ** 3
    lines = [
        ("a_one_quarter_s", lambda: f"(a) run --no-report, one quarter     {fig['a_one_quarter_s']:8.2f} s   peak RSS {fig['a_one_quarter_rss'] / gib:.2f} GiB"),
        ("a_eight_quarters_s", lambda: f"(a) run --no-report, eight quarters  {fig['a_eight_quarters_s']:8.2f} s   peak RSS {fig['a_eight_quarters_rss'] / gib:.2f} GiB"),
        ("b_stage_s", lambda: f"(b) data-point stage, one quarter    {fig['b_stage_s']:8.2f} s"),
        ("b_stage8_s", lambda: f"(b) data-point stage, eight at once  {fig['b_stage8_s']:8.2f} s   peak RSS {fig['b_stage8_rss'] / gib:.2f} GiB"),
        ("c_duckdb_s", lambda: f"(c) DuckDB, same SQL ({fig['c_queries']} queries)  {fig['c_duckdb_s']:8.2f} s"),
        ("d_scan_s", lambda: f"(d) scan floor ({fig['d_rows']:,} rows)  {fig['d_scan_s']:8.2f} s"),
        ("e_naive_s", lambda: f"(e) {fig['e_datapoints']} aggregate data points, whole stage: fused {fig['e_fused_s']:.2f} s, naive {fig['e_naive_s']:.2f} s"),
        ("e_naive_aggregates_s", lambda: f"(e) the aggregate queries alone: fused ({fig['e_fused_queries']} queries) {fig['e_fused_aggregates_s']:.2f} s, naive ({fig['e_naive_queries']} queries) {fig['e_naive_aggregates_s']:.2f} s"),
        ("c_duckdb_s b_stage_s", lambda: f"(b)/(c) = {fig['b_stage_s'] / fig['c_duckdb_s']:.2f}   target <= 1.0"),
        ("d_scan_s b_stage_s", lambda: f"(b)/(d) = {fig['b_stage_s'] / fig['d_scan_s']:.2f}   target <= 2.0"),
        ("e_naive_s", lambda: f"(e)/(fused), whole stage = {fig['e_naive_s'] / fig['e_fused_s']:.2f}   target >= 10"),
        ("e_naive_aggregates_s", lambda: f"(e)/(fused), aggregate queries alone = {fig['e_naive_aggregates_s'] / fig['e_fused_aggregates_s']:.2f}   target >= 10"),
        ("a_one_quarter_s", lambda: f"full quarter {fig['a_one_quarter_s']:.1f} s (target < 60 s), peak RSS {fig['a_one_quarter_rss'] / gib:.2f} GiB (target < 4 GiB)"),
    ]
    print()
    print(f"province: {DATA} (quarter {QUARTER}); {THREADS} threads; medians of {REPEAT}")
    for keys, line in lines:
        if all(k in fig for k in keys.split()):
            print(line())

if __name__ == "__main__":
    main()
