#!/usr/bin/env python3
"""Minimal Kafka Fetch v4 client: reads partition 0 of a topic from offset 0 to the high watermark, again and
again, one request in flight, 8 MiB per response; prints payload-agnostic wire throughput (record batches
bytes/s). Shows what the broker serves from page cache without a full client library in the way.
usage: rawfetch.py PORT TOPIC SECONDS MAX_BYTES"""
import socket, struct, sys, time
port, topic, secs, maxb = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3]), int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4<<20)
def req(corr, off):
    body = struct.pack(">hhih", 1, 4, corr, 4) + b"test" + struct.pack(">iiiib", -1, 100, 1, maxb, 0)
    body += struct.pack(">ih", 1, len(topic)) + topic + struct.pack(">iiqi", 1, 0, off, maxb)
    return struct.pack(">i", len(body)) + body
buf = bytearray(maxb + (1<<20)); mv = memoryview(buf)
def recvn(n):
    got = 0
    while got < n:
        k = s.recv_into(mv[got:n]); 
        if k == 0: raise EOFError
        got += k
    return mv[:n]
off, total, t0, n = 0, 0, time.perf_counter(), 0
while time.perf_counter() - t0 < secs:
    s.sendall(req(n, off)); n += 1
    ln = struct.unpack(">i", bytes(recvn(4)))[0]
    r = recvn(ln)
    # corr(4) throttle(4) arr(4) topic str, parr(4) part(4) err(2) hw(8) lso(8) aborted(4) records(4)
    p = 12; tl = struct.unpack(">h", r[p:p+2])[0]; p += 2 + tl + 4
    part, err, hw, lso, ab = struct.unpack(">ihqqi", r[p:p+26]); p += 26
    if ab > 0: p += 16*ab
    rl = struct.unpack(">i", r[p:p+4])[0]; p += 4
    if err: raise SystemExit(f"error {err}")
    end = p + rl; last = None
    while p + 61 <= end:
        base, blen = struct.unpack(">qi", r[p:p+12])
        if p + 12 + blen > end: break
        lod = struct.unpack(">i", r[p+23:p+27])[0]
        last = base + lod; p += 12 + blen
    total += rl
    off = last + 1 if last is not None else off
    if off >= hw: off = 0
el = time.perf_counter() - t0
print(f"RESULT mode=consume-raw topic={topic.decode()} requests={n} MBps={total / el / 1e6:.1f} MB_per_response={total / n / 1e6:.1f}")
