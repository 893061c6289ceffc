#!/usr/bin/env python3
"""An independent upper emergency-broadcast platform (应急广播平台) simulator.

Written from the protocol's description (issue 17: EBD packages as tar in multipart/form-data
part `file`, EBDB/EBDS files, SM2 with SM3 signatures, EBDResponse codes, ConnectionCheck,
EBRBSInfo/State, EBMStateResponse, EBMBrdLog), not from Kapok's code. Python standard library
plus `gmssl` (SM2/SM3) from PyPI.

    ebd_platform.py keygen                       -> {"private": HEX, "public": HEX}
    ebd_platform.py pack --private HEX --cert-sn SN --out FILE [--tamper yes]
                                                 -> one signed EBM package (severity 2, 510400, MP3)
    ebd_platform.py run --kapok URL --kapok-public HEX --private HEX --listen PORT \
        --token TOKEN [--channels SLUG,SLUG] [--drill-channels SLUG,...] [--down-seconds N] CASE...

`run` listens on 127.0.0.1:PORT for Kapok's packages (verifying each signature with Kapok's
public key), runs each CASE against Kapok's POST /api/ebd, prints one JSON line per case
({"case", "ok", "detail"}) and exits 0 only when every case passed.

What aired is checked from outside the protocol too: the channels' HLS previews are recorded
and decoded by FFmpeg (the attention signal's 853 + 960 Hz, then the message's own MP3 — a
1.5 kHz tone the simulator makes with FFmpeg), and the alert's history is read from Kapok's
API (`GET /api/alerts/{key}` with the API token).
"""
import array
import base64
import io
import json
import math
import os
import subprocess
import tempfile
import sys
import tarfile
import threading
import time
import uuid
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gmssl import func, sm2, sm3

PLATFORM_EBRID = "24510400000000000000001"
CERT_SN = "5A5A0001"
BEIJING = timezone(timedelta(hours=8))


def now_text(delta_s=0):
    return (datetime.now(BEIJING) + timedelta(seconds=delta_s)).strftime("%Y-%m-%d %H:%M:%S")


def keygen():
    private = func.random_hex(64)
    c = sm2.CryptSM2(private_key=private, public_key="")
    public = c._kg(int(private, 16), sm2.default_ecc_table["g"])
    return {"private": private, "public": "04" + public}


class Keys:
    def __init__(self, private, kapok_public):
        pub = keygen_public(private)
        self.me = sm2.CryptSM2(private_key=private, public_key=pub)
        kp = kapok_public[2:] if kapok_public.startswith("04") and len(kapok_public) == 130 else kapok_public
        self.kapok = sm2.CryptSM2(private_key="", public_key=kp)

    def sign(self, data):
        return base64.b64encode(bytes.fromhex(self.me.sign_with_sm3(data, func.random_hex(64)))).decode()

    def verify_kapok(self, data, value_b64):
        raw = base64.b64decode(value_b64)
        return len(raw) == 64 and self.kapok.verify_with_sm3(raw.hex(), data)


def keygen_public(private):
    c = sm2.CryptSM2(private_key=private, public_key="")
    return c._kg(int(private, 16), sm2.default_ecc_table["g"])


_seq = [int(time.time() * 1000) % 10**12]


def new_ebd_id():
    _seq[0] += 1
    return "10" + PLATFORM_EBRID + str(_seq[0]).zfill(16)[-16:]


def ebd_xml(ebd_id, ebd_type, payload, related=None):
    rel = f"<RelatedEBD><EBDID>{related}</EBDID></RelatedEBD>" if related else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<EBD><EBDVersion>1.0</EBDVersion><EBDID>{ebd_id}</EBDID>'
            f"<EBDType>{ebd_type}</EBDType><SRC><EBRID>{PLATFORM_EBRID}</EBRID></SRC>"
            f"<DEST><EBRID>34510421000000000000001</EBRID></DEST><EBDTime>{now_text()}</EBDTime>{rel}"
            f"<{ebd_type}>{payload}</{ebd_type}></EBD>").encode()


def signature_xml(keys, ebd_id, data):
    cert_sn = getattr(keys, "cert_sn", CERT_SN)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Signature><Version>1.0</Version><RelatedEBD><EBDID>{ebd_id}'
            f"</EBDID></RelatedEBD><SignatureCert><CertType>1</CertType><IssuerID>0001</IssuerID><CertSN>{cert_sn}"
            f"</CertSN></SignatureCert><SignatureTime>{now_text()}</SignatureTime><DigestAlgorithm>SM3"
            f"</DigestAlgorithm><SignatureAlgorithm>SM2</SignatureAlgorithm><SignatureValue>{keys.sign(data)}"
            f"</SignatureValue></Signature>").encode()


