// Argument parsing, rendering and the exit code of `preflight`, kept apart from process.* so
// tests can run the whole CLI in-process.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createNodeResolver, ipFamily, withCache } from '@smtpkit/dns';
import { runPreflight } from './checks';
import { type CheckStatus, DEFAULT_DNSBLS, type PreflightOptions, type PreflightReport } from './types';

/** The `--help` text. */
export const USAGE = `usage: preflight --domain example.com --ip 203.0.113.5 [--helo mail.example.com]
                 [--dkim-selector s1 --dkim-key key.pem] [--to-mx gmail.com]
                 [--dnsbl zone]... [--resolver 127.0.0.1:53] [--port 25] [--timeout 5000] [--json]

Checks what receiving servers check about a sender: MX, SPF for the IP (and its lookup count),
the DKIM key record, PTR + forward-confirmed reverse DNS + HELO, DNS blocklists, MTA-STS and
DMARC records, and whether outbound port 25 reaches the recipient's MX.
Exit code: 0 all passed (warnings allowed), 1 a check failed, 2 usage error.`;

/** What the CLI needs from its surroundings. */
export interface CliIo {
  readonly write: (text: string) => void;
  /** Colours (stdout is a TTY and NO_COLOR is unset). */
  readonly color: boolean;
}

const COLOURS: Record<CheckStatus, string> = { pass: '32', warn: '33', fail: '31', skip: '2' };
const LABELS: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** The report as text, one block per check, with ANSI colours when `color`. */
export function renderReport(report: PreflightReport, color: boolean): string {
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const lines = [`preflight ${report.domain} from ${report.ip}`, ''];
  for (const c of report.checks) {
    lines.push(`${paint(COLOURS[c.status], LABELS[c.status].padEnd(4))}  ${c.title}: ${c.summary}`);
    for (const d of c.details ?? []) lines.push(paint('2', `        ${d}`));
    if (c.fix && (c.status === 'warn' || c.status === 'fail')) lines.push(`        fix: ${c.fix}`);
  }
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  lines.push('', `${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed`);
  return `${lines.join('\n')}\n`;
}

/** Parses argv (without node and script) into options; throws TypeError with a message for usage errors. */
export async function parseCli(argv: readonly string[]): Promise<
  | {
      readonly options: Omit<PreflightOptions, 'resolver'> & { readonly resolverAddress?: string };
      readonly json: boolean;
    }
  | 'help'
> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      domain: { type: 'string' },
      ip: { type: 'string' },
      helo: { type: 'string' },
      'dkim-selector': { type: 'string' },
      'dkim-key': { type: 'string' },
      'to-mx': { type: 'string' },
      dnsbl: { type: 'string', multiple: true },
      resolver: { type: 'string' },
      port: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  if (!values.domain) throw new TypeError('--domain is required');
  if (!values.ip || ipFamily(values.ip) === 0) throw new TypeError('--ip must be an IPv4 or IPv6 address');
  const number = (text: string | undefined, name: string, fallback: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new TypeError(`--${name} must be a positive integer`);
    return n;
  };
  const dkimPrivateKey = values['dkim-key'] ? await readFile(values['dkim-key'], 'utf8') : undefined;
  return {
    json: values.json === true,
    options: {
      domain: values.domain,
      ip: values.ip,
      ...(values.helo ? { helo: values.helo } : {}),
      ...(values['dkim-selector'] ? { dkimSelector: values['dkim-selector'] } : {}),
      ...(dkimPrivateKey ? { dkimPrivateKey } : {}),
      ...(values['to-mx'] ? { toMx: values['to-mx'] } : {}),
      dnsbls: values.dnsbl ?? DEFAULT_DNSBLS,
      ...(values.resolver ? { resolverAddress: values.resolver } : {}),
      smtpPort: number(values.port, 'port', 25),
      connectTimeout: number(values.timeout, 'timeout', 5000),
    },
  };
}

/** Runs the CLI: returns the exit code (0 ok, 1 a check failed, 2 usage). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: Awaited<ReturnType<typeof parseCli>>;
  try {
    parsed = await parseCli(argv);
  } catch (error) {
    io.write(`preflight: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    io.write(`${USAGE}\n`);
    return 0;
  }
  const { resolverAddress, ...options } = parsed.options;
  const resolver = withCache(
    createNodeResolver({
      ...(resolverAddress ? { servers: [resolverAddress] } : {}),
      timeout: 3000,
      tries: 2,
    }),
  );
  const report = await runPreflight({ ...options, resolver });
  io.write(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, io.color));
  return report.ok ? 0 : 1;
}
