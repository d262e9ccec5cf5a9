/**
 * dnspython (an independent DNS client, not c-ares) against @smtpkit/testing's
 * startDnsServer: every record type, RCODEs, truncation over UDP and the TCP fallback.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reverseName } from '@smtpkit/dns';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianPython, pythonModuleAvailability } from '../support/services';

const run = promisify(execFile);
const dnspython = pythonModuleAvailability('dns.message', 'dns.query');
const SCRIPT = fileURLToPath(new URL('./testing_dnspython_query.py', import.meta.url));

interface Answer {
  readonly rcode?: string;
  readonly tc?: boolean;
  readonly aa?: boolean;
  readonly answers?: [string, string, string][];
  readonly via_tcp?: boolean;
  readonly error?: string;
}

describe.skipIf(!dnspython.available)('dnspython → startDnsServer', () => {
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await startDnsServer({
      zone: {
        'example.test': {
          a: ['192.0.2.1'],
          aaaa: ['2001:db8::1'],
          mx: [{ priority: 10, exchange: 'mx.example.test' }],
          txt: [['v=spf1 ', '-all']],
        },
        'null.example.test': { mx: [{ priority: 0, exchange: '.' }] },
        'www.example.test': { cname: 'example.test' },
        [reverseName('192.0.2.1')]: { ptr: ['mail.example.test'] },
        'big.example.test': { txt: ['k'.repeat(1500)] },
        'servfail.example.test': { fault: 'servfail' },
        'refused.example.test': { fault: 'refused' },
        'silent.example.test': { fault: 'timeout' },
      },
    });
  });
  afterAll(() => dns.close());

  type Query = { name: string; type: string; transport: 'udp' | 'tcp' | 'fallback' };
  async function ask(queries: readonly Query[]): Promise<Answer[]> {
    const child = run(debianPython, [SCRIPT, dns.host, String(dns.port)], { timeout: 30_000 });
    child.child.stdin?.end(`${queries.map((q) => JSON.stringify(q)).join('\n')}\n`);
    const { stdout } = await child;
    return stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Answer);
  }

  it('answers every type over UDP and TCP alike, authoritatively', async () => {
    const types = [
      ['example.test', 'A', '192.0.2.1'],
      ['example.test', 'AAAA', '2001:db8::1'],
      ['example.test', 'MX', '10 mx.example.test.'],
      ['example.test', 'TXT', '"v=spf1 " "-all"'],
      ['null.example.test', 'MX', '0 .'],
      [reverseName('192.0.2.1'), 'PTR', 'mail.example.test.'],
      ['www.example.test', 'CNAME', 'example.test.'],
    ] as const;
    const queries = types.flatMap(([name, type]) =>
      (['udp', 'tcp'] as const).map((transport) => ({ name, type, transport })),
    );
    const answers = await ask(queries);
    types.forEach(([name, type, text], i) => {
      for (const answer of [answers[2 * i], answers[2 * i + 1]]) {
        expect(answer).toMatchObject({ rcode: 'NOERROR', aa: true, tc: false });
        expect(answer?.answers).toContainEqual([`${name}.`, type, text]);
      }
    });
  });

  it('follows a CNAME inside the zone in the same answer (RFC 1034 §3.6.2)', async () => {
    const [answer] = await ask([{ name: 'www.example.test', type: 'A', transport: 'udp' }]);
    expect(answer?.answers).toEqual([
      ['www.example.test.', 'CNAME', 'example.test.'],
      ['example.test.', 'A', '192.0.2.1'],
    ]);
  });

  it('NXDOMAIN, NODATA, SERVFAIL, REFUSED and silence', async () => {
    const answers = await ask([
      { name: 'absent.example.test', type: 'A', transport: 'udp' },
      { name: 'example.test', type: 'PTR', transport: 'udp' },
      { name: 'servfail.example.test', type: 'A', transport: 'udp' },
      { name: 'refused.example.test', type: 'A', transport: 'tcp' },
      { name: 'silent.example.test', type: 'A', transport: 'udp' },
    ]);
    expect(answers.map((a) => a.error ?? a.rcode)).toEqual([
      'NXDOMAIN',
      'NOERROR',
      'SERVFAIL',
      'REFUSED',
      'timeout',
    ]);
    expect(answers[1]?.answers).toEqual([]);
  });

  it('RFC 1035 §4.2.1: over 512 octets sets TC on UDP; the TCP fallback gets it whole', async () => {
    const [udp, fallback] = await ask([
      { name: 'big.example.test', type: 'TXT', transport: 'udp' },
      { name: 'big.example.test', type: 'TXT', transport: 'fallback' },
    ]);
    expect(udp).toMatchObject({ tc: true, answers: [] });
    expect(fallback).toMatchObject({ tc: false, via_tcp: true });
    const text = fallback?.answers?.[0]?.[2] ?? '';
    expect(text.replace(/[" ]/g, '')).toBe('k'.repeat(1500));
  });
});
