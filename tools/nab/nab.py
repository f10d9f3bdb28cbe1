#!/usr/bin/env python3
"""tools/nab/nab.py - helper of tools/eval-nab.sh: NAB count series as API access logs.

  nab.py gen SERIES.csv LOG.csv META.json [--probation nab|15pct]
      Writes LOG.csv, an access log of one API key (columns timestamp (epoch ms), api_key,
      ip, operation, status) with value/scale requests per row of SERIES.csv spread evenly
      over the row's interval, from a fixed set of 4 client IPs (round robin). META.json
      gets what the scorer needs (rows, step, scale, probation end, --learn seconds).
  nab.py score META.json WINDOWS.json REPORT.json
      Matches the volume_spike anomalies of a `keytrail scan --output json` report to the
      NAB windows of the series; prints one result line of JSON.
  nab.py table RESULTS.jsonl
      Prints the per-series table and the totals.
  nab.py selftest
      Checks the NAB score pieces and the log generator on tiny known cases.

Python 3 standard library only. docs/EVAL.md explains the mapping and the scores.
"""
import csv
import json
import math
import os
import sys
from datetime import datetime, timezone

MAX_EVENTS = 2_000_000  # scale = smallest power of ten keeping a series below this
IPS = ["198.51.100.10", "198.51.100.11", "198.51.100.12", "198.51.100.13"]
HOUR = 3600
# NAB cost profiles (NAB config/profiles.json): tp, fp, fn weights
PROFILES = {"standard": (1.0, 0.11, 1.0), "low_fp": (1.0, 0.22, 1.0)}


def parse_ts(s):
    """NAB stamps 'YYYY-MM-DD HH:MM:SS[.ffffff]', no zone: read as UTC, epoch seconds."""
    s = s.strip().split(".")[0]
    return int(datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp())


def fmt_ts(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M")


def read_series(path):
    rows = []
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for rec in r:
            if len(rec) >= 2:
                rows.append((parse_ts(rec[0]), float(rec[1])))
    rows.sort()
    return rows


def probation_rows(n, mode):
    """NAB (sweeper.py): min(floor(0.15 n), 0.15 * 5000) rows; 15pct: floor(0.15 n)."""
    p = math.floor(0.15 * n)
    return p if mode == "15pct" else int(min(p, 0.15 * 5000))


def gen(series, log, meta_path, mode):
    rows = read_series(series)
    steps = sorted(rows[i + 1][0] - rows[i][0] for i in range(len(rows) - 1))
    step = steps[len(steps) // 2]
    total = sum(max(v, 0.0) for _, v in rows)
    # KT_NAB_SCALE: a larger minimum divisor, for the sensitivity check in docs/EVAL.md
    scale = max(1, int(os.environ.get("KT_NAB_SCALE", "1")))
    while total / scale > MAX_EVENTS:
        scale *= 10
    key = "nab_" + series.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    n_events = 0
    first = None
    cum = 0.0
    emitted = 0
    with open(log, "w") as out:
        out.write("timestamp,api_key,ip,operation,status\n")
        for i, (t, v) in enumerate(rows):
            # cumulative rounding: the log holds round(total/scale) requests in all
            cum += max(v, 0.0) / scale
            c = int(math.floor(cum + 0.5)) - emitted
            emitted += c
            if c <= 0:
                continue
            span = step if i + 1 == len(rows) else min(step, rows[i + 1][0] - t)
            base = t * 1000
            if first is None:
                first = t
            lines = []
            for j in range(c):
                ms = base + ((2 * j + 1) * span * 1000) // (2 * c)
                lines.append("%d,%s,%s,GET /v1/items,200\n" % (ms, key, IPS[n_events % 4]))
                n_events += 1
            out.write("".join(lines))
    prow = probation_rows(len(rows), mode)
    pend = rows[prow][0] if prow < len(rows) else rows[-1][0] + step
    meta = {
        "series": series, "key": key, "rows": len(rows), "step": step, "scale": scale,
        "events": n_events, "start": rows[0][0], "end": rows[-1][0] + step,
        "probation_rows": prow, "probation_end": pend, "probation_mode": mode,
        # online learning starts at the key's first record, so it ends at pend
        "learn_s": max(pend - (first if first is not None else rows[0][0]), 1),
    }
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    return meta


def scaled_sigmoid(pos):
    """NAB: 2 sigmoid(-5 pos) - 1, -1 from 3 window lengths past a window on."""
    if pos >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * pos)) - 1.0


