/**
 * The worker end to end over loopback: a real DNS server (@smtpkit/testing), real
 * @smtpkit/client connections, and scripted SMTP peers on 127.0.0.x sharing one port.
 */
import { createNodeResolver, type Zone } from '@smtpkit/dns';
import { createMemoryQueue } from '@smtpkit/queue';
import { type DnsServer, type SmtpPeerBehaviour, startDnsServer, startSmtpPeer } from '@smtpkit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDeliveryWorker,
  type DeliveryEvent,
  type DeliveryWorkerOptions,
  parseDsn,
  sendDirect,
} from '../src/index';

/** What one MX host (one address of the shared `startSmtpPeer`) received. */
interface Peer {
  readonly port: number;
  /** Messages read to the end of data, with their envelope and text. */
  readonly messages: readonly { from: string; to: readonly string[]; data: string; tls: boolean }[];
  /** Connections made to this address. */
  readonly connections: number;
  close(): Promise<void>;
}

/** One scripted peer on every address, one port (MX hosts differ by address), a behaviour per address. */
async function startPeers(hosts: readonly string[], scripts: readonly SmtpPeerBehaviour[]): Promise<Peer[]> {
  const peer = await startSmtpPeer(({ localAddress }) => scripts[hosts.indexOf(localAddress)] ?? {}, {
    hosts,
  });
  const closing = { done: undefined as Promise<void> | undefined };
  return hosts.map((host) => ({
    port: peer.port,
    get messages() {
      return peer.messages
        .filter((m) => m.localAddress === host)
        .map((m) => ({
          from: m.sender,
          to: m.recipients,
          data: new TextDecoder().decode(m.body),
          tls: m.tls,
        }));
    },
    get connections() {
      return peer.events.filter((e) => e.type === 'connect' && e.localAddress === host).length;
    },
    close() {
      closing.done ??= peer.close();
      return closing.done;
    },
  }));
}

const MIN = 60_000;
let dns: DnsServer;
let peers: Peer[] = [];

beforeAll(async () => {
  dns = await startDnsServer({ zone: {} });
});
afterAll(async () => {
  await dns.close();
});
afterEach(async () => {
  await Promise.all(peers.map((p) => p.close()));
  peers = [];
});

const zone = (extra: Zone = {}): Zone => ({
  'example.com': {
    mx: [
      { priority: 10, exchange: 'mx1.example.com' },
      { priority: 20, exchange: 'mx2.example.com' },
    ],
  },
  'mx1.example.com': { a: ['127.0.0.11'] },
  'mx2.example.com': { a: ['127.0.0.12'] },
  'example.org': { mx: [{ priority: 10, exchange: 'mx.example.org' }] },
  'mx.example.org': { a: ['127.0.0.20'] },
  ...extra,
});

const body = (subject: string) =>
  new TextEncoder().encode(
    `From: alice@example.org\r\nTo: bob@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n\r\nHello over loopback.\r\n`,
  );

/** Peers for mx1, mx2 and the sender's MX (which receives the DSNs). */
async function world(
  z: Zone,
  mx1: SmtpPeerBehaviour | 'refuse',
  mx2: SmtpPeerBehaviour = {},
  options: Partial<DeliveryWorkerOptions> = {},
) {
  dns.setZone(z);
  const hosts = mx1 === 'refuse' ? ['127.0.0.12', '127.0.0.20'] : ['127.0.0.11', '127.0.0.12', '127.0.0.20'];
  const scripts = mx1 === 'refuse' ? [mx2, {}] : [mx1, mx2, {}];
  peers = await startPeers(hosts, scripts);
  const sink = peers.at(-1)!;
  const clock = { t: Date.UTC(2026, 10, 29, 12) };
  const now = () => clock.t;
  const queue = createMemoryQueue({ now });
  const events: DeliveryEvent[] = [];
  const worker = createDeliveryWorker({
    queue,
    resolver: createNodeResolver({ servers: [dns.address], timeout: 500, tries: 1 }),
    heloName: 'mta.test',
    port: sink.port,
    allowPrivateAddresses: true,
    now,
    random: () => 0,
    client: { timeouts: { connect: 2000, greeting: 2000, command: 2000, dataEnd: 2000 } },
    onEvent: (e) => events.push(e),
    ...options,
  });
  const bounces = () =>
    sink.messages.filter((m) => m.from === '').map((m) => ({ ...m, dsn: parseDsn(m.data) }));
  return { queue, worker, clock, events, sink, bounces, port: sink.port };
}

