// Property: no packet, however malformed, crashes startDnsServer or stops it answering.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { createNodeResolver } from '@smtpkit/dns';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import * as packet from 'dns-packet';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dns: DnsServer;

beforeAll(async () => {
  dns = await startDnsServer({
    zone: {
      'example.test': {
        a: ['192.0.2.1'],
        mx: [{ priority: 1, exchange: 'mx.example.test' }],
        txt: ['x'.repeat(900)],
      },
      'www.example.test': { cname: 'example.test' },
      'slow.example.test': { fault: 'timeout' },
    },
  });
});

afterAll(async () => {
  await dns.close();
});

const validQuery = packet.encode({
  type: 'query',
  id: 4242,
  flags: packet.RECURSION_DESIRED,
  questions: [{ type: 'A', name: 'example.test' }],
});

/** Random bytes, and valid queries with random bytes overwritten (closer to the parser's edges). */
const packets = fc.oneof(
  fc.uint8Array({ maxLength: 700 }),
  fc
    .array(fc.tuple(fc.nat({ max: validQuery.length - 1 }), fc.integer({ min: 0, max: 255 })), {
      maxLength: 8,
    })
    .map((edits) => {
      const copy = Uint8Array.from(validQuery);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    }),
);

async function stillAnswers(): Promise<void> {
  const resolver = createNodeResolver({ servers: [dns.address], timeout: 500, tries: 2 });
  expect(await resolver.a('www.example.test')).toMatchObject({
    status: 'found',
    records: [{ address: '192.0.2.1' }],
  });
}

describe('startDnsServer survives arbitrary input (fast-check)', () => {
  it('random UDP datagrams', async () => {
    const socket = createSocket('udp4');
    const replies: Buffer[] = [];
    socket.on('message', (message) => replies.push(message));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      await fc.assert(
        fc.asyncProperty(packets, async (bytes) => {
          await new Promise<void>((resolve, reject) =>
            socket.send(bytes, dns.port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
          );
        }),
        { numRuns: 400 },
      );
      await stillAnswers();
      // Whatever it answered is a well-formed DNS response.
      for (const reply of replies) {
        expect(reply.length).toBeGreaterThanOrEqual(12);
        expect(reply.readUInt16BE(2) & 0x8000).toBe(0x8000);
      }
    } finally {
      socket.close();
    }
  });

  it('random length-prefixed TCP messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(packets, { minLength: 1, maxLength: 5 }), async (messages) => {
        const socket = connect(dns.port, '127.0.0.1');
        socket.on('data', () => {});
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        });
        for (const message of messages) {
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(message.length, 0);
          socket.write(Buffer.concat([prefix, message]));
        }
        await new Promise<void>((resolve) => socket.end(resolve));
        socket.destroy();
      }),
      { numRuns: 60 },
    );
    await stillAnswers();
  });
});
