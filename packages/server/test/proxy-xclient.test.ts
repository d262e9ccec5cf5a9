import { decodeProxyHeader } from '@smtpkit/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../src/core/crc32c';
import { RawClient, startServer } from './support/net';

const enc = (s: string) => Buffer.from(s, 'latin1');

function v2(family: 'v4' | 'v6'): Buffer {
  const sig = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  if (family === 'v4') {
    const body = Buffer.from([198, 51, 100, 7, 192, 0, 2, 1, 0x30, 0x39, 0, 25]);
    return Buffer.concat([sig, Buffer.from([0x21, 0x11, 0, body.length]), body]);
  }
  const body = Buffer.alloc(36);
  Buffer.from('20010db8000000000000000000000007', 'hex').copy(body, 0);
  Buffer.from('20010db8000000000000000000000001', 'hex').copy(body, 16);
  body.writeUInt16BE(40000, 32);
  body.writeUInt16BE(25, 34);
  return Buffer.concat([sig, Buffer.from([0x21, 0x21, 0, body.length]), body]);
}

describe('PROXY protocol header decoding (HAProxy spec v1 §2.1, v2 §2.2)', () => {
  it('v1 TCP4/TCP6/UNKNOWN, incomplete and malformed', () => {
    expect(decodeProxyHeader(enc('PROXY TCP4 192.0.2.1 192.0.2.2 5000 25\r\nEHLO'))).toEqual({
      status: 'done',
      consumed: 40,
      header: {
        version: 1,
        source: { address: '192.0.2.1', port: 5000 },
        destination: { address: '192.0.2.2', port: 25 },
      },
    });
    expect(decodeProxyHeader(enc('PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n'))).toMatchObject({
      status: 'done',
      header: { source: { address: '2001:db8::1', port: 1 } },
    });
    expect(decodeProxyHeader(enc('PROXY UNKNOWN\r\n'))).toEqual({
      status: 'done',
      consumed: 15,
      header: { version: 1 },
    });
    expect(decodeProxyHeader(enc('PROXY TCP4 192.0.2'))).toEqual({ status: 'incomplete' });
    expect(decodeProxyHeader(enc('PROXY TCP4 999.0.2.1 192.0.2.2 5000 25\r\n')).status).toBe('error');
    expect(decodeProxyHeader(enc(`PROXY ${'x'.repeat(200)}`)).status).toBe('error');
    expect(decodeProxyHeader(enc('EHLO x\r\n')).status).toBe('error');
  });

  it('v2 IPv4 and IPv6, split anywhere', () => {
    const h4 = v2('v4');
    for (let i = 0; i < h4.length; i++)
      expect(decodeProxyHeader(h4.subarray(0, i)).status).toBe('incomplete');
    expect(decodeProxyHeader(h4)).toMatchObject({
      status: 'done',
      consumed: 28,
      header: { version: 2, source: { address: '198.51.100.7', port: 12345 } },
    });
    expect(decodeProxyHeader(v2('v6'))).toMatchObject({
      header: { source: { address: '2001:db8::7', port: 40000 }, destination: { address: '2001:db8::1' } },
    });
  });
});

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const tlv = (type: number, value: Buffer) =>
  Buffer.concat([Buffer.from([type, value.length >> 8, value.length & 0xff]), value]);