def nab_raw(windows, dets, step, profile):
    """NAB score of one series in rows of `step` seconds, detections as times.

    A window [L, R] spans W = (R - L)/step + 1 rows. The earliest detection t inside it
    scores tp * S(-((R - t)/step + 1)/W) / S(-1); a window without one scores -fn. A
    detection outside every window scores fp * S(((t - R')/step)/(W' - 1)) after a window
    [L', R'], and -fp before the first one."""
    tp_w, fp_w, fn_w = profile
    max_tp = scaled_sigmoid(-1.0)
    raw = 0.0
    for lo, hi in windows:
        inside = [t for t in dets if lo <= t <= hi]
        if inside:
            w = (hi - lo) / step + 1
            raw += tp_w * scaled_sigmoid(-((hi - min(inside)) / step + 1) / w) / max_tp
        else:
            raw -= fn_w
    for t in dets:
        if any(lo <= t <= hi for lo, hi in windows):
            continue
        prev = [(lo, hi) for lo, hi in windows if hi < t]
        if not prev:
            raw += fp_w * -1.0
            continue
        lo, hi = prev[-1]
        w = (hi - lo) / step + 1
        raw += fp_w * scaled_sigmoid(((t - hi) / step) / max(w - 1, 1))
    return raw


def score(meta_path, windows_path, report_path):
    with open(meta_path) as f:
        meta = json.load(f)
    with open(windows_path) as f:
        allw = json.load(f)
    name = "/".join(meta["series"].split("/")[-2:])
    with open(report_path) as f:
        report = json.load(f)
    step, pend = meta["step"], meta["probation_end"]
    wins = [(parse_ts(a), parse_ts(b)) for a, b in allw.get(name, [])]
    judged = [w for w in wins if w[1] >= pend]
    fired = {}  # hour -> earliest time a volume_spike of that hour was raised
    for a in report.get("anomalies", []):
        if a.get("kind") != "volume_spike":
            continue
        t = parse_ts(a["time"][:19].replace("T", " "))
        h = t // HOUR * HOUR
        if h + HOUR > pend:
            fired[h] = min(fired.get(h, t), t)
    hours = sorted(fired)
    detected, fp, dets = 0, 0, []
    for lo, hi in judged:
        if any(h <= hi and h + HOUR > lo for h in hours):
            detected += 1
    for h in hours:
        hit = [(lo, hi) for lo, hi in judged if h <= hi and h + HOUR > lo]
        # detection time: when keytrail raised it (the record that crossed the bound),
        # clamped into the window its hour overlaps
        t = fired[h]
        if hit:
            t = min(max(t, hit[0][0]), hit[0][1])
        else:
            fp += 1
        dets.append(t)
    res = {
        "series": name, "rows": meta["rows"], "scale": meta["scale"], "events": meta["events"],
        "windows": len(wins), "judged": len(judged), "detected": detected, "fp": fp,
        "hours": (meta["end"] - pend) / HOUR, "learn_s": meta["learn_s"],
        "anomalies": len(hours),
        "fp_hours": [fmt_ts(h) for h in hours
                     if not any(h <= hi and h + HOUR > lo for lo, hi in judged)],
    }
    for pname, prof in PROFILES.items():
        res["raw_" + pname] = nab_raw(judged, dets, step, prof)
        res["null_" + pname] = -prof[2] * len(judged)
        res["perfect_" + pname] = prof[0] * len(judged)
    print(json.dumps(res))


def norm(raw, null, perfect):
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else float("nan")


