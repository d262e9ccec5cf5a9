/**
 * TLS policies end to end with @smtpkit/testing: scripted peers (`startSmtpPeer`) with
 * STARTTLS on throw-away certificates, a loopback DNS server, and the real client.
 */
import { createNodeResolver } from '@smtpkit/dns';
import { createMemoryQueue } from '@smtpkit/queue';
import {
  createTestCertificates,
  type DnsServer,
  type SmtpPeer,
  type SmtpPeerBehaviour,
  startDnsServer,
  startSmtpPeer,
  type TestCertificates,
} from '@smtpkit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDeliveryWorker,
  createMtaStsResolver,
  type DeliveryEvent,
  type DeliveryWorkerOptions,
  type TlsPolicy,
} from '../src/index';

const MIN = 60_000;
let dns: DnsServer;
let mxCerts: TestCertificates;
let peer: SmtpPeer | undefined;

beforeAll(async () => {
  dns = await startDnsServer({
    zone: {
      'example.com': { mx: [{ priority: 10, exchange: 'mx1.example.com' }] },
      'mx1.example.com': { a: ['127.0.0.1'] },
      '_mta-sts.example.com': { txt: ['v=STSv1; id=20261129'] },
    },
  });
  mxCerts = await createTestCertificates({ names: ['mx1.example.com'] });
});
afterAll(async () => {
  await dns.close();
});
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

const stsPolicy = (mx: string) => `version: STSv1\r\nmode: enforce\r\nmx: ${mx}\r\nmax_age: 86400\r\n`;

async function run(
  script: SmtpPeerBehaviour | SmtpPeerBehaviour[],
  options: Partial<DeliveryWorkerOptions> & {
    certificates?: TestCertificates;
    requireTls?: boolean;
    policy?: TlsPolicy;
  },
) {
  peer = await startSmtpPeer(script, {
    hostname: 'mx1.example.com',
    ...(options.certificates && { certificates: options.certificates }),
  });
  const clock = { t: Date.UTC(2026, 10, 29, 12) };
  const queue = createMemoryQueue({ now: () => clock.t });
  const events: DeliveryEvent[] = [];
  const resolver = createNodeResolver({ servers: [dns.address], timeout: 500, tries: 1 });
  const worker = createDeliveryWorker({
    queue,
    resolver,
    heloName: 'mta.test',
    port: peer.port,
    allowPrivateAddresses: true,
    now: () => clock.t,
    client: {
      tls: { ca: mxCerts.ca.cert },
      timeouts: { connect: 2000, greeting: 2000, command: 2000, tls: 2000 },
    },
    onEvent: (e) => events.push(e),
    ...(options.policy && { tlsPolicy: options.policy }),
    ...options,
  });
  const id = await queue.enqueue({
    envelope: {
      reversePath: 'alice@example.org',
      recipients: [{ address: 'bob@example.com' }],
      ...(options.requireTls && { requireTls: true }),
    },
    content: new TextEncoder().encode('From: alice@example.org\r\nSubject: tls\r\n\r\nhi\r\n'),
  });
  await worker.processDue();
  const pending = await queue.inspect(id).catch(() => undefined);
  return { peer, events, clock, worker, queue, pending, resolver };
}

const sts = (mx: string) =>
  createMtaStsResolver({
    resolver: createNodeResolver({ servers: [dns.address] }),
    fetch: async () => ({
      status: 200,
      headers: { get: () => 'text/plain' },
      text: async () => stsPolicy(mx),
    }),
  });

