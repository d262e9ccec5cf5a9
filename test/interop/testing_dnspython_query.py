#!/usr/bin/python3
"""Queries a DNS server with dnspython (an independent client) for the interop test.

argv: HOST PORT; stdin: JSON lines {"name":..., "type":..., "transport": "udp"|"tcp"|"fallback"}
stdout: one JSON line per query: {"rcode", "tc", "aa", "answers": [[name, type, text], ...],
"via_tcp"} or {"error": "timeout"}.
"""
import json
import sys

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

host, port = sys.argv[1], int(sys.argv[2])
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    q = json.loads(line)
    query = dns.message.make_query(q["name"], q["type"])
    try:
        via_tcp = False
        if q["transport"] == "udp":
            response = dns.query.udp(query, host, port=port, timeout=1.0, ignore_trailing=True)
        elif q["transport"] == "tcp":
            response = dns.query.tcp(query, host, port=port, timeout=1.0)
            via_tcp = True
        else:
            response, via_tcp = dns.query.udp_with_fallback(query, host, port=port, timeout=1.0)
        answers = []
        for rrset in response.answer:
            for rdata in rrset:
                answers.append([rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype), rdata.to_text()])
        print(json.dumps({
            "rcode": dns.rcode.to_text(response.rcode()),
            "tc": bool(response.flags & dns.flags.TC),
            "aa": bool(response.flags & dns.flags.AA),
            "answers": answers,
            "via_tcp": via_tcp,
        }))
    except dns.exception.Timeout:
        print(json.dumps({"error": "timeout"}))
    sys.stdout.flush()