def tar_of(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def package(keys, ebd_type, payload, files=(), related=None, tamper=False, extra=()):
    ebd_id = new_ebd_id()
    data = ebd_xml(ebd_id, ebd_type, payload, related)
    sig = signature_xml(keys, ebd_id, data)
    if tamper:
        data = data.replace(b"<MsgTitle>", b"<MsgTitle>X")
    entries = [(f"EBDB_{ebd_id}.xml", data), (f"EBDS_EBDB_{ebd_id}.xml", sig)] + list(files) + list(extra)
    return ebd_id, tar_of(entries)


def post(url, name, body):
    boundary = uuid.uuid4().hex
    form = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/x-tar\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url, data=form, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def read_package(keys, body):
    """Unpacks a package from Kapok and checks its signature; returns (ebd element, signature ok)."""
    with tarfile.open(fileobj=io.BytesIO(body)) as t:
        files = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    data_name = next(n for n in files if n.startswith("EBDB_"))
    data = files[data_name]
    sig = ET.fromstring(files["EBDS_" + data_name])
    value = sig.findtext(".//SignatureValue")
    return ET.fromstring(data), keys.verify_kapok(data, value)


def reply_code(keys, url, body, name="EBDT.tar"):
    status, answer = post(url, name, body)
    ebd, ok = read_package(keys, answer)
    return status, ebd.findtext("EBDResponse/ResultCode"), ebd.findtext("EBDResponse/ResultDesc"), ok


def ebm_payload(ebm_id, severity="2", msg_type="1", areas="510400000000", aux="", drop=None):
    fields = {"MsgTitle": "<MsgTitle>攀枝花市暴雨橙色预警</MsgTitle>",
              "MsgDesc": "<MsgDesc>攀枝花市气象台发布暴雨预警，请注意防范。</MsgDesc>"}
    if drop:
        fields[drop] = ""
    return (f"<EBMVersion>1</EBMVersion><EBMID>{ebm_id}</EBMID><MsgBasicInfo><MsgType>{msg_type}</MsgType>"
            f"<SenderName>攀枝花市应急广播平台</SenderName><SenderCode>{PLATFORM_EBRID}</SenderCode>"
            f"<SendTime>{now_text()}</SendTime><EventType>11B03</EventType><Severity>{severity}</Severity>"
            f"<StartTime>{now_text()}</StartTime><EndTime>{now_text(3600)}</EndTime></MsgBasicInfo>"
            f"<MsgContent><LanguageCode>zho</LanguageCode>{fields['MsgTitle']}{fields['MsgDesc']}"
            f"<AreaCode>{areas}</AreaCode>{aux}</MsgContent>")


class Listener:
    """Kapok's uploads arrive here; `down_until` makes the platform answer 503."""

    def __init__(self, keys, port):
        self.keys, self.received, self.down_until, self.refused_while_down = keys, [], 0.0, 0
        self.unreadable = []
        lst = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if time.time() < lst.down_until:
                    lst.refused_while_down += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    boundary = self.headers["Content-Type"].split("boundary=")[1].encode()
                    part = body.split(b"--" + boundary)[1]
                    tar = part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
                    ebd, ok = read_package(lst.keys, tar)
                except Exception as e:  # noqa: BLE001 - an unreadable package is refused and noted
                    lst.unreadable.append(f"{type(e).__name__}: {e}")
                    self.send_response(400)
                    self.end_headers()
                    return
                lst.received.append({"type": ebd.findtext("EBDType"), "id": ebd.findtext("EBDID"),
                                     "related": ebd.findtext("RelatedEBD/EBDID"),
                                     "signed": ok, "at": time.time(), "ebd": ebd})
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, pred, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            hits = [r for r in self.received if pred(r)]
            if hits:
                return hits
            time.sleep(0.2)
        return []


def mp3(hz=1500, seconds=4):
    """A real MP3 of a steady tone, made by FFmpeg: what airs must be recognisable."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "tone.mp3")
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency={hz}:duration={seconds}",
                        "-c:a", "libmp3lame", "-b:a", "64k", path], check=True)
        with open(path, "rb") as f:
            return f.read()


class Kapok:
    """Kapok's own API and previews: what actually aired, seen from outside the protocol."""

    def __init__(self, base, token):
        self.base, self.token = base.rstrip("/"), token

    def get(self, path):
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def history(self, key):
        return self.get("/api/alerts/" + urllib.parse.quote(key, safe="")).get("history", [])

    def on_air(self, slug):
        try:
            with urllib.request.urlopen(f"{self.base}/hls/{slug}/index.m3u8", timeout=5) as r:
                return r.status == 200
        except Exception:  # noqa: BLE001 - not yet
            return False

    def record(self, slug, seconds):
        """Every new HLS segment of `slug` for `seconds`, from the newest at the start, as one TS."""
        out, seen, first, until = bytearray(), set(), True, time.time() + seconds
        while time.time() < until:
            try:
                with urllib.request.urlopen(f"{self.base}/hls/{slug}/index.m3u8", timeout=5) as r:
                    segs = [ln for ln in r.read().decode().splitlines() if ln.endswith(".ts")]
                fresh = segs[-1:] if first else [x for x in segs if x not in seen]
                first = False
                for seg in fresh:
                    with urllib.request.urlopen(f"{self.base}/hls/{slug}/{seg}", timeout=5) as r:
                        out += r.read()
                    seen.add(seg)
            except Exception:  # noqa: BLE001 - a segment rotated away: keep recording
                pass
            time.sleep(0.4)
        return bytes(out)


RATE = 8000


def decode(ts):
    """Mono 8 kHz samples of a TS's audio, decoded by FFmpeg."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "rec.ts")
        with open(path, "wb") as f:
            f.write(ts)
        out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vn", "-ac", "1", "-ar", str(RATE),
                              "-f", "f32le", "-"], capture_output=True, check=False).stdout
    a = array.array("f")
    a.frombytes(out[: len(out) // 4 * 4])
    return a


def tone_share(x, hz):
    """The share of a window's energy at `hz` (Goertzel; 1.0 for a pure tone)."""
    n = len(x)
    energy = sum(v * v for v in x)
    if n == 0 or energy <= 0:
        return 0.0
    k = 2 * math.cos(2 * math.pi * hz / RATE)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2 * power / (n * energy)


def attention_end(pcm):
    """Seconds into `pcm` where a run of >= 3 s of the attention signal (853 + 960 Hz) ends."""
    win = RATE // 10
    hits = [tone_share(pcm[i:i + win], 853) > 0.2 and tone_share(pcm[i:i + win], 960) > 0.2
            for i in range(0, len(pcm) - win + 1, win)]
    i = 0
    while i < len(hits):
        if hits[i]:
            j = i
            while j < len(hits) and hits[j]:
                j += 1
            if j - i >= 30:
                return j / 10
            i = j
        i += 1
    return None


def share_at(pcm, start_s, seconds, hz):
    return tone_share(pcm[int(start_s * RATE):int((start_s + seconds) * RATE)], hz)


def run(args):
    keys = Keys(args["private"], args["kapok_public"])
    url = args["kapok"].rstrip("/") + "/api/ebd"
    lst = Listener(keys, int(args["listen"]))
    results = []
    ebm_base = "34510421000000000000001" + datetime.now(BEIJING).strftime("%Y%m%d")
    counter = [int(time.time()) % 9000]

    def ebm_id():
        counter[0] += 1
        return ebm_base + str(counter[0] % 10000).zfill(4)

    def case(name, fn):
        try:
            ok, detail = fn()
        except Exception as e:  # noqa: BLE001 - a case that raises failed
            ok, detail = False, f"{type(e).__name__}: {e}"
        results.append({"case": name, "ok": ok, "detail": detail})
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)

    def state_reports(eid):
        return lambda r: r["type"] == "EBMStateResponse" and r["ebd"].findtext("EBMStateResponse/EBM/EBMID") == eid

    aired = {}
    kapok = Kapok(args["kapok"], args.get("token", ""))
    channels = args.get("channels", "pzh-demo-tv,pzh-demo-radio").split(",")
    drill_channels = [c for c in args.get("drill_channels", "").split(",") if c]
    radio = next((c for c in channels if "radio" in c), channels[-1])

    def states_of(eid):
        return [h["ebd"].findtext("EBMStateResponse/BrdStateCode") for h in lst.received if state_reports(eid)(h)]

    def wait_state(eid, code, timeout=90):
        return lst.wait_for(lambda r: state_reports(eid)(r)
                            and r["ebd"].findtext("EBMStateResponse/BrdStateCode") == code, timeout)

    def aired_on(key, event="on_air"):
        return sorted({e.get("channel") for e in kapok.history(key) if e.get("event") == event and e.get("channel")})

    def on_air_channels():
        end = time.time() + 120
        while time.time() < end and not all(kapok.on_air(c) for c in channels):
            time.sleep(0.5)
        return all(kapok.on_air(c) for c in channels), {"channels": channels}

    def valid_ebm():
        """Severity 2 for the whole city (510400, 12 digits) with an MP3: airs on every channel,
        the MP3 after the attention signal; reported airing (2), then done (3)."""
        eid = ebm_id()
        audio = mp3()
        aux = (f"<Auxiliary><AuxiliaryType>2</AuxiliaryType><AuxiliaryDesc>alert.mp3</AuxiliaryDesc>"
               f"<Size>{len(audio)}</Size><Digest>{sm3.sm3_hash(func.bytes_to_list(audio))}</Digest></Auxiliary>")
        _, tar = package(keys, "EBM", ebm_payload(eid, aux=aux), files=[("alert.mp3", audio)])
        recording = {}
        rec = threading.Thread(target=lambda: recording.update(ts=kapok.record(radio, 24)))
        rec.start()
        time.sleep(1.0)
        status, code, desc, signed = reply_code(keys, url, tar)
        aired["id"] = eid
        rec.join()
        pcm = decode(recording.get("ts", b""))
        end = attention_end(pcm)
        own = share_at(pcm, end + 1.0, 2.0, 1500) if end is not None else 0.0
        done = wait_state(eid, "3", 90)
        states = states_of(eid)
        history = kapok.history("ebm:" + eid)
        notes = [e.get("note") or "" for e in history]
        own_audio = any("the alert's own audio" in n for n in notes)
        on = aired_on("ebm:" + eid)
        ok = (status == 200 and code == "1" and signed and f"on air on {len(channels)} channel" in (desc or "")
              and end is not None and own > 0.5 and "2" in states and bool(done)
              and states.index("2") < states.index("3") and all(h["signed"] for h in done)
              and own_audio and on == sorted(channels))
        return ok, {"code": code, "desc": desc, "reported_states": states, "attention_end_s": end,
                    "mp3_tone_share": round(own, 2), "own_audio_in_history": own_audio, "aired_on": on}

    def cancel():
        """Severity 1 for the city, cancelled (MsgType 2) while on air: off air, reported 5."""
        eid = ebm_id()
        _, tar = package(keys, "EBM", ebm_payload(eid, severity="1"))
        status, code, desc, signed = reply_code(keys, url, tar)
        airing = wait_state(eid, "2", 30)
        _, tar = package(keys, "EBM", ebm_payload(eid, msg_type="2"))
        c_status, c_code, c_desc, c_signed = reply_code(keys, url, tar)
        hits = wait_state(eid, "5", 30)
        aired["cancelled"] = eid
        off = aired_on("ebm:" + eid, "cancelled")
        ok = (status == 200 and code == "1" and bool(airing) and c_status == 200 and c_code == "1" and signed
              and c_signed and bool(hits) and off == sorted(channels))
        return ok, {"code": code, "cancel_code": c_code, "cancel_desc": c_desc, "states": states_of(eid),
                    "cancelled_on": off}

    def test_severity():
        """A test (15): answered 1, airs nowhere."""
        eid = ebm_id()
        _, tar = package(keys, "EBM", ebm_payload(eid, severity="15"))
        status, code, desc, signed = reply_code(keys, url, tar)
        time.sleep(2)
        on = aired_on("ebm:" + eid)
        ok = status == 200 and code == "1" and signed and "on air on 0" in (desc or "") and not on
        return ok, {"code": code, "desc": desc, "aired_on": on}

    def drill():
        """A drill (21): airs only on the channels that allow drills, marked as a drill."""
        eid = ebm_id()
        _, tar = package(keys, "EBM", ebm_payload(eid, severity="21"))
        status, code, desc, signed = reply_code(keys, url, tar)
        done = wait_state(eid, "3", 90)
        on = aired_on("ebm:" + eid)
        marked = []
        for slug in on:
            ch = next((c for c in kapok.get("/api/channels") if c.get("slug") == slug), None)
            text = json.dumps(kapok.get(f"/api/channels/{ch['id']}/as-run"), ensure_ascii=False) if ch else ""
            marked.append("emergency drill (演练)" in text and "【演练】" in text)
        ok = (status == 200 and code == "1" and signed and bool(done) and on == sorted(drill_channels)
              and bool(marked) and all(marked))
        return ok, {"code": code, "desc": desc, "aired_on": on, "drill_channels": drill_channels,
                    "marked_drill_in_as_run": marked}

    def tampered():
        _, tar = package(keys, "EBM", ebm_payload(ebm_id()), tamper=True)
        status, code, desc, signed = reply_code(keys, url, tar)
        return status == 200 and code == "4" and signed, {"code": code, "desc": desc}

    def traversal():
        _, tar = package(keys, "EBM", ebm_payload(ebm_id()), extra=[("../escape.mp3", b"x")])
        status, code, desc, signed = reply_code(keys, url, tar)
        return status == 200 and code == "2" and signed, {"code": code, "desc": desc}

    def huge_entry():
        ebd_id = new_ebd_id()
        data = ebd_xml(ebd_id, "EBM", ebm_payload(ebm_id()))
        body = b""
        # The signed files, then a header claiming 1 GiB followed by a few bytes only.
        for name, content in [(f"EBDB_{ebd_id}.xml", data),
                              (f"EBDS_EBDB_{ebd_id}.xml", signature_xml(keys, ebd_id, data))]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            body += info.tobuf(format=tarfile.USTAR_FORMAT) + content + b"\0" * (-len(content) % 512)
        info = tarfile.TarInfo("big.mp3")
        info.size = 1 << 30
        body += info.tobuf(format=tarfile.USTAR_FORMAT) + b"\0" * 512
        status, code, desc, signed = reply_code(keys, url, body)
        return status == 200 and code == "2" and signed, {"code": code, "desc": desc}

    def missing_field():
        _, tar = package(keys, "EBM", ebm_payload(ebm_id(), drop="MsgTitle"))
        status, code, desc, signed = reply_code(keys, url, tar)
        return status == 200 and code == "3" and signed, {"code": code, "desc": desc}

    def outside_only():
        _, tar = package(keys, "EBM", ebm_payload(ebm_id(), areas="110101000000"))
        status, code, desc, signed = reply_code(keys, url, tar)
        return status == 200 and code == "5" and signed, {"code": code, "desc": desc}

    def heartbeat():
        hits = lst.wait_for(lambda r: r["type"] == "ConnectionCheck", 30)
        info = lst.wait_for(lambda r: r["type"] == "EBRBSInfo", 5)
        state = lst.wait_for(lambda r: r["type"] == "EBRBSState", 5)
        ok = bool(hits and info and state) and all(h["signed"] for h in hits + info + state)
        return ok, {"heartbeats": len(hits), "info": len(info), "state": len(state)}

    def platform_down():
        """The platform down for N s (503 to every post) while Kapok has things to report: an
        EBM airs and ends (states 2 and 3) and a state request is answered. After it returns,
        every report arrives, signed; heartbeats resume, and of the heartbeats made while it
        was down at most one or two are delivered (a newer one supersedes a waiting one)."""
        secs = float(args.get("down_seconds", 60))
        down_from = time.time()
        lst.down_until = down_from + secs
        refused_before = lst.refused_while_down
        eid = ebm_id()
        _, tar = package(keys, "EBM", ebm_payload(eid, severity="1"))
        _, code, _, _ = reply_code(keys, url, tar)
        request_id, tar = package(keys, "EBMStateRequest", f"<EBM><EBMID>{aired.get('id', eid)}</EBMID></EBM>")
        _, req_code, _, _ = reply_code(keys, url, tar)
        time.sleep(max(0.0, lst.down_until - time.time()))
        back = time.time()
        done = wait_state(eid, "3", 120)
        answered = lst.wait_for(lambda r: r["type"] == "EBMStateResponse" and r["related"] == request_id, 30)
        beats = lst.wait_for(lambda r: r["type"] == "ConnectionCheck" and r["at"] > back, 30)
        time.sleep(3)

        def rpt(r):
            t = datetime.strptime(r["ebd"].findtext("ConnectionCheck/RptTime"), "%Y-%m-%d %H:%M:%S")
            return t.replace(tzinfo=BEIJING).timestamp()

        made_while_down = [r for r in lst.received
                           if r["type"] == "ConnectionCheck" and down_from + 1 < rpt(r) < lst.down_until - 1]
        states = states_of(eid)
        reports = [r for r in lst.received if r["at"] > back and r["type"] != "ConnectionCheck"]
        first_report = min((r["at"] for r in reports), default=None)
        ok = (code == "1" and req_code == "1" and lst.refused_while_down > refused_before and bool(done)
              and "2" in states and bool(answered) and bool(beats) and len(made_while_down) <= 2
              and all(r["signed"] for r in reports))
        return ok, {"down_s": secs, "refused_while_down": lst.refused_while_down - refused_before,
                    "ebm_states_after_return": states, "state_request_answered": bool(answered),
                    "heartbeats_made_while_down_delivered": len(made_while_down),
                    "first_report_after_return_s": round(first_report - back, 1) if first_report else None}

    def omd():
        """OMDRequest for the last hour: EBMBrdLog with each channel's start and end."""
        start, end = now_text(-3600), now_text(60)
        payload = (f"<OMDType>EBMBrdLog</OMDType><Params><RptStartTime>{start}</RptStartTime>"
                   f"<RptEndTime>{end}</RptEndTime><RptType>Full</RptType></Params>")
        _, tar = package(keys, "OMDRequest", payload)
        status, code, desc, signed = reply_code(keys, url, tar)
        hits = lst.wait_for(lambda r: r["type"] == "EBMBrdLog", 30)
        items = hits[-1]["ebd"].findall("EBMBrdLog/EBMBrdItem") if hits else []
        log = {i.findtext("EBM/EBMID"): [(e.findtext("BrdSysInfo"), e.findtext("StartTime"), e.findtext("EndTime"))
                                         for e in i.findall("ResBrdInfo/ResBrdItem/EBRBS")] for i in items}

        def timed(eid):
            rows = log.get(eid, [])
            return sorted(r[0] for r in rows) == sorted(channels) and all(r[1] and r[2] and r[1] <= r[2] for r in rows)

        want = [aired[k] for k in ("id", "cancelled") if k in aired]
        ok = code == "1" and signed and bool(hits) and hits[-1]["signed"] and bool(want) and all(map(timed, want))
        return ok, {"code": code, "messages": len(items), "channels": {k: log.get(k) for k in want}}

    cases = {"on_air_channels": on_air_channels, "heartbeat": heartbeat, "valid_ebm": valid_ebm, "test_severity": test_severity, "drill": drill,
             "tampered": tampered, "traversal": traversal, "huge_entry": huge_entry,
             "missing_field": missing_field, "outside_only": outside_only, "cancel": cancel, "omd": omd,
             "platform_down": platform_down}
    for name in args["cases"]:
        case(name, cases[name])
    lst.server.shutdown()
    if lst.unreadable:
        print(json.dumps({"unreadable_packages_from_kapok": lst.unreadable[:5]}), flush=True)
    return all(r["ok"] for r in results) and not lst.unreadable