def table(results_path):
    rs = []
    with open(results_path) as f:
        for line in f:
            if line.strip():
                rs.append(json.loads(line))
    print("%-48s %5s %6s %7s %8s %3s %6s %8s %8s" % (
        "series", "scale", "learn", "windows", "detected", "fp", "hours", "nab_std", "nab_lowfp"))
    for r in rs:
        print("%-48s %5d %5.1fd %4d/%-2d %8d %3d %6.0f %8.1f %8.1f" % (
            r["series"], r["scale"], r["learn_s"] / 86400.0, r["judged"], r["windows"],
            r["detected"], r["fp"], r["hours"],
            norm(r["raw_standard"], r["null_standard"], r["perfect_standard"]),
            norm(r["raw_low_fp"], r["null_low_fp"], r["perfect_low_fp"])))
    tot = {k: sum(r[k] for r in rs) for k in (
        "windows", "judged", "detected", "fp", "hours", "raw_standard", "null_standard",
        "perfect_standard", "raw_low_fp", "null_low_fp", "perfect_low_fp")}
    recall = tot["detected"] / tot["judged"] if tot["judged"] else 0.0
    fpk = 1000.0 * tot["fp"] / tot["hours"] if tot["hours"] else 0.0
    print()
    print("TOTAL %d series: window recall %.3f (%d/%d judged windows; %d in learning)  "
          "false positives %.2f per 1000 hours (%d in %.0f h)" % (
              len(rs), recall, tot["detected"], tot["judged"], tot["windows"] - tot["judged"],
              fpk, tot["fp"], tot["hours"]))
    print("NAB score (normalized, 100 = perfect, 0 = no detections): standard %.1f, "
          "reward_low_FP %.1f" % (
              norm(tot["raw_standard"], tot["null_standard"], tot["perfect_standard"]),
              norm(tot["raw_low_fp"], tot["null_low_fp"], tot["perfect_low_fp"])))


def selftest():
    """Checks the pieces with known values; exits non-zero on the first failure."""
    import tempfile
    ok = True

    def check(what, got, want, tol=1e-6):
        nonlocal ok
        if abs(got - want) > tol:
            sys.stderr.write("selftest: %s: got %r, want %r\n" % (what, got, want))
            ok = False

    # NAB's documented points of the scaled sigmoid (sweeper.py docstring)
    check("S(-1)", scaled_sigmoid(-1.0), 0.98661, 1e-5)
    check("S(-0.5)", scaled_sigmoid(-0.5), 0.84828, 1e-5)
    check("S(0)", scaled_sigmoid(0.0), 0.0)
    check("S(1)", scaled_sigmoid(1.0), -0.98661, 1e-5)
    check("S(3)", scaled_sigmoid(3.0), -1.0)
    check("probation nab", probation_rows(15902, "nab"), 750)
    check("probation 15pct", probation_rows(15902, "15pct"), 2385)
    check("probation short", probation_rows(4032, "nab"), 604)
    # one window of 11 rows (step 1): detected at its first row = tp 1; nothing = -fn
    std = PROFILES["standard"]
    check("tp at start", nab_raw([(10, 20)], [10], 1, std), 1.0)
    check("missed", nab_raw([(10, 20)], [], 1, std), -1.0)
    check("fp before any window", nab_raw([(10, 20)], [5, 10], 1, std), 1.0 - 0.11)
    check("fp right after window", nab_raw([(10, 20)], [10, 21], 1, std),
          1.0 + 0.11 * scaled_sigmoid(0.1))
    check("earliest detection counts", nab_raw([(10, 20)], [20, 10], 1, std), 1.0)
    # gen: cumulative rounding keeps the scaled total, events spread inside each row
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "x.csv")
        with open(src, "w") as f:
            f.write("timestamp,value\n2015-01-01 00:00:00,3\n2015-01-01 00:05:00,0\n"
                    "2015-01-01 00:10:00,2.5\n2015-01-01 00:15:00,1.5\n")
        meta = gen(src, os.path.join(d, "log.csv"), os.path.join(d, "m.json"), "nab")
        with open(os.path.join(d, "log.csv")) as f:
            lines = f.read().splitlines()
        check("events", len(lines) - 1, 7)
        t = [int(x.split(",")[0]) for x in lines[1:]]
        check("sorted", float(t == sorted(t)), 1.0)
        check("first event", t[0], 1420070400000 + 50000)
        check("inside row", float(all(1420070400000 <= x < 1420071600000 for x in t)), 1.0)
        check("step", meta["step"], 300)
        check("learn from the first record", meta["learn_s"], 0 * 300 + 1)
    print("selftest: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv):
    if len(argv) == 2 and argv[1] == "selftest":
        return selftest()
    elif len(argv) >= 5 and argv[1] == "gen":
        mode = "nab"
        if len(argv) >= 7 and argv[5] == "--probation":
            mode = argv[6]
        print("%ds" % gen(argv[2], argv[3], argv[4], mode)["learn_s"])
    elif len(argv) == 5 and argv[1] == "score":
        score(argv[2], argv[3], argv[4])
    elif len(argv) == 3 and argv[1] == "table":
        table(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
