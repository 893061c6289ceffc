#!/usr/bin/env python3
"""Measures alert -> first attention-signal sample on a channel's UDP output, for the EBD
route (POST /api/ebd, a signed package built by tests/sim/ebd_platform.py) and the JSON route
(POST /api/alerts), alternating A B B A; run by bench/ebd-latency.sh, which starts the server
with its demo radio channel also on UDP. One line per measurement, then a summary and the ratio EBD / JSON.

The onset is the arrival time of the first UDP datagram after which the received MPEG-TS,
decoded by FFmpeg, holds a 40 ms window of the attention signal (853 + 960 Hz each above 20 %
of the window's energy): found by bisection over the datagrams received after the POST began.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "sim"))
import ebd_platform as sim  # noqa: E402

RATE = 16000
WIN = RATE // 25  # 40 ms


def args_of(argv):
    it = iter(argv)
    return {a[2:].replace("-", "_"): next(it) for a in it}


class Udp:
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", port))
        self.grams, self.lock = [], threading.Lock()
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            data = self.sock.recv(65536)
            with self.lock:
                self.grams.append((time.monotonic(), data))

    def since(self, t):
        with self.lock:
            return [g for g in self.grams if g[0] >= t]


def pcm(ts):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "w.ts")
        with open(path, "wb") as f:
            f.write(ts)
        out = subprocess.run(["ffmpeg", "-v", "quiet", "-f", "mpegts", "-i", path, "-vn", "-ac", "1",
                              "-ar", str(RATE), "-f", "f32le", "-"], capture_output=True, check=False).stdout
    import array
    a = array.array("f")
    a.frombytes(out[: len(out) // 4 * 4])
    return a


def has_attention(ts):
    x = pcm(ts)
    sim.RATE = RATE
    for i in range(0, len(x) - WIN + 1, WIN // 2):
        w = x[i:i + WIN]
        if sim.tone_share(w, 853) > 0.2 and sim.tone_share(w, 960) > 0.2:
            return True
    return False


def onset(grams, t0):
    """Seconds from t0 to the datagram that completes the first attention window, or None."""
    if not grams or not has_attention(b"".join(g[1] for g in grams)):
        return None
    lo, hi = 0, len(grams) - 1  # the smallest prefix [0..hi] that holds the signal
    while lo < hi:
        mid = (lo + hi) // 2
        if has_attention(b"".join(g[1] for g in grams[: mid + 1])):
            hi = mid
        else:
            lo = mid + 1
    return grams[hi][0] - t0


def post(url, body, headers):
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def beijing(delta_s=0):
    return (datetime.now(sim.BEIJING) + timedelta(seconds=delta_s)).strftime("%Y-%m-%dT%H:%M:%S+08:00")


def main(a):
    base, token, runs = a["base"], a["token"], int(a["runs"])
    gap = float(a.get("gap", 4))
    keys = sim.Keys(a["private"], a["kapok_public"])
    udp = Udp(int(a["udp"]))
    end = time.time() + 180
    while time.time() < end and len(udp.since(time.monotonic() - 1)) < 10:
        time.sleep(0.5)
    if not udp.since(time.monotonic() - 1):
        print("the channel's UDP output never started", file=sys.stderr)
        return 1
    time.sleep(5)
    stamp = int(time.time()) % 100000
    ebm_base = "34510421000000000000001" + datetime.now(sim.BEIJING).strftime("%Y%m%d")

    def ebd(i):
        eid = ebm_base + str((stamp + i) % 10000).zfill(4)
        _, tar = sim.package(keys, "EBM", sim.ebm_payload(eid, severity="1"))
        form = sim.post  # multipart as the platform sends it
        t0 = time.monotonic()
        status, answer = form(base + "/api/ebd", "EBDT.tar", tar)
        reply, _ = sim.read_package(keys, answer)
        ok = status == 200 and reply.findtext("EBDResponse/ResultCode") == "1"

        def cancel():
            _, c = sim.package(keys, "EBM", sim.ebm_payload(eid, msg_type="2"))
            sim.post(base + "/api/ebd", "EBDT.tar", c)
        return t0, time.monotonic() - t0, ok, cancel

    def js(i):
        ident = f"BENCH-JSON-{stamp}-{i}"
        doc = {"id": ident, "sender": "bench@510400", "sent": beijing(), "status": "Actual", "msg_type": "Alert",
               "severity": "Extreme", "urgency": "Immediate", "certainty": "Observed", "event": "暴雨",
               "headline": "攀枝花市暴雨红色预警", "description": "攀枝花市气象台发布暴雨预警，请注意防范。",
               "areas": [{"desc": "攀枝花市", "codes": ["510400"]}], "expires": beijing(3600), "language": "zh-CN"}
        hdr = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        t0 = time.monotonic()
        status, _ = post(base + "/api/alerts", json.dumps(doc).encode(), hdr)
        took = time.monotonic() - t0

        def cancel():
            c = dict(doc, id=ident + "-cancel", msg_type="Cancel", sent=beijing(),
                     references=[{"sender": doc["sender"], "identifier": ident, "sent": doc["sent"]}])
            post(base + "/api/alerts", json.dumps(c).encode(), hdr)
        return t0, took, status == 202, cancel

    results = {"ebd": [], "json": []}
    order = []
    for i in range(runs):
        order += [("json", "ebd"), ("ebd", "json")][i % 2]
    for n, route in enumerate(order):
        t0, took, ok, cancel = (ebd if route == "ebd" else js)(n)
        time.sleep(5)
        on = onset(udp.since(t0), t0) if ok else None
        results[route].append(on)
        print(f"EBD-LATENCY {route}: post {took:.3f} s; first attention sample on UDP "
              f"{'%.3f s' % on if on is not None else 'NOT FOUND'}", flush=True)
        cancel()
        time.sleep(gap)

    def summary(v):
        found = sorted(x for x in v if x is not None)
        if not found:
            return "no data", None
        med = statistics.median(found)
        return f"median {med:.3f} s (min {found[0]:.3f}, max {found[-1]:.3f}, n={len(found)} of {len(v)})", med

    e, em = summary(results["ebd"])
    j, jm = summary(results["json"])
    print(f"\nPOST /api/ebd   -> attention on UDP: {e}")
    print(f"POST /api/alerts -> attention on UDP: {j}")
    if em and jm:
        print(f"ratio EBD / JSON (medians): {em / jm:.2f}")
    return 0 if all(x is not None for v in results.values() for x in v) else 1


if __name__ == "__main__":
    sys.exit(main(args_of(sys.argv[1:])))
