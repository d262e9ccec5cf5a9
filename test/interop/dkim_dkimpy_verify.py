#!/usr/bin/python3
"""smtpkit interop harness: verify DKIM signatures with dkimpy, keys given, no DNS.

Reads one JSON request on stdin:
  {"keys": {"<selector>._domainkey.<domain>": "v=DKIM1; k=...; p=..."},
   "messages": ["/path/to/message.eml", ...]}
Writes one JSON array on stdout: per message, per DKIM-Signature (topmost first),
{"result": "pass" | "fail", "reason": "..."}.

Run with Debian's /usr/bin/python3 (python3-dkim, python3-nacl for ed25519).
"""
import json
import logging
import sys

import dkim


def main():
    request = json.load(sys.stdin)
    keys = {name.lower().rstrip("."): record for name, record in request["keys"].items()}

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii", "replace")
        return keys.get(name.lower().rstrip("."))

    log = []

    class Capture(logging.Handler):
        def emit(self, record):
            log.append(record.getMessage())

    logger = logging.getLogger("smtpkit-interop")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Capture())

    out = []
    for path in request["messages"]:
        with open(path, "rb") as f:
            message = f.read()
        checker = dkim.DKIM(message, logger=logger, minkey=1024)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
        results = []
        for idx in range(count):
            del log[:]
            try:
                ok = bool(checker.verify(idx=idx, dnsfunc=dnsfunc))
                results.append({"result": "pass" if ok else "fail",
                                "reason": "" if ok else (log[-1] if log else "mismatch")})
            except dkim.DKIMException as error:
                results.append({"result": "fail", "reason": "%s: %s" % (type(error).__name__, error)})
        out.append(results)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
