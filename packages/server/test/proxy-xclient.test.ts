import { decodeProxyHeader } from '@smtpkit/server';
import { describe, expect, it } from 'vitest';
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
      expect(recorder.connections.map((c) => [c.remoteAddress, c.remotePort, c.via])).toEqual([
        ['203.0.113.9', 4242, 'proxy-v1'],
        ['198.51.100.7', 12345, 'proxy-v2'],
      ]);
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
