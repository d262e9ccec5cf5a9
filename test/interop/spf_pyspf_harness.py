#!/usr/bin/python3
"""smtpkit's pyspf harness for test/interop/spf-pyspf.test.ts.

Reads one JSON document on stdin:
  {"scenarios": [{"zonedata": {...openspf zonedata...},
                  "queries": [{"ip": ..., "mailfrom": ..., "helo": ...}, ...]}, ...]}
and writes one JSON line per query: {"scenario", "index", "result", "explanation"} (fail) or
{"scenario", "index", "result", "problem"} (permerror/temperror).

pyspf's DNS is replaced by an answer table built from each scenario's zonedata, following the
openspf suite's conventions (corpora/spf/README.md): SPF-type records double as TXT where a
name has no TXT entry, TIMEOUT entries raise a temporary error, absent names are NXDOMAIN.
No real DNS traffic. Run with /usr/bin/python3 (Debian's python3-spf).
"""
import json
import socket
import sys

import spf


def labels(name):
    return ".".join(part for part in str(name).split(".") if part).lower()


class Zone:
    def __init__(self, zonedata):
        self.names = {}
        for raw, entries in (zonedata or {}).items():
            node = {"records": [], "timeout_types": set(), "timeout_all": False}
            spf_copies, has_txt = [], False
            for entry in entries or []:
                if isinstance(entry, str):
                    node["timeout_all"] = node["timeout_all"] or entry.upper() == "TIMEOUT"
                    continue
                for rtype, value in entry.items():
                    rtype = rtype.upper()
                    has_txt = has_txt or rtype == "TXT"
                    if value == "TIMEOUT":
                        node["timeout_types"].add("TXT" if rtype == "SPF" else rtype)
                    elif rtype in ("TXT", "SPF"):
                        if value == "NONE":
                            continue
                        strings = value if isinstance(value, list) else [value]
                        data = [s.encode("utf-8") for s in strings]
                        if rtype == "SPF":
                            spf_copies.append(data)
                        else:
                            node["records"].append(("TXT", data))
                    elif rtype == "MX":
                        node["records"].append(("MX", (int(value[0]), str(value[1]))))
                    elif rtype == "AAAA":
                        node["records"].append(("AAAA", socket.inet_pton(socket.AF_INET6, str(value))))
                    else:
                        node["records"].append((rtype, str(value)))
            if not has_txt:
                node["records"].extend(("TXT", data) for data in spf_copies)
            self.names[labels(raw)] = node

    def lookup(self, name, qtype, strict=True, timeout=None, depth=0):
        key = labels(name)
        if any(len(part) > 63 for part in key.split(".")):
            raise spf.TempError("label too long")
        node = self.names.get(key)
        if node is None:
            return []
        if qtype in node["timeout_types"]:
            raise spf.TempError("timeout")
        answer = [((key, t), v) for t, v in node["records"] if t == qtype]
        if not answer and depth < 8:
            for t, target in node["records"]:
                if t == "CNAME" and qtype != "CNAME":
                    return [((key, "CNAME"), target)] + self.lookup(target, qtype, strict, timeout, depth + 1)
        if not answer and node["timeout_all"]:
            raise spf.TempError("timeout")
        return answer


def main():
    job = json.load(sys.stdin)
    legacy = {"unknown": "permerror", "error": "temperror"}
    for n, scenario in enumerate(job["scenarios"]):
        zone = Zone(scenario["zonedata"])
        spf.DNSLookup = zone.lookup
        for i, q in enumerate(scenario["queries"]):
            query = spf.query(i=q["ip"], s=q["mailfrom"], h=q["helo"], receiver="receiver.example.org")
            query.set_default_explanation("DEFAULT")
            result, _code, explanation = query.check()
            result = legacy.get(result, result)
            out = {"scenario": n, "index": i, "result": result}
            if result == "fail":
                out["explanation"] = explanation
            elif result in ("permerror", "temperror"):
                out["problem"] = explanation
            sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
