/**
 * SCRAM-SHA-256-PLUS (RFC 5802 §6, RFC 9266 tls-exporter) on the server: offered only with
 * binding data, the binding checked in c=, and the "y" flag refused where -PLUS is offered.
 * The client side of each exchange is computed here, independently of both packages.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { type AuthRequest, type ChannelBinding, deriveScramCredentials } from '@smtpkit/server';
import { describe, expect, it } from 'vitest';
import { Harness } from './support/harness';

const b64 = (bytes: string | Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
const BINDING: ChannelBinding = { type: 'tls-exporter', data: Buffer.alloc(32, 0x5a) };
const scram = deriveScramCredentials('secret', Buffer.from('0123456789abcdef'), 4096);

function harness(channelBinding?: ChannelBinding) {
  const requests: AuthRequest[] = [];
  const h = new Harness(
    {
      secure: true,
      ...(channelBinding === undefined ? {} : { channelBinding }),
      authMechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'PLAIN'],
      limits: { authFailureDelay: 0 },
    },
    (call) => {
      if (call.kind === 'auth') requests.push(call.request);
      if (call.kind === 'scram-credentials') return call.username === 'alice' ? scram : undefined;
      return undefined;
    },
  );
  h.start();
  h.send('EHLO c\r\n');
  return { h, requests };
}

/** Runs a whole exchange as a client would, with `cbindData` in c= (what the client sees). */
function exchange(
  h: Harness,
  mechanism: string,
  gs2: string,
  cbindData: Uint8Array = new Uint8Array(0),
): { first: string; final?: string; ack?: string } {
  const clientFirstBare = 'n=alice,r=fyko+d2lbbFgONRv9qkxdawL';
  const first = h.send(`AUTH ${mechanism} ${b64(`${gs2}${clientFirstBare}`)}\r\n`);
  if (!first.startsWith('334 ')) return { first };
  const serverFirst = unb64(first.slice(4, -2));
  const m = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(serverFirst)!;
  const salted = pbkdf2Sync('secret', Buffer.from(m[2]!, 'base64'), Number(m[3]), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=${b64(Buffer.concat([Buffer.from(gs2), cbindData]))},r=${m[1]}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = b64(clientKey.map((b, i) => b ^ signature[i]!));
  const final = h.send(`${b64(`${withoutProof},p=${proof}`)}\r\n`);
  if (!final.startsWith('334 ')) return { first, final };
  return { first, final, ack: h.send('\r\n') };
}

describe('SCRAM-SHA-256-PLUS (RFC 5802 §6, RFC 9266)', () => {
  it('is offered only where the connection has binding data', () => {
    expect(harness().h.send('EHLO c\r\n')).toContain('250-AUTH SCRAM-SHA-256 PLAIN\r\n');
    expect(harness(BINDING).h.send('EHLO c\r\n')).toContain(
      '250-AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN\r\n',
    );
    expect(harness().h.send('AUTH SCRAM-SHA-256-PLUS\r\n')).toMatch(/^504 5\.5\.4 /);
  });

  it("p=tls-exporter with the channel's binding data authenticates as -PLUS", () => {
    const { h, requests } = harness(BINDING);
    const r = exchange(h, 'SCRAM-SHA-256-PLUS', 'p=tls-exporter,,', BINDING.data);
    expect(r.ack).toBe('235 2.7.0 Authentication successful\r\n');
    expect(requests).toEqual([{ mechanism: 'SCRAM-SHA-256-PLUS', username: 'alice' }]);
  });

  it('binding data of another channel (a relaying man in the middle) fails with 535', () => {
    const { h, requests } = harness(BINDING);
    const r = exchange(h, 'SCRAM-SHA-256-PLUS', 'p=tls-exporter,,', Buffer.alloc(32, 0x5b));
    expect(r.final).toBe('535 5.7.8 Authentication credentials invalid\r\n');
    expect(requests).toEqual([]);
  });

  it('the flag must fit the mechanism: -PLUS takes only p=tls-exporter, plain SCRAM never p=', () => {
    for (const [mechanism, gs2] of [
      ['SCRAM-SHA-256-PLUS', 'n,,'],
      ['SCRAM-SHA-256-PLUS', 'y,,'],
      ['SCRAM-SHA-256-PLUS', 'p=tls-unique,,'],
      ['SCRAM-SHA-256', 'p=tls-exporter,,'],
    ] as const) {
      const { h } = harness(BINDING);
      expect(exchange(h, mechanism, gs2).first, `${mechanism} ${gs2}`).toMatch(/^501 5\.5\.2 /);
    }
  });

  it('"y" (the client could bind but saw no -PLUS) is a stripped offer where we offer it: 535', () => {
    const bound = harness(BINDING);
    expect(exchange(bound.h, 'SCRAM-SHA-256', 'y,,').first).toBe(
      '535 5.7.8 Authentication credentials invalid\r\n',
    );
    // Without binding data we offer no -PLUS: "y" is the honest answer and succeeds.
    const unbound = harness();
    expect(exchange(unbound.h, 'SCRAM-SHA-256', 'y,,').ack).toBe('235 2.7.0 Authentication successful\r\n');
    expect(unbound.requests).toEqual([{ mechanism: 'SCRAM-SHA-256', username: 'alice' }]);
  });

  it('plain SCRAM with "n" still works on a bound connection, and c= must repeat the header', () => {
    const { h } = harness(BINDING);
    expect(exchange(h, 'SCRAM-SHA-256', 'n,,').ack).toBe('235 2.7.0 Authentication successful\r\n');
    const other = harness(BINDING);
    // The header's binding data attached to a non-PLUS exchange: c= no longer matches.
    expect(exchange(other.h, 'SCRAM-SHA-256', 'n,,', BINDING.data).final).toBe(
      '535 5.7.8 Authentication credentials invalid\r\n',
    );
  });

  it('after STARTTLS the binding given to tlsEstablished() is the one offered and checked', () => {
    const requests: AuthRequest[] = [];
    const h = new Harness(
      { tlsAvailable: true, authMechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] },
      (call) => {
        if (call.kind === 'auth') requests.push(call.request);
        if (call.kind === 'scram-credentials') return scram;
        return undefined;
      },
    );
    h.start();
    h.send('EHLO c\r\n');
    expect(h.send('STARTTLS\r\n')).toMatch(/^220 /);
    h.session.tlsEstablished(BINDING);
    expect(h.send('EHLO c\r\n')).toContain('AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256');
    expect(exchange(h, 'SCRAM-SHA-256-PLUS', 'p=tls-exporter,,', BINDING.data).ack).toMatch(/^235 /);
    expect(requests.map((r) => r.mechanism)).toEqual(['SCRAM-SHA-256-PLUS']);
  });
});