/** A v2 PROXY header for 198.51.100.7:12345 → 192.0.2.1:25 (or AF_UNIX) with the given TLVs. */
function v2WithTlvs(tlvs: readonly Buffer[], family: 'v4' | 'unix' = 'v4'): Buffer {
  const addresses =
    family === 'v4' ? Buffer.from([198, 51, 100, 7, 192, 0, 2, 1, 0x30, 0x39, 0, 25]) : Buffer.alloc(216);
  const body = Buffer.concat([addresses, ...tlvs]);
  const head = Buffer.from([0x21, family === 'v4' ? 0x11 : 0x31, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([SIGNATURE, head, body]);
}

/** Fills in the CRC-32C value at `valueAt` as a proxy would: over the header with the field zeroed. */
function withChecksum(header: Buffer, valueAt: number): Buffer {
  header.fill(0, valueAt, valueAt + 4);
  header.writeUInt32BE(crc32c(header), valueAt);
  return header;
}

describe('PROXY v2 TLVs (HAProxy spec §2.2.7–§2.2.8)', () => {
  it('CRC-32C is Castagnoli (RFC 3720 §B.4 check value)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });

  it('ALPN, authority, unique id, SSL with its sub-TLVs, netns, unknown and NOOP TLVs; checksum verified', () => {
    const ssl = Buffer.concat([
      Buffer.from([0x07, 0, 0, 0, 0]),
      tlv(0x21, Buffer.from('TLSv1.3')),
      tlv(0x22, Buffer.from('client.example')),
      tlv(0x23, Buffer.from('TLS_AES_128_GCM_SHA256')),
      tlv(0x24, Buffer.from('SHA256')),
      tlv(0x25, Buffer.from('RSA2048')),
    ]);
    const uniqueId = Buffer.from('0123456789abcdef');
    const tlvs = [
      tlv(0x01, Buffer.from('smtp')),
      tlv(0x02, Buffer.from('mx.example.com')),
      tlv(0x05, uniqueId),
      tlv(0x20, ssl),
      tlv(0x30, Buffer.from('blue')),
      tlv(0xe0, Buffer.from([1, 2, 3])),
      tlv(0x04, Buffer.alloc(3)),
      tlv(0x03, Buffer.alloc(4)),
    ];
    const header = v2WithTlvs(tlvs);
    withChecksum(header, header.length - 4);
    const result = decodeProxyHeader(Buffer.concat([header, Buffer.from('EHLO x\r\n')]));
    expect(result.status).toBe('done');
    if (result.status !== 'done') return;
    expect(result.consumed).toBe(header.length);
    expect(result.header).toMatchObject({
      version: 2,
      source: { address: '198.51.100.7', port: 12345 },
      alpn: 'smtp',
      authority: 'mx.example.com',
      netns: 'blue',
      ssl: {
        tls: true,
        certificateOnConnection: true,
        certificateInSession: true,
        verified: true,
        version: 'TLSv1.3',
        commonName: 'client.example',
        cipher: 'TLS_AES_128_GCM_SHA256',
        signatureAlgorithm: 'SHA256',
        keyAlgorithm: 'RSA2048',
      },
    });
    expect(Buffer.from(result.header.uniqueId!)).toEqual(uniqueId);
    expect(result.header.tlvs!.map((t) => t.type)).toEqual([0x01, 0x02, 0x05, 0x20, 0x30, 0xe0, 0x04, 0x03]);
    // Any octet changed breaks the checksum.
    for (const at of [0, 13, 17, 40, header.length - 5]) {
      const tampered = Buffer.from(header);
      tampered[at] ^= 0x01;
      expect(decodeProxyHeader(tampered).status).toBe('error');
    }
  });

  it('an unverified client certificate, and AF_UNIX with TLVs (no address taken)', () => {
    const ssl = Buffer.concat([Buffer.from([0x03, 0, 0, 0, 5])]);
    const r = decodeProxyHeader(v2WithTlvs([tlv(0x20, ssl), tlv(0x02, Buffer.from('a.example'))], 'unix'));
    expect(r).toMatchObject({
      status: 'done',
      header: { version: 2, authority: 'a.example', ssl: { tls: true, verified: false } },
    });
    if (r.status === 'done') expect(r.header.source).toBeUndefined();
  });

  it('malformed TLVs are refused, with the reason', () => {
    const cases: [Buffer, RegExp][] = [
      [v2WithTlvs([Buffer.from([0x02, 0x00, 0x0a, 0x61])]), /malformed PROXY v2 TLV/],
      [v2WithTlvs([Buffer.from([0x02, 0x00])]), /malformed PROXY v2 TLV/],
      [v2WithTlvs([tlv(0x20, Buffer.from([1, 0, 0]))]), /SSL TLV shorter/],
      [v2WithTlvs([tlv(0x20, Buffer.from([1, 0, 0, 0, 0, 0x21, 0, 9]))]), /SSL sub-TLV/],
      [v2WithTlvs([tlv(0x05, Buffer.alloc(129))]), /unique id longer/],
      [v2WithTlvs([tlv(0x02, Buffer.from([0xff, 0xfe]))]), /not UTF-8/],
      [v2WithTlvs([tlv(0x03, Buffer.alloc(3))]), /CRC-32C TLV is not 4/],
      [v2WithTlvs([tlv(0x03, Buffer.alloc(4))]), /checksum does not match/],
    ];
    for (const [header, reason] of cases) {
      const r = decodeProxyHeader(header);
      expect(r.status).toBe('error');
      if (r.status === 'error') expect(r.message).toMatch(reason);
    }
  });

  it('fast-check: any TLV list round-trips; arbitrary octets after the signature never throw', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.integer({ min: 0x06, max: 0x1f }),
            value: fc.uint8Array({ maxLength: 200 }),
          }),
          { maxLength: 12 },
        ),
        (list) => {
          const header = v2WithTlvs(list.map((t) => tlv(t.type, Buffer.from(t.value))));
          const r = decodeProxyHeader(header);
          if (header.length > 16 + 4096) return r.status === 'error';
          return (
            r.status === 'done' &&
            r.consumed === header.length &&
            JSON.stringify(r.header.tlvs!.map((t) => [t.type, [...t.value]])) ===
              JSON.stringify(list.map((t) => [t.type, [...t.value]]))
          );
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (rest) => {
        const r = decodeProxyHeader(Buffer.concat([SIGNATURE, rest]));
        return r.status === 'incomplete' || r.status === 'error' || r.consumed <= 12 + rest.length;
      }),
    );
  });
});

