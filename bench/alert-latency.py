#!/usr/bin/env python3
"""End-to-end emergency alert latency, measured from outside Kapok (bench/alert-latency.sh).

From the moment the HTTP POST of an alert is sent to the first attention-signal sample heard
on a channel's UDP MPEG-TS output, decoded live by an independent ffmpeg
(`ffmpeg -i udp://… -f s16le -`); and from the POST of its Cancel to the last such sample.

Two phases on a fresh data directory:
  1. all-in-one: `kapok serve` with its demo TV (720p25) and radio channels sent to UDP as
     well (`KAPOK_CHANNEL_OUTPUTS`); a city-wide alert (510400) reaches both, so each run
     measures both outputs from one POST.
  2. remote node: a radio channel of 米易 (510421) aired by `kapok playout --channel` on this
     host against that server's API, alerted for 510421 only (the city's channels stay out).

The attention signal is the 853 Hz + 960 Hz sum; a 40 ms window (10 ms hop, PCM at 8 kHz)
in which each tone holds > 20 % of the energy (Goertzel) counts as signal. Three onset figures:
  - first sample: when ffmpeg handed over the first sample of the signal (the first 10 ms
    sub-window of the first signal window that holds both tones) — the issue's measure;
  - window: when the PCM completing that first 40 ms window came (the first figures' measure;
    it adds the wait for the rest of the window, up to a whole radio burst);
  - paced receiver: when a receiver playing the stream at its sample rate from the smallest
    fixed delay that never ran dry in the 3 s before the POST would play that first sample
    (a set-top box or IP speaker paces by the stream's timestamps: data sent early is held).
All include ffmpeg's demux and decode. Pure Python: no numpy. `--cpu-seconds` first measures
the CPU of `kapok serve` with its channels on air (/proc, user + sys).
"""

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone

RATE = 8000
WINDOW = 320  # 40 ms
HOP = 80  # 10 ms
SUB = 80  # 10 ms: where in the first window the signal begins
TZ = timezone(timedelta(hours=8))


def share(x, freq):
    """Goertzel: share of the window's energy at `freq` (1.0 for a pure tone)."""
    w = 2.0 * math.pi * freq / RATE
    c = 2.0 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - c * s1 * s2
    total = sum(v * v for v in x) * len(x) / 2.0
    return power / total if total > 0 else 0.0


