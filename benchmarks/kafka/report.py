#!/usr/bin/env python3
"""Prints the broker benchmark's tables from the RESULT lines of one run (benchmarks/kafka/run.sh).
usage: report.py RESULTS_FILE [PEERS_README]"""
import re
import shlex
import sys


def parse(path):
    rows = []
    for line in open(path):
        if not line.startswith("RESULT "):
            continue
        d = {}
        for tok in shlex.split(line[7:].strip()):
            if "=" in tok:
                k, v = tok.split("=", 1)
                d[k] = v
        rows.append(d)
    return rows


def f(x, nd=0):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    return f"{x:,.{nd}f}"


def num(d, k):
    try:
        return float(d[k])
    except (KeyError, ValueError):
        return float("nan")


def recorded(readme):
    """The README's table of figures measured earlier: {(label, size, batch): (rps, p50, p99)}."""
    out = {}
    try:
        text = open(readme).read()
    except OSError:
        return out
    cols = [(100, 1), (100, 16), (100, 256), (1024, 1), (1024, 16), (1024, 256)]
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 7 or not re.match(r"^[\d,]+ \(", cells[1]):
            continue
        for (size, batch), cell in zip(cols, cells[1:]):
            m = re.match(r"([\d,]+) \(([\d.]+)/([\d.]+)\)", cell)
            if m:
                out[(cells[0], size, batch)] = (float(m.group(1).replace(",", "")), float(m.group(2)), float(m.group(3)))
    return out


