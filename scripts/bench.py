"""Province-scale benchmark of qinglian against DuckDB (docs/performance.md).

Run by scripts/bench, which builds the release binary and installs DuckDB.
Measures on one generated province:
  (a) the full `run --no-report` for one quarter, and for each of the eight;
      and one `-v` run whose logged stage times (ingest, data points,
      scoring with Monte Carlo, ...) are printed against (f);
  (b) the data-point stage alone (fused plan), one quarter, the quarters (f)
      computes, and eight at once;
  (c) the same compiled data-point SQL in DuckDB;
  (d) the scan floor: decoding just the columns the framework's SQL names;
  (e) the naive plan: one query per data point (on a 200+ data point framework);
  (f) the analyst's anchor: scripts/analyst.sql, the default framework's data
      points written by hand for DuckDB (one query per source with FILTER
      aggregates, every quarter in one pass), for the assessed quarter and
      the one before it as `run --no-report` computes them
      (BENCH_ANALYST_QUARTERS, default 2).
Prints every figure, the ratios (b)/(c), (b)/(d), (e)/(b), (a)/(f), (b)/(f)
and each stage of (a) against (f), and peak RSS. BENCH_ONLY picks figures by
letter (default "abcdef"). scripts/analyst_check.py checks (f)'s values
against the exported SQL's.
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

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("QINGLIAN_BIN", os.path.join(HERE, "..", "target", "release", "qinglian"))
WORK = os.environ.get("BENCH_DIR", os.path.join(HERE, "..", "target", "bench"))
DATA = os.path.join(WORK, "province")
SCALE = os.path.join(WORK, "scale")
QUARTER = os.environ.get("BENCH_QUARTER", "2026Q3")
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
THREADS = os.cpu_count() or 2
ANALYST_SQL = os.path.join(HERE, "analyst.sql")
ANALYST_QUARTERS = int(os.environ.get("BENCH_ANALYST_QUARTERS", "2"))


def run(args, capture=True, stderr=None):
    """Runs the binary; returns (wall seconds, peak RSS bytes, stdout).
    With `stderr` (an open file), its standard error goes there."""
    started = time.monotonic()
    proc = subprocess.Popen([BIN] + args, stdout=subprocess.PIPE if capture else None, stderr=stderr)
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


def load_export(path):
    with open(path) as f:
        return json.load(f)


def duckdb_connect(export, threads=THREADS):
    """A DuckDB connection with one view per exported table: the table's
    Parquet files, the catalog's column names mapped to the canonical ones."""
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    for name, t in export["tables"].items():
        # Cast as ingest casts (a Timestamp date column becomes a DATE).
        cols = ", ".join(f'CAST("{src}" AS {ty}) AS "{canon}"' for canon, src, ty in t["columns"])
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in t["files"])
        con.execute(
            f"CREATE VIEW {name} AS SELECT {cols} FROM read_parquet([{files}], union_by_name = true)"
        )
    return con


def literal(v):
    """A parameter value (`{"date": ...}`, `{"number": ...}` or
    `{"integer": ...}`) as a typed SQL literal."""
    if "date" in v:
        return "DATE '" + datetime.date.fromisoformat(v["date"]).isoformat() + "'"
    if "integer" in v:
        return str(int(v["integer"]))
    # Parenthesised (a negative value after a minus is not a comment)
    # and typed as DataFusion binds it (Float64, not DECIMAL).
    return f"CAST({float(v['number'])!r} AS DOUBLE)"


def bind(sql, params):
    """`sql` with every `$name` of `params` written in as a typed literal,
    longest name first. DuckDB types a bound date in a CASE as a timestamp
    (date - timestamp is an interval), so values are written in rather than
    bound."""
    for k in sorted(params, key=len, reverse=True):
        sql = re.sub(r"\$" + re.escape(k) + r"(?![A-Za-z0-9_])", literal(params[k]), sql)
    return sql


def duckdb_dialect(sql, export):
    """DataFusion SQL that DuckDB does not take, rewritten: `CAST(<date
    column> AS INT)` (days since 1970-01-01; DuckDB has no DATE -> INTEGER
    cast) becomes the date minus the epoch."""
    dates = {c for t in export["tables"].values() for c, _, ty in t["columns"] if ty == "DATE"}

    def days(m):
        return f"({m.group(2)} - DATE '1970-01-01')" if m.group(2) in dates else m.group(0)

    return re.sub(r'CAST\(\s*("?)([A-Za-z_][A-Za-z0-9_]*)\1\s+AS\s+INT(?:EGER)?\s*\)', days, sql,
                  flags=re.IGNORECASE)