class Listener:
    """ffmpeg decoding one UDP output live; notes when attention windows complete."""

    def __init__(self, name, port):
        self.name, self.port = name, port
        self.lock = threading.Lock()
        self.hits = []  # monotonic times of windows with the signal
        self.onsets = []  # (window time, time of the signal's first sample, its number) at each onset
        self.lateness = []  # (time, arrival less stream position) of each chunk
        self.samples = 0
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-fflags", "nobuffer", "-flags", "low_delay",
               "-probesize", "500000", "-analyzeduration", "1000000",
               "-i", f"udp://127.0.0.1:{port}?fifo_size=1000000&overrun_nonfatal=1",
               "-vn", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-flush_packets", "1", "-"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, bufsize=0)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = []  # the samples not yet judged, from sample number `start`
        start = 0
        arrived = []  # (number of samples decoded so far, monotonic time they came)
        was_hit = False
        while True:
            data = self.proc.stdout.read(640)
            if not data:
                return
            now = time.monotonic()
            n = len(data) // 2
            buf.extend(int.from_bytes(data[2 * i:2 * i + 2], "little", signed=True) / 32768.0 for i in range(n))
            with self.lock:
                # A receiver that plays the stream at its sample rate from a fixed delay needs
                # that delay to be at least each chunk's lateness (its first sample's arrival
                # less its place in the stream): kept per second, for `paced_onset`.
                late = now - self.samples / RATE
                self.lateness.append((now, late))
                del self.lateness[:-2000]
                self.samples += n
                arrived.append((self.samples, now))
                del arrived[:-400]
            while len(buf) >= WINDOW:
                w = buf[:WINDOW]
                hit = share(w, 853.0) > 0.2 and share(w, 960.0) > 0.2
                if hit and not was_hit:
                    # The first sample of the signal: the first 10 ms sub-window of this window
                    # that holds it; its time is when ffmpeg handed that sample over.
                    first = next((k for k in range(0, WINDOW - SUB + 1, SUB // 2)
                                  if share(w[k:k + SUB], 853.0) > 0.2 and share(w[k:k + SUB], 960.0) > 0.2), 0)
                    sample = start + first
                    came = next((t for count, t in arrived if count > sample), now)
                    with self.lock:
                        self.onsets.append((now, came, sample))
                if hit:
                    with self.lock:
                        self.hits.append(now)
                was_hit = hit
                del buf[:HOP]
                start += HOP

    def first_hit_after(self, t0):
        with self.lock:
            return next((t for t in self.hits if t >= t0), None)

    def first_sample_after(self, t0):
        """When ffmpeg handed over the first sample of the signal that began after `t0`."""
        with self.lock:
            return next((came for window, came, _ in self.onsets if window >= t0), None)

    def paced_onset(self, t0):
        """When a receiver pacing the stream by its timestamps (a set-top box, an IP speaker)
        would play the first sample of the signal that began after `t0`: at its place in the
        stream plus the smallest fixed delay that never ran dry in the 3 s before `t0`."""
        with self.lock:
            sample = next((n for window, _, n in self.onsets if window >= t0), None)
            late = [l for t, l in self.lateness if t0 - 3.0 <= t < t0]
        if sample is None or not late:
            return None
        return sample / RATE + max(late)

    def last_hit(self):
        with self.lock:
            return self.hits[-1] if self.hits else None

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def healthy(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def alert_doc(ident, code, desc):
    now = datetime.now(TZ)
    return {"id": ident, "sender": f"bench@{code}", "sent": fmt(now), "status": "Actual", "msg_type": "Alert",
            "severity": "Severe", "urgency": "Immediate", "certainty": "Observed", "event": "暴雨",
            "headline": f"{desc}暴雨橙色预警", "description": "基准测试：端到端延迟。",
            "areas": [{"desc": desc, "codes": [code]}], "effective": fmt(now),
            "expires": fmt(now + timedelta(hours=1)), "resources": [], "language": "zh-CN"}


def cancel_doc(alert):
    c = dict(alert)
    c["id"] = alert["id"] + "-CANCEL"
    c["msg_type"] = "Cancel"
    c["sent"] = fmt(datetime.now(TZ) + timedelta(seconds=1))
    c["references"] = [{"sender": alert["sender"], "identifier": alert["id"], "sent": alert["sent"]}]
    return c


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def run_case(api, token, listeners, code, desc, runs, tag):
    """`runs` alerts (each cancelled after it is heard); per listener the onset and end figures."""
    figures = {l.name: {"onset": [], "window": [], "paced": [], "gone": []} for l in listeners}
    for i in range(runs):
        alert = alert_doc(f"BENCH-{tag}-{os.getpid()}-{i}", code, desc)
        wall = datetime.now(timezone.utc).strftime("%H:%M:%S.%f")  # to match the logs
        sent = time.monotonic()
        status, receipt = http("POST", f"{api}/api/alerts", token, alert)
        answered = time.monotonic() - sent
        if status != 202:
            raise SystemExit(f"alert refused: {status} {receipt}")
        wait_for("the attention signal on every output",
                 lambda: all(l.first_hit_after(sent) for l in listeners), 30)
        time.sleep(1.0)  # the signal sounds 8 s: cancel well inside it
        cancelled = time.monotonic()
        status, body = http("POST", f"{api}/api/alerts", token, cancel_doc(alert))
        if status != 202:
            raise SystemExit(f"cancel refused: {status} {body}")
        # Gone: nothing more for 1.5 s.
        wait_for("the signal to stop", lambda: all(
            time.monotonic() - max(l.last_hit() or 0, cancelled) > 1.5 for l in listeners), 30)
        line = [f"run {i + 1}: POST at {wall} answered in {answered:.3f} s, channels {receipt.get('channels')}"]
        for l in listeners:
            window = l.first_hit_after(sent) - sent
            onset = (l.first_sample_after(sent) or l.first_hit_after(sent)) - sent
            gone = max((l.last_hit() or cancelled) - cancelled, 0.0)
            figures[l.name]["onset"].append(onset)
            paced = (l.paced_onset(sent) or math.nan) - sent
            figures[l.name]["window"].append(window)
            figures[l.name]["paced"].append(paced)
            figures[l.name]["gone"].append(gone)
            line.append(f"{l.name} onset {onset:.3f} s (40 ms window done {window:.3f} s, paced receiver "
                        f"{paced:.3f} s), gone {gone:.3f} s")
        print("ALERT-E2E " + "; ".join(line), flush=True)
        time.sleep(2.0)  # the channel back on its programme
    return figures


def cpu_of_serve(pid, seconds):
    """The CPU `kapok serve` uses with its demo channels on air (user + sys of the process)."""
    def used():
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    time.sleep(5.0)  # past start-up
    c0, t0 = used(), time.monotonic()
    time.sleep(seconds)
    c1, t1 = used(), time.monotonic()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"CPU of kapok serve (TV 720p25 + radio on air): {100 * (c1 - c0) / (t1 - t0):.1f} % of one core "
          f"over {t1 - t0:.0f} s (load average {load})", flush=True)


def summary(values):
    v = sorted(values)
    n = len(v)
    median = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return f"median {median:.3f} s ({v[0]:.3f}–{v[-1]:.3f}, n={n})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kapok", required=True, help="the kapok binary")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cases", default="serve,node", help="serve, node or both")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--cpu-seconds", type=float, default=0,
                    help="first measure the CPU of `kapok serve` with its channels on air for this long")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="kapok-alert-e2e-")
    data, node_data = os.path.join(work, "data"), os.path.join(work, "node")
    password = "基准-测试-2026-kapok"
    api_port = free_port()
    api = f"http://127.0.0.1:{api_port}"
    tv_port, radio_port, node_port = (free_port(socket.SOCK_DGRAM) for _ in range(3))
    env = dict(os.environ, KAPOK_DATA=data, KAPOK_ADMIN_PASSWORD=password, KAPOK_LISTEN=f"127.0.0.1:{api_port}",
               KAPOK_CHANNEL_OUTPUTS=f"pzh-demo-tv=udp://127.0.0.1:{tv_port},"
                                     f"pzh-demo-radio=udp://127.0.0.1:{radio_port}",
               RUST_LOG=os.environ.get("RUST_LOG", "warn"))
    children, listeners = [], []

    def cleanup(*_):
        for l in listeners:
            l.stop()
        for c in children:
            c.send_signal(signal.SIGTERM)
        for c in children:
            try:
                c.wait(timeout=20)
            except subprocess.TimeoutExpired:
                c.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        serve_log = open(os.path.join(work, "serve.log"), "w")
        # Listeners first: ffmpeg must be bound before the outputs start.
        tv, radio = Listener("serve tv 720p25", tv_port), Listener("serve radio", radio_port)
        listeners += [tv, radio]
        children.append(subprocess.Popen([args.kapok, "serve"], env=env, stdout=serve_log, stderr=serve_log))
        cli = lambda *a, stdin="": subprocess.run([args.kapok, *a], env=env, input=stdin.encode(),
                                                 capture_output=True, check=True).stdout
        wait_for("the API", lambda: healthy(f"{api}/healthz"), 60)
        token = json.loads(cli("token", "create", "--user", "admin", "--name", "bench"))["token"]
        print("first run: the demo channels are made, then on air …", flush=True)
        wait_for("both serve channels on UDP", lambda: tv.samples > RATE * 3 and radio.samples > RATE * 3, 600)
        if args.cpu_seconds:
            cpu_of_serve(children[0].pid, args.cpu_seconds)
        results = {}
        if "serve" in args.cases:
            results.update(run_case(api, token, [tv, radio], "510400", "攀枝花市", args.runs, "SERVE"))
        if "node" in args.cases:
            cli("user", "add", "node-510421", "--role", "playout_node", "--centre", "510421",
                stdin=password + "\n")
            node_token = json.loads(cli("token", "create", "--user", "node-510421", "--name", "bench"))["token"]
            status, ch = http("POST", f"{api}/api/channels", token, {
                "centre": "510421", "slug": "bench-node-radio", "name": "米易节点广播", "kind": "radio",
                "format": {"sample_rate": 48000, "channels": 2}})
            if status != 201:
                raise SystemExit(f"channel not made: {status} {ch}")
            node = Listener("remote node radio", node_port)
            listeners.append(node)
            node_log = open(os.path.join(work, "node.log"), "w")
            children.append(subprocess.Popen(
                [args.kapok, "playout", "--channel", "bench-node-radio", "--api", api,
                 "--output", f"udp://127.0.0.1:{node_port}"],
                env=dict(env, KAPOK_TOKEN=node_token, KAPOK_DATA=node_data, RUST_LOG="info"),
                stdout=node_log, stderr=node_log))
            wait_for("the node on UDP", lambda: node.samples > RATE * 3, 120)
            wait_for("the node's alert stream", lambda: "alerts pushed by the server" in
                     open(os.path.join(work, "node.log"), errors="replace").read(), 60)
            results.update(run_case(api, token, [node], "510421", "米易县", args.runs, "NODE"))
        print()
        print("| case | POST → first attention sample decoded from the UDP output | POST → first 40 ms window "
              "of the signal decoded | POST → first sample played by a receiver pacing the stream | "
              "Cancel POST → last attention sample |")
        print("|---|---|---|---|---|")
        for name, f in results.items():
            print(f"| {name} | {summary(f['onset'])} | {summary(f['window'])} | {summary(f['paced'])} | "
                  f"{summary(f['gone'])} |")
        if args.keep:
            print(f"logs and data kept in {work}")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