def main():
    rows = parse(sys.argv[1])
    readme = sys.argv[2] if len(sys.argv) > 2 else None
    targets = []

    mx = {int(r["size"]): r for r in rows if r.get("mode") == "max"}
    half = {int(r["size"]): r for r in rows if r.get("mode") == "paced"}
    if mx:
        print("Produce, librdkafka 2.0.2, acks=all, linger.ms=5, one producer, one partition, fsync before ack")
        print(f"{'record':<8}{'load':<22}{'rec/s':>12}{'MB/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}   runs rec/s")
        for size in sorted(mx):
            for label, r in (("max (closed loop)", mx[size]), ("half of max (paced)", half.get(size))):
                if r is None:
                    continue
                lab = label if label.startswith("max") else f"half: {f(r['target_rate'])}/s"
                print(f"{str(size) + ' B':<8}{lab:<22}{f(r['recs_per_s']):>12}{f(r['MBps'], 1):>9}{f(r['p50_ms'], 2):>9}"
                      f"{f(r['p99_ms'], 2):>9}{f(r['p999_ms'], 2):>10}   {r.get('runs_recs_per_s', '')}")
        for size in sorted(mx):
            rb = [r for r in rows if r.get("peer") == "raw-file" and int(r["size"]) == size and int(r["batch"]) >= 500]
            if rb:
                r = rb[0]
                print(f"{str(size) + ' B':<8}{'raw ~1 MiB writes':<22}{f(r['recs_per_s']):>12}{f(r['MBps'], 1):>9}{f(r['p50_ms'], 2):>9}"
                      f"{f(r['p99_ms'], 2):>9}{f(r['p999_ms'], 2):>10}   weir max / raw {f(num(mx[size], 'recs_per_s') / num(r, 'recs_per_s'), 2)}")
        print(f"(max: at most {int(mx[min(mx)].get('maxqueue_kbytes', 0)) // 1024} MiB of records queued or in flight in the client; latency = produce() call, "
              "or scheduled send time when paced, to delivery report)")
        print()
        if 100 in mx:
            targets.append(("100 B records acknowledged durably", ">= 500,000/s", f"{f(mx[100]['recs_per_s'])}/s",
                            num(mx[100], "recs_per_s") >= 500000))
        if 1024 in mx:
            targets.append(("1 KiB records acknowledged durably", ">= 200 MB/s", f"{f(mx[1024]['MBps'], 1)} MB/s",
                            num(mx[1024], "MBps") >= 200))
        for size in sorted(half):
            targets.append((f"p99 at half the maximum rate, {size} B", "< 10 ms", f"{f(half[size]['p99_ms'], 2)} ms",
                            num(half[size], "p99_ms") < 10))

    cons = [r for r in rows if r.get("mode") == "consume"]
    if cons:
        print("Consume from page cache, librdkafka 2.0.2 (legacy consumer, one partition, from the beginning, repeated passes)")
        for r in cons:
            print(f"  {r['size']:>5} B records: {f(r['recs_per_s'])} rec/s  {f(num(r, 'MBps') / 1000, 2)} GB/s payload"
                  f"  (log {f(r['log_MB'])} MB, {r['passes']} passes)")
        for r in rows:
            if r.get("mode") == "consume-raw":
                print(f"  minimal raw Fetch v4 client (rawfetch.py), {r['topic']}: {f(num(r, 'MBps') / 1000, 2)} GB/s of record batches"
                      f"  ({r['MB_per_response']} MB per response)")
        # CPU per GB served (broker) and read (client), from the same runs: the rate on a shared machine follows the
        # CPU share left by other sessions; CPU seconds per GB do not, and bound the rate on two free cores.
        for client, label, key in (("consume", "librdkafka consumer", "mode"), ("consume-raw", "minimal Fetch client", "mode")):
            for size in ("1024", "100"):
                run = [r for r in rows if r.get("mode") == client and (r.get("size") == size or client == "consume-raw" and size == "1024")]
                bcpu = [r for r in rows if r.get("mode") == "broker-cpu" and r.get("client") == client and r.get("size") == size]
                ccpu = [r for r in rows if r.get("mode") == "client-cpu" and r.get("client") == client and r.get("size") == size]
                if not (run and bcpu and ccpu):
                    continue
                gb = num(run[0], "MBps") * 3 / 1000  # every consume pass runs 3 s
                if gb <= 0:
                    continue
                b, c = num(bcpu[0], "broker_cpu_s") / gb, num(ccpu[0], "client_cpu_s") / gb
                print(f"  CPU per GB, {label}, {size} B: broker {f(b, 2)} s, client {f(c, 2)} s"
                      f"  (two free cores would allow ~{f(min(1 / b, 1 / c, 2 / (b + c)), 1)} GB/s)")
        print()
        big = [r for r in cons if r["size"] == "1024"]
        if big:
            targets.append(("consume from page cache (1 KiB records), librdkafka consumer", ">= 1 GB/s", f"{f(num(big[0], 'MBps') / 1000, 2)} GB/s",
                            num(big[0], "MBps") >= 1000))
        for r in rows:
            if r.get("mode") == "consume-raw":
                targets.append(("consume from page cache (1 KiB records), minimal Fetch client", ">= 1 GB/s",
                                f"{f(num(r, 'MBps') / 1000, 2)} GB/s", num(r, "MBps") >= 1000))

    for r in rows:
        if r.get("mode") == "conns":
            print(f"Broker memory at {r['partitions']} partitions and {r['established_conns']} established connections "
                  f"({r['producers']} librdkafka producers, 1 KiB records to every partition, {f(r['records_acked'])} acknowledged):")
            print(f"  VmRSS {r['rss_MiB']} MiB   VmHWM (peak) {r['hwm_MiB']} MiB   (idle broker before: VmRSS {r['rss_before_MiB']} MiB)")
            print()
            targets.append((f"broker RSS, {r['partitions']} partitions + {r['established_conns']} connections", "< 300 MiB",
                            f"{r['rss_MiB']} MiB (peak {r['hwm_MiB']})", num(r, "hwm_MiB") < 300))

    weir = {(int(r["size"]), int(r["batch"])): r for r in rows if r.get("peer") == "weir"}
    raw = {(int(r["size"]), int(r["batch"])): r for r in rows if r.get("peer") == "raw-file" and int(r["batch"]) < 500}
    peers = [r for r in rows if r.get("peer") not in (None, "weir", "raw-file") and "batch" in r and "size" in r
             and r.get("client") not in ("pgbench", "redis-benchmark")]
    if weir:
        print("Peers' shape: one producer, one connection, a batch = one request, the next sent when it is acknowledged;")
        print("3 runs of 1.5 s after 0.5 s warm-up, median. Weir: librdkafka, acks=all, fsync before ack, single node.")
        print(f"{'record':<8}{'batch':>6}{'weir rec/s':>12}{'p50 ms':>8}{'p99 ms':>8}{'raw rec/s':>12}{'weir/raw':>9}")
        for k in sorted(weir):
            w, rw = weir[k], raw.get(k)
            ratio = num(w, "recs_per_s") / num(rw, "recs_per_s") if rw else float("nan")
            print(f"{str(k[0]) + ' B':<8}{k[1]:>6}{f(w['recs_per_s']):>12}{f(w['p50_ms'], 2):>8}{f(w['p99_ms'], 2):>8}"
                  f"{f(rw['recs_per_s']) if rw else '-':>12}{f(ratio, 2):>9}")
        print("(raw: pwrite of a batch-sized buffer + fdatasync, one after another, same disk, same run)")
        print()
        measured_labels = []
        if peers:
            print("Peers measured in this run (records/s, p50/p99 ms) and Weir's ratio (weir rec/s / peer rec/s):")
            groups = {}
            for r in peers:
                groups.setdefault((r["peer"], r["level"], r.get("client", "")), {})[(int(r["size"]), int(r["batch"]))] = r
            for (peer, level, client), cells in groups.items():
                measured_labels.append(peer.split("-")[0])
                print(f"  {peer} {level} ({client})")
                for k in sorted(cells):
                    r = cells[k]
                    w = weir.get(k)
                    ratio = num(w, "recs_per_s") / num(r, "recs_per_s") if w else float("nan")
                    print(f"    {str(k[0]) + ' B':<7} x{k[1]:<4} {f(r['recs_per_s']):>10} ({f(r['p50_ms'], 2)}/{f(r['p99_ms'], 2)})"
                          f"   weir/peer {f(ratio, 2)}")
            print()
        rec = recorded(readme) if readme else {}
        shown = {lab for (lab, _, _) in rec if not any(lab.lower().startswith(m) for m in measured_labels)}
        if shown:
            print(f"Peers NOT measured in this run: figures RECORDED earlier in {readme} (not this run), and Weir's ratio to them:")
            for lab in sorted(shown):
                print(f"  {lab} [recorded]")
                for k in sorted(weir):
                    if (lab, *k) in rec:
                        rps, p50, p99 = rec[(lab, *k)]
                        print(f"    {str(k[0]) + ' B':<7} x{k[1]:<4} {f(rps):>10} ({p50:.2f}/{p99:.2f})   weir/peer {f(num(weir[k], 'recs_per_s') / rps, 2)}")
            print()

    if targets:
        print("Targets (issue 4, item 7):")
        for name, want, got, ok in targets:
            print(f"  {'MET   ' if ok else 'MISSED'} {name}: {got} (target {want})")


if __name__ == "__main__":
    main()
