#!/usr/bin/env python3
"""An independent reader of the service information in an MPEG-TS file (standard library only).

Written from ISO/IEC 13818-1 (packets, sections, CRC) and ETSI EN 300 468 (SDT, EIT, Annex A
text, Annex C times), not from Kapok's writer, to check what Kapok sends.

    dvb_si.py FILE  ->  one JSON object on stdout:
      pat:  [{tsid, programs: {number: pmt_pid}}]          distinct PATs
      sdt:  [{tsid, onid, version, services: [{service_id, type, provider, name}]}]
      eit:  [{table_id, service_id, version, section, clock_s, events: [...]}] p/f sections
            each time one differs from the one before on its table and section number
      schedule: {"<table_id>/<section>": {version, events}} the last of each schedule section
      errors: {crc, continuity}  (on PIDs 0x00, 0x11, 0x12)
      counts: sections read per kind (pat, sdt, pf, schedule), packets per PID, clock span (s)
    clock_s is the PCR (seconds) last seen before the section started.
"""
import json
import sys
from datetime import datetime, timedelta, timezone


def crc32(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def text(b):
    if not b:
        return ""
    if b[0] == 0x13:
        return b[1:].decode("gb2312")
    if b[0] == 0x15:
        return b[1:].decode("utf-8")
    if b[0] < 0x20:
        return "<table 0x%02x>%s" % (b[0], b[1:].hex())
    return b.decode("latin-1")


def bcd(v):
    return (v >> 4) * 10 + (v & 15)


def start_time(b):
    mjd = (b[0] << 8) | b[1]
    day = datetime(1858, 11, 17, tzinfo=timezone.utc) + timedelta(days=mjd)
    t = day + timedelta(hours=bcd(b[2]), minutes=bcd(b[3]), seconds=bcd(b[4]))
    return t.isoformat().replace("+00:00", "Z")


def descriptors(b):
    out, i = [], 0
    while i + 2 <= len(b):
        tag, n = b[i], b[i + 1]
        out.append((tag, b[i + 2:i + 2 + n]))
        i += 2 + n
    return out


def events(body):
    out, i = [], 0
    while i + 12 <= len(body):
        eid = (body[i] << 8) | body[i + 1]
        start = start_time(body[i + 2:i + 7])
        d = body[i + 7:i + 10]
        duration = bcd(d[0]) * 3600 + bcd(d[1]) * 60 + bcd(d[2])
        running = body[i + 10] >> 5
        n = ((body[i + 10] & 15) << 8) | body[i + 11]
        ev = {"id": eid, "start": start, "duration_s": duration, "running": running}
        for tag, d in descriptors(body[i + 12:i + 12 + n]):
            if tag == 0x4D:
                ev["language"] = d[0:3].decode("latin-1")
                ev["title"] = text(d[4:4 + d[3]])
            elif tag == 0x54:
                ev["content"] = ["0x%02x" % d[k] for k in range(0, len(d), 2)]
        out.append(ev)
        i += 12 + n
    return out


def main(path):
    data = open(path, "rb").read()
    buffers, last_cc, clock = {}, {}, None
    result = {"pat": [], "sdt": [], "eit": [], "schedule": {}, "errors": {"crc": 0, "continuity": 0}}
    counts = {"pat": 0, "sdt": 0, "pf": 0, "schedule": 0, "packets": {}, "span_s": 0}
    result["counts"] = counts
    first_clock = None
    last_pf = {}

    def section(pid, s, at):
        if crc32(s) != 0:
            result["errors"]["crc"] += 1
            return
        table, ext = s[0], (s[3] << 8) | s[4]
        version, number = (s[5] >> 1) & 31, s[6]
        body = s[8:-4]
        kind = {0x00: "pat", 0x42: "sdt", 0x4E: "pf"}.get(table, "schedule" if 0x50 <= table <= 0x5F else None)
        if kind:
            counts[kind] += 1
        if pid == 0 and table == 0x00:
            progs = {str((body[i] << 8) | body[i + 1]): ((body[i + 2] & 31) << 8) | body[i + 3]
                     for i in range(0, len(body), 4)}
            pat = {"tsid": ext, "programs": progs}
            if pat not in result["pat"]:
                result["pat"].append(pat)
        elif pid == 0x11 and table == 0x42:
            onid, services, i = (body[0] << 8) | body[1], [], 3
            while i + 5 <= len(body):
                sid = (body[i] << 8) | body[i + 1]
                n = ((body[i + 3] & 15) << 8) | body[i + 4]
                for tag, d in descriptors(body[i + 5:i + 5 + n]):
                    if tag == 0x48:
                        p = d[2:2 + d[1]]
                        name = d[3 + d[1]:3 + d[1] + d[2 + d[1]]]
                        services.append({"service_id": sid, "type": d[0], "provider": text(p), "name": text(name)})
                i += 5 + n
            sdt = {"tsid": ext, "onid": onid, "version": version, "services": services}
            if sdt not in result["sdt"]:
                result["sdt"].append(sdt)
        elif pid == 0x12 and table == 0x4E:
            ev = events(body[6:])
            key = (number,)
            if last_pf.get(key) != (version, ev):
                last_pf[key] = (version, ev)
                result["eit"].append({"table_id": table, "service_id": ext, "version": version,
                                      "section": number, "clock_s": at, "events": ev})
        elif pid == 0x12 and 0x50 <= table <= 0x5F:
            result["schedule"]["0x%02x/%d" % (table, number)] = {
                "version": version, "last_table_id": "0x%02x" % body[5], "events": events(body[6:])}

    for k in range(0, len(data) - 187, 188):
        p = data[k:k + 188]
        if p[0] != 0x47:
            continue
        pid = ((p[1] & 31) << 8) | p[2]
        counts["packets"]["0x%04x" % pid] = counts["packets"].get("0x%04x" % pid, 0) + 1
        afc = (p[3] >> 4) & 3
        at = 4
        if afc & 2:
            n = p[4]
            if n >= 7 and p[5] & 0x10:
                base = (p[6] << 25) | (p[7] << 17) | (p[8] << 9) | (p[9] << 1) | (p[10] >> 7)
                ext = ((p[10] & 1) << 8) | p[11]
                clock = round((base * 300 + ext) / 27e6, 3)
                first_clock = clock if first_clock is None else first_clock
                counts["span_s"] = round(clock - first_clock, 3)
            at = 5 + n
        if pid not in (0x00, 0x11, 0x12) or not afc & 1:
            continue
        cc = p[3] & 15
        if pid in last_cc and cc != (last_cc[pid] + 1) % 16:
            result["errors"]["continuity"] += 1
        last_cc[pid] = cc
        payload = p[at:]
        if p[1] & 0x40:
            pointer = payload[0]
            rest = buffers.get(pid)
            if rest is not None and not rest.get("done"):
                rest["bytes"] += payload[1:1 + pointer]
                done(pid, rest, section)
            buffers[pid] = {"bytes": bytearray(payload[1 + pointer:]), "at": clock}
            done(pid, buffers[pid], section)
        elif pid in buffers and not buffers[pid].get("done"):
            buffers[pid]["bytes"] += payload
            done(pid, buffers[pid], section)
    json.dump(result, sys.stdout, ensure_ascii=False)


def done(pid, buf, section):
    """Hands over every complete section at the start of buf (stuffing 0xFF ends them)."""
    b = buf["bytes"]
    while len(b) >= 3 and b[0] != 0xFF:
        n = 3 + (((b[1] & 15) << 8) | b[2])
        if len(b) < n:
            return
        section(pid, bytes(b[:n]), buf["at"])
        del b[:n]
    if b and b[0] == 0xFF:
        b.clear()
        buf["done"] = True


if __name__ == "__main__":
    main(sys.argv[1])