def exported_queries(export):
    """The exported queries as DuckDB runs them: [(name, sql)]."""
    return [(q["name"], duckdb_dialect(bind(q["sql"], q["params"]), export)) for q in export["queries"]]


def timed(con, queries):
    """Runs `queries` ([(name, sql)]) on `con` once (the first run warms the
    page cache and DuckDB's metadata cache), then REPEAT times; the median."""
    def once():
        started = time.monotonic()
        for _, sql in queries:
            con.execute(sql).fetchall()
        return time.monotonic() - started

    once()
    return median_of(once)


def duckdb_stage(export_path):
    """Runs the exported SQL in DuckDB; returns (seconds, queries)."""
    export = load_export(export_path)
    con = duckdb_connect(export)
    queries = exported_queries(export)
    return timed(con, queries), len(queries)


def analyst_statements(export, quarters=ANALYST_QUARTERS, path=ANALYST_SQL):
    """scripts/analyst.sql split into statements with its placeholders
    filled: the assessed quarter's first day (that of the export),
    the number of quarters, and the framework's parameters (as the exported
    queries bind them). Returns [(name, sql)]; name is None for a statement
    without a `-- name:` line (the quarters table)."""
    params = {}
    for q in export["queries"]:
        params.update(q["params"])
    params = {k: v for k, v in params.items() if "number" in v}
    year, k = int(export["quarter"][:4]), int(export["quarter"][5])
    params["quarter_start"] = {"date": datetime.date(year, 3 * k - 2, 1).isoformat()}
    params["quarters"] = {"integer": quarters}
    with open(path) as f:
        text = f.read()
    out = []
    for chunk in re.split(r";[ \t]*(?:\n|$)", text):
        sql = bind(chunk, params)
        code = "\n".join(l for l in sql.splitlines() if not l.lstrip().startswith("--"))
        if not code.strip():
            continue
        left = re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", code)
        if left:
            sys.exit(f"{path}: no value for ${', $'.join(sorted(set(left)))}")
        name = re.search(r"^\s*--\s*name:\s*(\w+)", chunk, re.MULTILINE)
        out.append((name.group(1) if name else None, sql))
    return out


def analyst_results(con, statements):
    """Runs the analyst's statements; per named statement its column names
    and rows."""
    out = {}
    for name, sql in statements:
        cur = con.execute(sql)
        if name is not None:
            out[name] = ([d[0] for d in cur.description], cur.fetchall())
    return out


def analyst_stage(export_path, quarters=ANALYST_QUARTERS):
    """Runs scripts/analyst.sql in DuckDB on the export's views; returns
    (seconds, source queries)."""
    export = load_export(export_path)
    con = duckdb_connect(export)
    statements = analyst_statements(export, quarters)
    return timed(con, statements), sum(1 for n, _ in statements if n is not None)