describe('PROXY and XCLIENT over sockets: only from trusted addresses', () => {
  it('a trusted proxy sends v1 or v2; the backend sees the real client', async () => {
    const { server, port, recorder } = await startServer({ trustedProxies: ['127.0.0.0/8'] });
    try {
      const a = await RawClient.connect(port);
      a.write('PROXY TCP4 203.0.113.9 192.0.2.2 4242 25\r\nEHLO c\r\n');
      expect(await a.reply()).toMatch(/^220 /);
      expect(await a.reply()).toMatch(/^250-/);
      a.close();
      const b = await RawClient.connect(port);
      b.write(v2('v4'));
      expect(await b.reply()).toMatch(/^220 /);
      b.close();
      const c = await RawClient.connect(port);
      c.write(v2WithTlvs([tlv(0x02, Buffer.from('mx.example.com')), tlv(0x05, Buffer.from('id-1'))]));
      expect(await c.reply()).toMatch(/^220 /);
      c.close();
      expect(recorder.connections.map((c) => [c.remoteAddress, c.remotePort, c.via])).toEqual([
        ['203.0.113.9', 4242, 'proxy-v1'],
        ['198.51.100.7', 12345, 'proxy-v2'],
        ['198.51.100.7', 12345, 'proxy-v2'],
      ]);
      // The backend sees what the header said, TLVs included.
      expect(recorder.connections[0]!.proxy).toMatchObject({ version: 1 });
      expect(recorder.connections[2]!.proxy).toMatchObject({ version: 2, authority: 'mx.example.com' });
      // From a trusted proxy a missing header is a dropped connection, not a session.
      const bad = await RawClient.connect(port);
      bad.write('EHLO c\r\n');
      expect(await bad.untilClosed()).toBe('');
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('an untrusted client cannot send a PROXY header (it is just a bad command)', async () => {
    const { server, port, recorder } = await startServer({});
    try {
      const a = await RawClient.connect(port);
      await a.reply();
      expect(await a.command('PROXY TCP4 203.0.113.9 192.0.2.2 4242 25')).toMatch(/^500 /);
      a.close();
      expect(recorder.connections[0]!.remoteAddress).toBe('127.0.0.1');
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('XCLIENT from a trusted address restarts the session as the named client', async () => {
    const { server, port, recorder } = await startServer({ trustedXclient: ['127.0.0.1'] });
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      expect(await c.command('EHLO filter')).toMatch(/250.XCLIENT NAME ADDR/);
      expect(
        await c.command('XCLIENT NAME=client.example ADDR=203.0.113.5 PORT=5555 LOGIN=alice HELO=x'),
      ).toMatch(/^220 mx\.test /);
      expect(await c.command('MAIL FROM:<a@example.org>')).toMatch(/^503 /);
      await c.command('EHLO client.example');
      expect(await c.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
      c.close();
      expect(recorder.connections[1]).toMatchObject({
        remoteAddress: '203.0.113.5',
        remotePort: 5555,
        clientHostname: 'client.example',
        login: 'alice',
        via: 'xclient',
      });
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('on an XCLIENT-trusted connection other commands keep the 512-octet line limit', async () => {
    const { server, port } = await startServer({ trustedXclient: ['127.0.0.1'] });
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      await c.command('EHLO filter');
      // 600 octets: over RFC 5321 §4.5.3.1.4's 512 for a command, fine for an XCLIENT line.
      expect(await c.command(`MAIL FROM:<${'a'.repeat(560)}@example.org>`)).toBe(
        '500 5.5.2 Line too long\r\n',
      );
      expect(await c.command(`XCLIENT NAME=${'n'.repeat(40)}.example HELO=${'h'.repeat(540)}`)).toMatch(
        /^220 /,
      );
      await c.command('EHLO client.example');
      expect(await c.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
      c.close();
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('XCLIENT from anyone else is an unknown command', async () => {
    const { server, port } = await startServer({ trustedXclient: ['10.0.0.1'] });
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      expect(await c.command('EHLO filter')).not.toContain('XCLIENT');
      expect(await c.command('XCLIENT ADDR=203.0.113.5')).toMatch(/^500 /);
      c.close();
    } finally {
      await server.close({ deadline: 100 });
    }
  });
});
