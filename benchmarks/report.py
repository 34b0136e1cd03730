#!/usr/bin/env python3
"""The harness's bookkeeping (called by benchmarks/run.sh; no third-party modules).

  report.py summary WORK            -> summary.tsv on stdout, from WORK/times/*.json (hyperfine),
                                       WORK/criterion/**/estimates.json and WORK/allocs.md
  report.py markdown OUT BENCH.md   -> rewrites the generated blocks of BENCH.md from OUT/summary.tsv,
                                       OUT/meta.tsv, OUT/gen_lines.tsv

summary.tsv: `metric unit kit peer_name peer ratio`, ratio = kit / peer. The unit says which way is
better: for "lower is better" units (times, ns/op, allocations) a ratio below 1 means kit wins, for
"higher is better" ones (QPS) a ratio above 1 does. One row per metric and peer.
"""
import glob
import json
import os
import re
import statistics
import sys

LOWER = "lower is better"
HIGHER = "higher is better"


def fmt(v, unit):
    if v is None:
        return "NA"
    if unit.startswith("s "):
        return f"{v:.3f}"
    if unit.startswith("ns"):
        return f"{v:.1f}"
    if unit.startswith("allocs"):
        return f"{v:.1f}"
    if unit.startswith("bytes"):
        return f"{v:.0f}"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.2f}"


def ratio(k, p):
    if k is None or p is None:
        return "NA"
    if p == 0:
        return "1.000" if k == 0 else "inf"
    return f"{k / p:.3f}"


# --- summary ------------------------------------------------------------------------------------


def hyperfine_times(work, group, cpu=False):
    """{command name: [seconds of every kept run]} for one measure() group: wall time, or with
    cpu=True user + system CPU time (children included; each file holds one run)."""
    times = {}
    for path in sorted(glob.glob(os.path.join(work, "times", f"{group}.*.json"))):
        if os.path.exists(re.sub(r"\.\d+\.json$", ".failed", path)):
            continue  # the command failed (run.sh listed it in failed.tsv): no figure
        with open(path) as f:
            for r in json.load(f)["results"]:
                v = [r["user"] + r["system"]] if cpu else (r.get("times") or [r["mean"]])
                times.setdefault(r["command"], []).extend(v)
    return times


