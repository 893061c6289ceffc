#!/usr/bin/env python3
"""An independent upper emergency-broadcast platform (应急广播平台) simulator.

Written from the protocol's description (issue 17: EBD packages as tar in multipart/form-data
part `file`, EBDB/EBDS files, SM2 with SM3 signatures, EBDResponse codes, ConnectionCheck,
EBRBSInfo/State, EBMStateResponse, EBMBrdLog), not from Kapok's code. Python standard library
plus `gmssl` (SM2/SM3) from PyPI.

    ebd_platform.py keygen                       -> {"private": HEX, "public": HEX}
    ebd_platform.py run --kapok URL --kapok-public HEX --private HEX --listen PORT \
        [--down-seconds N] CASE...

`run` listens on 127.0.0.1:PORT for Kapok's packages (verifying each signature with Kapok's
public key), runs each CASE against Kapok's POST /api/ebd, prints one JSON line per case
({"case", "ok", "detail"}) and exits 0 only when every case passed.
"""
import base64
import io
import json
import sys
import tarfile
import threading
import time
import uuid
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
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Signature><Version>1.0</Version><RelatedEBD><EBDID>{ebd_id}'
            f"</EBDID></RelatedEBD><SignatureCert><CertType>1</CertType><IssuerID>0001</IssuerID><CertSN>{CERT_SN}"
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


def ebm_payload(ebm_id, severity="2", msg_type="1", areas="510421000000", aux="", drop=None):
    fields = {"MsgTitle": "<MsgTitle>米易县暴雨红色预警</MsgTitle>",
              "MsgDesc": "<MsgDesc>米易县气象台发布暴雨预警，请注意防范。</MsgDesc>"}
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
                boundary = self.headers["Content-Type"].split("boundary=")[1].encode()
                part = body.split(b"--" + boundary)[1]
                tar = part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
                ebd, ok = read_package(lst.keys, tar)
                lst.received.append({"type": ebd.findtext("EBDType"), "id": ebd.findtext("EBDID"),
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


def mp3():
    # Not decoded by the simulator: its size and SM3 digest are what the message promises.
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 16


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

    def valid_ebm():
        eid = ebm_id()
        audio = mp3()
        aux = (f"<Auxiliary><AuxiliaryType>2</AuxiliaryType><AuxiliaryDesc>alert.mp3</AuxiliaryDesc>"
               f"<Size>{len(audio)}</Size><Digest>{sm3.sm3_hash(func.bytes_to_list(audio))}</Digest></Auxiliary>")
        _, tar = package(keys, "EBM", ebm_payload(eid, aux=aux), files=[("alert.mp3", audio)])
        status, code, desc, signed = reply_code(keys, url, tar)
        aired["id"] = eid
        hits = lst.wait_for(state_reports(eid), 30)
        states = [h["ebd"].findtext("EBMStateResponse/BrdStateCode") for h in hits]
        ok = status == 200 and code == "1" and signed and bool(hits) and all(h["signed"] for h in hits)
        return ok, {"code": code, "desc": desc, "reported_states": states}

    def cancel():
        eid = aired.get("id") or ebm_id()
        _, tar = package(keys, "EBM", ebm_payload(eid, msg_type="2"))
        status, code, desc, signed = reply_code(keys, url, tar)
        hits = lst.wait_for(lambda r: state_reports(eid)(r)
                            and r["ebd"].findtext("EBMStateResponse/BrdStateCode") == "5", 30)
        return status == 200 and code == "1" and signed and bool(hits), {"code": code, "desc": desc}

    def test_severity():
        _, tar = package(keys, "EBM", ebm_payload(ebm_id(), severity="15"))
        status, code, desc, signed = reply_code(keys, url, tar)
        return status == 200 and code == "1" and signed and "on air on 0" in (desc or ""), {"code": code, "desc": desc}

    def drill():
        _, tar = package(keys, "EBM", ebm_payload(ebm_id(), severity="21"))
        status, code, desc, signed = reply_code(keys, url, tar)
        return status == 200 and code == "1" and signed, {"code": code, "desc": desc}

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
        secs = float(args.get("down_seconds", 60))
        before = len([r for r in lst.received if r["type"] == "ConnectionCheck"])
        lst.down_until = time.time() + secs
        time.sleep(secs)
        # Reports made while down: one EBM state report.
        eid = ebm_id()
        _, tar = package(keys, "EBMStateRequest", f"<EBM><EBMID>{aired.get('id', eid)}</EBMID></EBM>")
        reply_code(keys, url, tar)
        end = time.time() + 60
        while time.time() < end:
            after = len([r for r in lst.received if r["type"] == "ConnectionCheck"])
            if after > before and lst.refused_while_down > 0:
                break
            time.sleep(0.5)
        beats = sorted(r["at"] for r in lst.received if r["type"] == "ConnectionCheck")
        gained = len(beats) - before
        return gained >= 1 and lst.refused_while_down > 0, {"refused_while_down": lst.refused_while_down,
                                                             "heartbeats_after": gained}

    def omd():
        start, end = now_text(-3600), now_text(60)
        payload = (f"<OMDType>EBMBrdLog</OMDType><Params><RptStartTime>{start}</RptStartTime>"
                   f"<RptEndTime>{end}</RptEndTime><RptType>Full</RptType></Params>")
        _, tar = package(keys, "OMDRequest", payload)
        status, code, desc, signed = reply_code(keys, url, tar)
        hits = lst.wait_for(lambda r: r["type"] == "EBMBrdLog", 30)
        items = hits[-1]["ebd"].findall("EBMBrdLog/EBMBrdItem") if hits else []
        ids = [i.findtext("EBM/EBMID") for i in items]
        channels = [(e.findtext("BrdSysInfo"), e.findtext("StartTime"), e.findtext("EndTime"))
                    for i in items for e in i.findall("ResBrdInfo/ResBrdItem/EBRBS")]
        ok = code == "1" and signed and bool(hits) and hits[-1]["signed"] and (aired.get("id") in ids)
        return ok, {"code": code, "messages": len(items), "channels": channels}

    cases = {"heartbeat": heartbeat, "valid_ebm": valid_ebm, "test_severity": test_severity, "drill": drill,
             "tampered": tampered, "traversal": traversal, "huge_entry": huge_entry,
             "missing_field": missing_field, "outside_only": outside_only, "cancel": cancel, "omd": omd,
             "platform_down": platform_down}
    for name in args["cases"]:
        case(name, cases[name])
    lst.server.shutdown()
    return all(r["ok"] for r in results)


def main(argv):
    if argv[:1] == ["keygen"]:
        print(json.dumps(keygen()))
        return 0
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