def pack(args):
    """Writes one signed EBM package (severity 2, 510400, with an MP3) to --out."""
    keys = Keys(args["private"], args.get("kapok_public", "04" + "00" * 64))
    keys.cert_sn = args.get("cert_sn", CERT_SN)
    eid = "34510421000000000000001" + datetime.now(BEIJING).strftime("%Y%m%d") + "0001"
    audio = mp3(seconds=1)
    aux = (f"<Auxiliary><AuxiliaryType>2</AuxiliaryType><AuxiliaryDesc>alert.mp3</AuxiliaryDesc>"
           f"<Size>{len(audio)}</Size><Digest>{sm3.sm3_hash(func.bytes_to_list(audio))}</Digest></Auxiliary>")
    ebd_id, tar = package(keys, "EBM", ebm_payload(eid, aux=aux), files=[("alert.mp3", audio)],
                          tamper=args.get("tamper") == "yes")
    with open(args["out"], "wb") as f:
        f.write(tar)
    print(json.dumps({"ebd_id": ebd_id, "ebm_id": eid}))
    return 0


def main(argv):
    if argv[:1] == ["keygen"]:
        print(json.dumps(keygen()))
        return 0
    if argv[:1] == ["pack"]:
        it = iter(argv[1:])
        return pack({a[2:].replace("-", "_"): next(it) for a in it})
    if argv[:1] != ["run"]:
        print(__doc__, file=sys.stderr)
        return 2
    args, cases, it = {}, [], iter(argv[1:])
    for a in it:
        if a.startswith("--"):
            args[a[2:].replace("-", "_")] = next(it)
        else:
            cases.append(a)
    args["cases"] = cases
    return 0 if run(args) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
