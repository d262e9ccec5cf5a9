// `npx tsx examples/preflight.ts --domain example.com --ip 203.0.113.5 [--helo ...] [--json]`
//
// Tells a sender, before it sends, which of the checks receiving servers run it would fail:
// MX, SPF for its IP, DKIM key, PTR/FCrDNS/HELO, DNS blocklists, MTA-STS, DMARC, and whether
// port 25 is reachable at all. `--resolver 127.0.0.1:5353` points it at another DNS server
// (the tests run it offline against @smtpkit/testing's startDnsServer). See ./preflight/.
import { main } from './preflight/cli';

const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
process.exitCode = await main(process.argv.slice(2), { write: (text) => process.stdout.write(text), color });
