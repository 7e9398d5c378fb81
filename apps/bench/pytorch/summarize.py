#!/usr/bin/python3
"""Medians over several `pnpm bench --only pytorch` runs (their results/*.json files).

    python3 apps/bench/pytorch/summarize.py apps/bench/results/optim-*.json

On a shared machine one run's figures move by 2x or more; this prints, for every workload
and column, the median of the runs' figures (each already the median of that run's
rounds) with the lowest and highest run beside it, then the median of the runs' ratios
(stepwise time / PyTorch time, each run's the median of its rounds' paired ratios, as the
bench prints them). Only the standard library.
"""

import json
import statistics
import sys

RATES = ("images/s", "steps/s")


def ratio(unit, s, t):
    """stepwise time / PyTorch time for the same work."""
    return t / s if unit in RATES else s / t


def paired(unit, s, t):
    if not s or not t or s.get("error") or t.get("error"):
        return None
    n = min(len(s["rounds"]), len(t["rounds"]))
    if n == 0:
        return None
    return statistics.median(ratio(unit, s["rounds"][i], t["rounds"][i]) for i in range(n))


def fmt(x, unit):
    if x is None:
        return "—"
    if unit == "s":
        return f"{x:.3f}" if x < 10 else f"{x:.2f}"
    if unit == "µs/op":
        return f"{x:.2f}" if x < 10 else f"{x:.1f}"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def table(lines, left):
    widths = [max(len(l[i]) if i < len(l) else 0 for l in lines) for i in range(len(lines[0]))]
    for k, l in enumerate(lines):
        cells = [c.ljust(widths[j]) if j < left else c.rjust(widths[j]) for j, c in enumerate(l)]
        print("  ".join(cells).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main(paths):
    runs = []
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        if doc.get("pytorchRows"):
            runs.append(doc)
    if not runs:
        sys.exit("no run with a pytorch section among " + ", ".join(paths))
    print(f"{len(runs)} runs: " + "; ".join(
        f"{r['started']} (load {' '.join(f'{x:.1f}' for x in r['pytorch']['loadBefore'])})" for r in runs))
    order, labels, units, columns = [], {}, {}, []
    for r in runs:
        for row in r["pytorchRows"]:
            if row["workload"] not in order:
                order.append(row["workload"])
            labels[row["workload"]], units[row["workload"]] = row["label"], row["unit"]
            for c in row["cells"]:
                if c["column"] not in columns:
                    columns.append(c["column"])
    stepwise = [c for c in columns if not c.startswith("PyTorch")]
    torch_cols = [c for c in columns if c.startswith("PyTorch")]

    def cells(w, col):
        out = []
        for r in runs:
            for row in r["pytorchRows"]:
                if row["workload"] == w:
                    out.append(next((c for c in row["cells"] if c["column"] == col), None))
        return out

    print("\nmedian of the runs' figures [lowest – highest run]")
    lines = [["workload", "unit", *columns]]
    for w in order:
        row = [labels[w], units[w]]
        for col in columns:
            xs = [c["median"] for c in cells(w, col) if c and c.get("median") is not None]
            if not xs:
                row.append("—")
                continue
            threads = {c["threads"] for c in cells(w, col) if c and c.get("threads") is not None}
            t = f" {'/'.join(str(x) for x in sorted(threads))}T" if col == "PyTorch auto" else ""
            row.append(f"{fmt(statistics.median(xs), units[w])} [{fmt(min(xs), units[w])}–{fmt(max(xs), units[w])}]{t}")
        lines.append(row)
    table(lines, 2)

    print("\nstepwise time ÷ PyTorch time (< 1: stepwise faster): median of the runs' ratios [lowest – highest]")
    lines = [["workload", "against", *stepwise]]
    for w in order:
        for k, t in enumerate(torch_cols):
            row = [labels[w] if k == 0 else "", t]
            for s in stepwise:
                xs = [x for x in (paired(units[w], a, b) for a, b in zip(cells(w, s), cells(w, t))) if x is not None]
                row.append(
                    f"{statistics.median(xs):.2f}× [{min(xs):.2f}–{max(xs):.2f}]" if xs else "—"
                )
            lines.append(row)
    table(lines, 2)


if __name__ == "__main__":
    main(sys.argv[1:])