# A `-v` log line: its target, message and `key=value` fields.
LOG_LINE = re.compile(r"\sINFO\s+(?P<target>[\w:]+):\s(?P<message>.*?)(?P<fields>(?:\s\w+=\S+)*)\s*$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def stage_times(log):
    """The timed stages of a `qinglian -v run` log, in order:
    [(stage, seconds, nested)]. The pipeline's own steps (ingest, data
    points, scoring, earlier quarters) are top level; a step inside one of
    them (Monte Carlo, within scoring) is nested. The per-query lines of the
    data-point stage overlap (queries run concurrently) and are left out."""
    out = []
    for line in log.splitlines():
        m = LOG_LINE.search(ANSI.sub("", line))
        if not m or m.group("target") == "qinglian::datapoints::run":
            continue
        fields = dict(re.findall(r"(\w+)=(\S+)", m.group("fields")))
        if "ms" not in fields:
            continue
        label = m.group("message")
        if "quarter" in fields and "quarters" not in fields:
            label += f" ({fields['quarter']})"
        out.append((label, int(fields["ms"]) / 1e3, m.group("target") != "qinglian::pipeline"))
    return out


FIG = {}


def note(key, value):
    """Records a figure, prints it at once and keeps figures.json current."""
    FIG[key] = value
    print(f"  {key} = {value}", flush=True)
    with open(os.path.join(WORK, "figures.json"), "w") as f:
        json.dump(FIG, f, indent=2)


def main():
    fig = FIG
    only = set(os.environ.get("BENCH_ONLY", "abcdef"))
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
        # Where the one-quarter run's time goes, from its own log (-v).
        log_path = os.path.join(WORK, "run-v.log")
        with open(log_path, "wb") as log:
            wall, _, _ = run(["-v", "run", "--no-report", "--data", DATA, "--quarter", QUARTER,
                              "--out", out + "-v"], stderr=log)
        with open(log_path, encoding="utf-8", errors="replace") as log:
            note("a_stages", stage_times(log.read()))
        note("a_verbose_s", wall)

    # (b) the data-point stage alone, default framework.
    def stage(framework, quarters=1, plan="fused"):
        wall, rss, out = run(["bench", "stage", "--data", DATA, "--framework", framework,
                              "--quarter", QUARTER, "--quarters", str(quarters), "--plan", plan])
        t = json_line(out)
        return t["stage_ms"] / 1e3, rss, t

    if "b" in only:
        note("b_stage_s", median_of(lambda: stage("indicators")[0]))
        # As many quarters as (f) computes, for (b)/(f).
        note("b_stage_f_s", median_of(lambda: stage("indicators", ANALYST_QUARTERS)[0]))
        note("b_stage_f_quarters", ANALYST_QUARTERS)
        _x, _y, _ = stage("indicators", 8)
        note("b_stage8_s", _x)
        note("b_stage8_rss", _y)

    # (c) DuckDB on the same SQL.
    export = os.path.join(WORK, "export.json")
    if "c" in only or "f" in only:
        run(["bench", "export", "--data", DATA, "--framework", "indicators", "--quarter", QUARTER, "--out", export])
    if "c" in only:
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

    # (f) the analyst's anchor: scripts/analyst.sql on the same views.
    if "f" in only:
        _x, _y = analyst_stage(export, ANALYST_QUARTERS)
        note("f_analyst_s", _x)
        note("f_queries", _y)
        note("f_quarters", ANALYST_QUARTERS)

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
        ("f_analyst_s", lambda: f"(f) the analyst's anchor, DuckDB ({fig['f_queries']} queries, {fig['f_quarters']} quarters)  {fig['f_analyst_s']:8.2f} s"),
        ("b_stage_f_s", lambda: f"(b) data-point stage, {fig['b_stage_f_quarters']} quarters     {fig['b_stage_f_s']:8.2f} s"),
        ("c_duckdb_s b_stage_s", lambda: f"(b)/(c) = {fig['b_stage_s'] / fig['c_duckdb_s']:.2f}   target <= 1.0"),
        ("d_scan_s b_stage_s", lambda: f"(b)/(d) = {fig['b_stage_s'] / fig['d_scan_s']:.2f}   target <= 2.0"),
        ("a_one_quarter_s f_analyst_s", lambda: f"(a)/(f) = {fig['a_one_quarter_s'] / fig['f_analyst_s']:.2f}   target <= 3"),
        ("b_stage_f_s f_analyst_s", lambda: f"(b)/(f) = {fig['b_stage_f_s'] / fig['f_analyst_s']:.2f}   target <= 1.0 ({fig['b_stage_f_quarters']} quarters each)"),
        ("e_naive_s", lambda: f"(e)/(fused), whole stage = {fig['e_naive_s'] / fig['e_fused_s']:.2f}   target >= 10"),
        ("e_naive_aggregates_s", lambda: f"(e)/(fused), aggregate queries alone = {fig['e_naive_aggregates_s'] / fig['e_fused_aggregates_s']:.2f}   target >= 10"),
        ("a_one_quarter_s", lambda: f"full quarter {fig['a_one_quarter_s']:.1f} s (target < 60 s), peak RSS {fig['a_one_quarter_rss'] / gib:.2f} GiB (target < 4 GiB)"),
    ]
    print()
    print(f"province: {DATA} (quarter {QUARTER}); {THREADS} threads; medians of {REPEAT}")
    for keys, line in lines:
        if all(k in fig for k in keys.split()):
            print(line())
    if "a_stages" in fig and "f_analyst_s" in fig:
        f = fig["f_analyst_s"]
        print(f"(a) by stage (one `-v` run, {fig['a_verbose_s']:.2f} s), each against (f) = {f:.2f} s:")
        top, inner = 0.0, []
        for label, secs, nested in fig["a_stages"]:
            if nested:  # logged before the step it is part of ends
                inner.append((label, secs))
                continue
            top += secs
            for lbl, sec in [(label, secs)] + [("  " + l, t) for l, t in inner]:
                print(f"  {lbl:<52} {sec:8.2f} s   {sec / f:6.2f}")
            inner = []
        rest = fig["a_verbose_s"] - top
        print(f"  {'the rest (start-up, framework check, outputs)':<52} {rest:8.2f} s   {rest / f:6.2f}")

if __name__ == "__main__":
    main()