describe('delivery over loopback (real DNS, real client, scripted peers)', () => {
  it('RFC 5321 §5.1: the first MX refuses connections, the second takes the message', async () => {
    const w = await world(zone({ 'mx1.example.com': { a: ['127.0.0.13'] } }), 'refuse');
    await w.queue.enqueue({
      envelope: { reversePath: 'alice@example.org', recipients: [{ address: 'bob@example.com' }] },
      content: body('fallback'),
    });
    await w.worker.processDue();
    expect(peers[0]!.messages).toHaveLength(1);
    expect(peers[0]!.messages[0]).toMatchObject({ from: 'alice@example.org', to: ['bob@example.com'] });
    expect(
      w.events.filter((e) => e.type === 'host-failed').map((e) => e.type === 'host-failed' && e.failure),
    ).toEqual(['refused']);
  });

  it('greylisting: 451 on the first attempt, accepted on the retry after 5 minutes', async () => {
    const w = await world(zone({ 'example.com': { mx: [{ priority: 10, exchange: 'mx1.example.com' }] } }), {
      greylist: true,
    });
    const id = await w.queue.enqueue({
      envelope: { reversePath: 'alice@example.org', recipients: [{ address: 'bob@example.com' }] },
      content: body('greylist'),
    });
    await w.worker.processDue();
    expect((await w.queue.inspect(id)).recipients[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(peers[0]!.messages).toHaveLength(0);
    w.clock.t += 5 * MIN;
    await w.worker.processDue();
    expect(peers[0]!.messages).toHaveLength(1);
    await expect(w.queue.inspect(id)).rejects.toThrow();
  });

  it('partial rejection: one DSN for the refused recipient, parsed back; the others delivered', async () => {
    const w = await world(zone(), {
      rejectRecipients: (a) =>
        a.startsWith('nobody') && { code: 550, enhanced: '5.1.1', text: 'No such user here' },
    });
    await w.queue.enqueue({
      envelope: {
        reversePath: 'alice@example.org',
        envid: 'ENV+42',
        ret: 'HDRS',
        recipients: [{ address: 'bob@example.com' }, { address: 'nobody@example.com' }],
      },
      content: body('partial'),
    });
    await w.worker.processDue();
    expect(peers[0]!.messages[0]?.to).toEqual(['bob@example.com']);
    const [bounce, ...more] = w.bounces();
    expect(more).toHaveLength(0);
    expect(bounce?.to).toEqual(['alice@example.org']);
    expect(bounce?.dsn).toMatchObject({
      originalEnvelopeId: 'ENV+42',
      recipients: [
        {
          finalRecipient: { address: 'nobody@example.com' },
          action: 'failed',
          status: '5.1.1',
          remoteMta: { text: 'mx1.example.com' },
          diagnosticCode: { type: 'smtp', text: '550 5.1.1 No such user here' },
        },
      ],
      returned: { kind: 'headers' },
    });
    expect(bounce?.data).not.toContain('Hello over loopback.');
  });

  it('RFC 7505 null MX: failed 5.1.10 and bounced with the full message under RET=FULL', async () => {
    const w = await world(zone({ 'nullmx.example': { mx: [{ priority: 0, exchange: '.' }] } }), {});
    await w.queue.enqueue({
      envelope: {
        reversePath: 'alice@example.org',
        ret: 'FULL',
        recipients: [{ address: 'x@nullmx.example' }],
      },
      content: body('nullmx'),
    });
    await w.worker.processDue();
    const [bounce] = w.bounces();
    expect(bounce?.dsn?.recipients[0]).toMatchObject({ action: 'failed', status: '5.1.10' });
    expect(bounce?.dsn?.returned).toEqual({
      kind: 'message',
      text: new TextDecoder().decode(body('nullmx')),
    });
  });

  it('a 421 storm: the destination is paused, queued mail waits instead of hammering it', async () => {
    const w = await world(zone({ 'example.com': { mx: [{ priority: 10, exchange: 'mx1.example.com' }] } }), {
      replies: { connect: { code: 421, enhanced: '4.3.2', text: 'Too busy, try later' } },
    });
    for (let i = 0; i < 5; i++) {
      await w.queue.enqueue({
        envelope: { reversePath: 'alice@example.org', recipients: [{ address: `u${i}@example.com` }] },
        content: body(`storm ${i}`),
      });
    }
    await w.worker.processDue();
    // The first round may open up to perDomainConcurrency connections; then the host is paused.
    const first = peers[0]!.connections;
    expect(first).toBeLessThanOrEqual(5);
    await w.worker.processDue();
    expect(peers[0]!.connections).toBe(first);
    // After the pause a single probe goes, not one connection per queued message.
    w.clock.t += 5 * MIN;
    await w.worker.processDue();
    expect(peers[0]!.connections).toBe(first + 1);
    expect((await w.queue.stats()).recipients.pending).toBe(5);
  });

  it('null reverse-path mail that fails is dropped, never bounced', async () => {
    const w = await world(zone(), {
      replies: { rcpt: { code: 550, enhanced: '5.1.1', text: 'No such user' } },
    });
    await w.queue.enqueue({
      envelope: { reversePath: '', recipients: [{ address: 'bob@example.com' }] },
      content: body('bounce of a bounce'),
    });
    await w.worker.processDue();
    expect(w.bounces()).toHaveLength(0);
    expect((await w.queue.stats()).messages).toBe(0);
  });

  it('expiry: deferred until maxLifetime, then failed 4.4.7 with a DSN', async () => {
    const w = await world(
      zone({ 'example.com': { mx: [{ priority: 10, exchange: 'mx1.example.com' }] } }),
      {
        replies: { rcpt: { code: 452, enhanced: '4.2.2', text: 'Mailbox full' } },
      },
      {},
      { maxLifetime: 30 * MIN },
    );
    await w.queue.enqueue({
      envelope: { reversePath: 'alice@example.org', recipients: [{ address: 'bob@example.com' }] },
      content: body('expire'),
    });
    for (let i = 0; i < 6; i++) {
      await w.worker.processDue();
      w.clock.t += 10 * MIN;
    }
    const [bounce] = w.bounces();
    expect(bounce?.dsn?.recipients[0]).toMatchObject({ action: 'failed', status: '4.4.7' });
    expect(bounce?.dsn?.recipients[0]?.diagnosticCode?.text).toBe('452 4.2.2 Mailbox full');
  });

  it('a connection dropped after the final dot: deferred, flagged, delivered again (at-least-once)', async () => {
    let n = 0;
    const w = await world(zone({ 'example.com': { mx: [{ priority: 10, exchange: 'mx1.example.com' }] } }), {
      dropAfterData: () => n++ === 0,
    });
    const id = await w.queue.enqueue({
      envelope: { reversePath: 'alice@example.org', recipients: [{ address: 'bob@example.com' }] },
      content: body('dup'),
    });
    await w.worker.processDue();
    expect(w.events.some((e) => e.type === 'possible-duplicate')).toBe(true);
    w.clock.t += 5 * MIN;
    await w.worker.processDue();
    await expect(w.queue.inspect(id)).rejects.toThrow();
    expect(peers[0]!.messages).toHaveLength(2);
  });

  it('TLS required against servers without STARTTLS: deferred 4.7.4, nothing sent in plaintext', async () => {
    const w = await world(zone(), {}, {}, { tlsPolicy: 'required' });
    const id = await w.queue.enqueue({
      envelope: { reversePath: 'alice@example.org', recipients: [{ address: 'bob@example.com' }] },
      content: body('tls required'),
    });
    await w.worker.processDue();
    expect(peers[0]!.messages).toHaveLength(0);
    expect(peers[1]!.messages).toHaveLength(0);
    expect((await w.queue.inspect(id)).recipients[0]?.lastReason).toMatch(/^4\.7\.4 /);
  });

  it('MTA-STS enforce with an unlisted MX: deferred, no connection made', async () => {
    const policy = 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n';
    const w = await world(
      zone({ '_mta-sts.example.com': { txt: ['v=STSv1; id=2026'] } }),
      {},
      {},
      { tlsPolicy: 'mta-sts' },
    );
    const { createMtaStsResolver } = await import('../src/index');
    const worker = createDeliveryWorker({
      queue: w.queue,
      resolver: createNodeResolver({ servers: [dns.address], timeout: 500, tries: 1 }),
      heloName: 'mta.test',
      port: w.port,
      allowPrivateAddresses: true,
      now: () => w.clock.t,
      tlsPolicy: 'mta-sts',
      mtaSts: createMtaStsResolver({
        resolver: createNodeResolver({ servers: [dns.address] }),
        fetch: async (url) => {
          expect(url).toBe('https://mta-sts.example.com/.well-known/mta-sts.txt');
          return { status: 200, headers: { get: () => 'text/plain' }, text: async () => policy };
        },
      }),
    });
    const id = await w.queue.enqueue({
      envelope: { reversePath: 'alice@example.org', recipients: [{ address: 'bob@example.com' }] },
      content: body('sts'),
    });
    await worker.processDue();
    expect(peers[0]!.connections + peers[1]!.connections).toBe(0);
    expect((await w.queue.inspect(id)).recipients[0]?.lastReason).toMatch(/^4\.7\.5 MTA-STS/);
  });

  it('connections to one MX are reused across messages (and closed by stop())', async () => {
    const w = await world(
      zone({ 'example.com': { mx: [{ priority: 10, exchange: 'mx1.example.com' }] } }),
      {},
      {},
      {
        concurrency: 1,
      },
    );
    for (let i = 0; i < 5; i++) {
      await w.queue.enqueue({
        envelope: { reversePath: 'alice@example.org', recipients: [{ address: `u${i}@example.com` }] },
        content: body(`reuse ${i}`),
      });
    }
    await w.worker.processDue();
    expect(peers[0]!.messages).toHaveLength(5);
    expect(peers[0]!.connections).toBe(1);
    await w.worker.stop();
  });

  it('sendDirect: per-recipient results, including "deferred — retry after T"', async () => {
    dns.setZone(zone({ 'busy.example': { mx: [{ priority: 10, exchange: 'mx2.example.com' }] } }));
    peers = await startPeers(
      ['127.0.0.11', '127.0.0.12'],
      [
        {
          rejectRecipients: (a) =>
            a.startsWith('nobody') && { code: 550, enhanced: '5.1.1', text: 'unknown' },
        },
        { replies: { rcpt: { code: 451, enhanced: '4.7.1', text: 'later' } } },
      ],
    );
    const t = Date.UTC(2026, 10, 29, 12);
    const results = await sendDirect(
      {
        from: 'app@example.org',
        to: ['bob@example.com', 'nobody@example.com', 'x@busy.example'],
        content: body('direct'),
      },
      {
        heloName: 'app.test',
        resolver: createNodeResolver({ servers: [dns.address], timeout: 500, tries: 1 }),
        port: peers[0]!.port,
        allowPrivateAddresses: true,
        now: () => t,
      },
    );
    expect(results.map((r) => [r.address, r.status, r.enhancedStatus])).toEqual([
      ['bob@example.com', 'delivered', '2.0.0'],
      ['nobody@example.com', 'failed', '5.1.1'],
      ['x@busy.example', 'deferred', '4.7.1'],
    ]);
    expect(results[2]?.retryAfter?.getTime()).toBe(t + 5 * MIN);
    expect(results[0]?.host).toBe('mx1.example.com');
  });
});