def criterion_median(work, group, fn):
    path = os.path.join(work, "criterion", group, fn, "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


PILOTA_NOFMT = "pilota-build (rustfmt skipped)"
PILOTA_FULL = "pilota-build (with its rustfmt, 1 run)"
OPTIONAL = {PILOTA_FULL}  # only in the full mode: no row when not measured

TIMED = [
    # metric, group, kit command, [(peer name, peer command)]
    ("codegen_thrift_s", "codegen_thrift", "kit-thrift",
     [(PILOTA_NOFMT, "pilota-thrift"), ("thrift --gen rs", "apache-thrift"), (PILOTA_FULL, "pilota-full-thrift")]),
    ("codegen_proto_s", "codegen_proto", "kit-proto",
     [("protoc+prost-build", "prost-proto"), (PILOTA_NOFMT, "pilota-proto"), (PILOTA_FULL, "pilota-full-proto")]),
    ("gen_compile_thrift_s", "gen_compile", "compile-kit-thrift", [("pilota", "compile-pilota-thrift")]),
    ("gen_compile_proto_s", "gen_compile", "compile-kit-proto",
     [("prost", "compile-prost-proto"), ("pilota", "compile-pilota-proto")]),
]

CODECS = [
    # criterion group prefix, metric stem, peer name for the `peer` function
    ("protobuf-encode", "protobuf_encode", "prost"),
    ("protobuf-encode_reuse", "protobuf_encode_reuse", "prost"),
    ("protobuf-decode", "protobuf_decode", "prost"),
    ("thrift-binary-encode", "thrift_binary_encode_reuse", "thrift crate"),
    ("thrift-binary-decode", "thrift_binary_decode", "thrift crate"),
    ("thrift-compact-encode", "thrift_compact_encode_reuse", "thrift crate"),
    ("thrift-compact-decode", "thrift_compact_decode", "thrift crate"),
]
MESSAGES = ["small", "text", "order"]


def parse_allocs(path):
    """rows of allocs.md: (message, op, kit (allocs, bytes), peer, (allocs, bytes), pilota or None)"""
    rows = []
    if not os.path.exists(path):
        return rows
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 9 or cells[0] not in MESSAGES:
            continue
        num = lambda s: None if s in ("—", "-", "") else float(s)
        rows.append((cells[0], cells[1], (num(cells[2]), num(cells[3])), cells[4],
                     (num(cells[5]), num(cells[6])), (num(cells[7]), num(cells[8]))))
    return rows


def summary(work):
    out = ["metric\tunit\tkit\tpeer_name\tpeer\tratio"]

    def row(metric, unit, k, peer, p):
        out.append(f"{metric}\t{unit}\t{fmt(k, unit)}\t{peer}\t{fmt(p, unit)}\t{ratio(k, p)}")

    for cpu in (False, True):
        unit = f"s ({LOWER}; median {'user+sys CPU' if cpu else 'wall'} time)"
        for metric, group, kit, peers in TIMED:
            t = hyperfine_times(work, group, cpu)
            k = statistics.median(t[kit]) if t.get(kit) else None
            for name, cmd in peers:
                p = statistics.median(t[cmd]) if t.get(cmd) else None
                if p is None and name in OPTIONAL:
                    continue
                row(metric[:-2] + "_cpu_s" if cpu else metric, unit, k, name, p)

    unit = f"ns/op ({LOWER}; criterion median)"
    for prefix, stem, peer in CODECS:
        for msg in MESSAGES:
            group = f"{prefix}-{msg}"
            k = criterion_median(work, group, "kit")
            if k is None:
                continue
            row(f"codec_{stem}_{msg}_ns", unit, k, peer, criterion_median(work, group, "peer"))
            pl = criterion_median(work, group, "pilota")
            if pl is not None:
                row(f"codec_{stem}_{msg}_ns", unit, k, "pilota", pl)

    for msg, op, k, peer, p, pl in parse_allocs(os.path.join(work, "allocs.md")):
        if not op.endswith("decode"):
            continue
        stem = op.replace(" ", "_")
        peer = {"Apache": "thrift crate"}.get(peer, peer)
        for what, i, unit in (("allocs", 0, f"allocs/op ({LOWER})"), ("alloc_bytes", 1, f"bytes/op ({LOWER})")):
            row(f"{what}_{stem}_{msg}", unit, k[i], peer, p[i])
            if pl[i] is not None:
                row(f"{what}_{stem}_{msg}", unit, k[i], "pilota", pl[i])
    return "\n".join(out) + "\n"


# --- markdown -----------------------------------------------------------------------------------


def read_tsv(path):
    if not os.path.exists(path):
        return []
    lines = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
    return [dict(zip(lines[0], l)) for l in lines[1:]]


def target(metric, peer):
    """(text, predicate on kit/peer ratio) of the issue-7 target for this row, or None."""
    if metric.startswith("codegen_"):
        if peer.startswith("pilota-build") or peer == "thrift --gen rs":
            return "≥ 5× faster", lambda r: r <= 0.2
        return "faster", lambda r: r < 1.0
    if metric.startswith("gen_compile_") and peer == "pilota":
        return "≥ 2× faster", lambda r: r <= 0.5
    if metric.startswith("codec_"):
        if peer == "thrift crate":
            return "≥ 3× faster", lambda r: r <= 1 / 3
        return "≥ 1.3× faster", lambda r: r <= 1 / 1.3
    if "qps" in metric:
        return "≥ 1.2×", lambda r: r >= 1.2
    if "_p99_" in metric:
        return "≤ peer", lambda r: r <= 1.0
    return None


def speedup(r, unit):
    """How many times better kit is (> 1: kit wins), from the kit/peer ratio and the unit's direction."""
    try:
        x = float(r)
    except ValueError:
        return "—"
    if x == 0 or x == float("inf"):
        return "—"
    # RPC units say "(lower better)", the others "lower is better".
    return f"{(1 / x if 'lower' in unit else x):.2f}×"


def table(rows, with_target=True):
    head = "| metric | kit | peer | peer value | kit / peer | kit is | target | met |"
    lines = [head, "|---|---:|---|---:|---:|---:|---|---|"]
    for r in rows:
        t = target(r["metric"], r["peer_name"]) if with_target else None
        met = "—"
        try:
            if t:
                met = "yes" if t[1](float(r["ratio"])) else "**no**"
        except ValueError:
            pass
        lines.append(f"| `{r['metric']}` | {r['kit']} | {r['peer_name']} | {r['peer']} | {r['ratio']} | "
                     f"{speedup(r['ratio'], r['unit'])} | {t[0] if t else '—'} | {met} |")
    return "\n".join(lines)


def alloc_table(rows):
    by = {}
    for r in rows:
        m = re.match(r"(allocs|alloc_bytes)_(.*)_(small|text|order)$", r["metric"])
        if not m:
            continue
        key = (m.group(3), m.group(2))
        d = by.setdefault(key, {"kit": {}, "peers": {}})
        d["kit"][m.group(1)] = r["kit"]
        d["peers"].setdefault(r["peer_name"], {})[m.group(1)] = r["peer"]
    lines = ["| message | decode | kit allocs | kit bytes | peer | peer allocs | peer bytes |",
             "|---|---|---:|---:|---|---:|---:|"]
    for (msg, op), d in sorted(by.items(), key=lambda kv: (MESSAGES.index(kv[0][0]), kv[0][1])):
        for peer, v in d["peers"].items():
            lines.append(f"| {msg} | {op.replace('_decode', '').replace('_', ' ')} | {d['kit'].get('allocs')} | "
                         f"{d['kit'].get('alloc_bytes')} | {peer} | {v.get('allocs')} | {v.get('alloc_bytes')} |")
    return "\n".join(lines)


def concurrency_table(rows):
    """rpc_concurrency.tsv as a table: QPS and latency percentiles per system and calls in flight."""
    if not rows:
        return ""
    cols = [("qps", "QPS"), ("p50_us", "p50 µs"), ("p99_us", "p99 µs"), ("p999_us", "p99.9 µs")]
    cols = [(k, h) for k, h in cols if k in rows[0]]  # older files have no p999_us column
    lines = ["| system | in flight | " + " | ".join(h for _, h in cols) + " |",
             "|---|---:|" + "---:|" * len(cols)]
    for r in rows:
        lines.append(f"| {r['system']} | {r['concurrency']} | " + " | ".join(r[k] for k, _ in cols) + " |")
    return "\n".join(lines)


def blocks(out):
    rows = read_tsv(os.path.join(out, "summary.tsv"))
    meta = {r["key"]: r["value"] for r in read_tsv(os.path.join(out, "meta.tsv"))}
    gen = read_tsv(os.path.join(out, "gen_lines.tsv"))
    b = {}
    b["machine"] = "\n".join(["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in meta.items()])
    failed = read_tsv(os.path.join(out, "failed.tsv"))
    if failed:
        b["machine"] += "\n\nCommands that failed in this run (their rows are NA):\n\n" + "\n".join(
            f"- `{r['command']}`: rerun with `{r['rerun']}`" for r in failed)
    b["codegen"] = table([r for r in rows if r["metric"].startswith(("codegen_", "gen_compile_"))])
    b["codec"] = table([r for r in rows if r["metric"].startswith("codec_")])
    b["allocs"] = alloc_table([r for r in rows if r["metric"].startswith(("allocs_", "alloc_bytes_"))])
    known = ("codegen_", "gen_compile_", "codec_", "allocs_", "alloc_bytes_")
    rpc = [r for r in rows if not r["metric"].startswith(known)]
    b["rpc"] = table(rpc) if rpc else "_No RPC rows: `benchmarks/rpc/run.sh` is not in this tree yet._"
    conc = concurrency_table(read_tsv(os.path.join(out, "rpc_concurrency.tsv")))
    if rpc and conc:
        b["rpc"] += "\n\n" + conc
    if gen:
        gl = ["| generator output | .rs files | lines |", "|---|---:|---:|"]
        for r in gen:
            gl.append(f"| {r['generator']} | {r['files']} | {int(r['lines']):,} |")
        b["gen_lines"] = "\n".join(gl)
    return b


def markdown(out, md_path):
    b = blocks(out)
    text = open(md_path).read()
    missing = []
    for name, body in b.items():
        pat = re.compile(rf"(<!-- BEGIN GENERATED {name} [^>]*-->\n).*?(<!-- END GENERATED {name} -->)", re.S)
        if not pat.search(text):
            missing.append(name)
            continue
        text = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    with open(md_path, "w") as f:
        f.write(text)
    if missing:
        print(f"report.py: no marker for {', '.join(missing)} in {md_path}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "summary":
        sys.stdout.write(summary(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "markdown":
        markdown(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