describe('TLS policy over loopback (startSmtpPeer, test certificates)', () => {
  it('RFC 8461 enforce: listed MX with a valid certificate for its name → delivered over verified TLS', async () => {
    const r = await run(
      { tls: 'starttls' },
      { certificates: mxCerts, policy: 'mta-sts', mtaSts: sts('mx1.example.com') },
    );
    expect(r.pending).toBeUndefined();
    expect(r.peer.messages).toHaveLength(1);
    expect(r.peer.messages[0]?.tls).toBe(true);
    expect(r.peer.messages[0]?.heloName).toBe('mta.test');
  });

  it('RFC 8461 enforce: a certificate not naming the MX → deferred 4.7.5, nothing sent', async () => {
    const other = await createTestCertificates({ names: ['somewhere.else.example'] });
    const r = await run(
      { tls: 'starttls' },
      {
        certificates: other,
        policy: 'mta-sts',
        mtaSts: sts('mx1.example.com'),
        client: {
          tls: { ca: other.ca.cert },
          timeouts: { connect: 2000, greeting: 2000, command: 2000, tls: 2000 },
        },
      },
    );
    expect(r.peer.messages).toHaveLength(0);
    expect(r.pending?.recipients[0]?.lastReason).toMatch(/^4\.7\.5 /);
  });

  it('RFC 8461 enforce with the MX not in the policy → deferred, no connection', async () => {
    const r = await run(
      { tls: 'starttls' },
      { certificates: mxCerts, policy: 'mta-sts', mtaSts: sts('mail.example.com') },
    );
    expect(r.peer.connectionCount).toBe(0);
    expect(r.pending?.recipients[0]?.lastReason).toMatch(/^4\.7\.5 MTA-STS/);
  });

  it('RFC 8461 testing: an invalid certificate is delivered to anyway and reported', async () => {
    const untrusted = await createTestCertificates({ names: ['mx1.example.com'] });
    const testing = createMtaStsResolver({
      resolver: createNodeResolver({ servers: [dns.address] }),
      fetch: async () => ({
        status: 200,
        headers: { get: () => 'text/plain' },
        text: async () => 'version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 600\n',
      }),
    });
    const r = await run({ tls: 'starttls' }, { certificates: untrusted, policy: 'mta-sts', mtaSts: testing });
    expect(r.peer.messages).toHaveLength(1);
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'mta-sts', mode: 'testing', result: 'violation' }),
    );
  });

  it('opportunistic: STARTTLS with a certificate nobody vouches for still encrypts (RFC 7435)', async () => {
    const untrusted = await createTestCertificates({ names: ['mx1.example.com'] });
    const r = await run({ tls: 'starttls' }, { certificates: untrusted });
    expect(r.peer.messages[0]?.tls).toBe(true);
  });

  it('opportunistic: a failed handshake defers; plaintext only when the policy allows it', async () => {
    const strict = await run([{ tls: 'broken' }], {});
    expect(strict.peer.messages).toHaveLength(0);
    expect(strict.pending?.recipients[0]?.lastReason).toMatch(/^4\.7\.5 /);
    await peer?.close();
    const lax = await run([{ tls: 'broken' }, {}], {
      policy: { mode: 'opportunistic', allowPlaintextFallback: true },
    });
    expect(lax.peer.messages).toHaveLength(1);
    expect(lax.peer.messages[0]?.tls).toBe(false);
  });

  it('TLS required against a server without STARTTLS → deferred 4.7.4', async () => {
    const r = await run({}, { policy: 'required' });
    expect(r.peer.messages).toHaveLength(0);
    expect(r.pending?.recipients[0]?.lastReason).toMatch(/^4\.7\.4 /);
  });

  it('RFC 8689 REQUIRETLS: sent over verified TLS to a server offering REQUIRETLS', async () => {
    const r = await run({ tls: 'starttls' }, { certificates: mxCerts, requireTls: true });
    expect(r.pending).toBeUndefined();
    expect(r.peer.messages[0]?.tls).toBe(true);
  });

  it('RFC 8689 REQUIRETLS: verified TLS but no REQUIRETLS offered → deferred 4.7.30, nothing sent', async () => {
    // STARTTLS offered, RFC 8689 REQUIRETLS not.
    const plain = await startSmtpPeer(
      { tls: 'starttls', extensions: { requireTls: false } },
      { hostname: 'mx1.example.com', certificates: mxCerts },
    );
    try {
      const queue = createMemoryQueue();
      const worker = createDeliveryWorker({
        queue,
        resolver: createNodeResolver({ servers: [dns.address], timeout: 500, tries: 1 }),
        heloName: 'mta.test',
        port: plain.port,
        allowPrivateAddresses: true,
        client: {
          tls: { ca: mxCerts.ca.cert },
          timeouts: { connect: 2000, greeting: 2000, command: 2000, tls: 2000 },
        },
      });
      const id = await queue.enqueue({
        envelope: {
          reversePath: 'alice@example.org',
          requireTls: true,
          recipients: [{ address: 'bob@example.com' }],
        },
        content: new TextEncoder().encode('Subject: requiretls\r\n\r\nhi\r\n'),
      });
      await worker.processDue();
      expect(plain.messages).toHaveLength(0);
      expect((await queue.inspect(id)).recipients[0]?.lastReason).toMatch(/^4\.7\.30 /);
    } finally {
      await plain.close();
    }
  });

  it('greylisting (startSmtpPeer greylist) then accepted; a 421 at connect pauses the host', async () => {
    const r = await run({ greylist: true }, {});
    expect(r.pending?.recipients[0]?.attempts).toBe(1);
    r.clock.t += 5 * MIN;
    await r.worker.processDue();
    expect(r.peer.messages.filter((m) => m.acknowledged)).toHaveLength(1);
    await peer?.close();

    const busy = await run({ fail421At: 'connect' }, {});
    expect(busy.events.some((e) => e.type === 'host-paused')).toBe(true);
    expect(busy.pending?.recipients[0]?.lastReason).toMatch(/421/);
  });

  it.each(['ehlo', 'mail', 'rcpt'] as const)(
    '§3.8 a 421 to %s pauses the host too, keeping the reply',
    async (stage) => {
      const busy = await run({ fail421At: stage }, {});
      expect(busy.events.some((e) => e.type === 'host-paused')).toBe(true);
      expect(busy.pending?.recipients[0]?.lastReason).toMatch(/421/);
    },
  );
});
