// Client reputation wired into a real server backend over loopback: refused at connect with
// the DNSBL's reply, or at MAIL with the FCrDNS reply once the HELO name is known.
import { connect } from 'node:net';
import { checkDnsbl, createStaticResolver, reverseName, verifyReverseDns, type Zone } from '@smtpkit/dns';
import { createServer, type SmtpServer } from '@smtpkit/server';
import { type ClientReputation, createClientReputation } from '@smtpkit/server/policy';
import { afterEach, describe, expect, it } from 'vitest';

/** Connects, sends `lines` one by one after each reply, returns every reply line received. */
async function converse(port: number, lines: readonly string[]): Promise<string[]> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setEncoding('latin1');
  const replies: string[] = [];
  let buffered = '';
  let pending = [...lines];
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end = buffered.indexOf('\r\n');
      while (end >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        replies.push(line);
        if (/^\d{3} /.test(line)) {
          const next = pending[0];
          pending = pending.slice(1);
          if (next === undefined) socket.end();
          else socket.write(`${next}\r\n`);
        }
        end = buffered.indexOf('\r\n');
      }
    });
  });
  return replies;
}

function serverWith(reputation: ClientReputation): SmtpServer {
  return createServer({
    hostname: 'mx.example.test',
    backend: {
      async openSession(connection, signal) {
        // At connect: blocklists (the HELO name is not known yet).
        const atConnect = await reputation.check({ clientAddress: connection.remoteAddress }, signal);
        if (atConnect.error && atConnect.dnsbl.some((f) => f.status === 'listed')) throw atConnect.error;
        return {
          async mail(_path, _params, context) {
            // At MAIL, with the HELO name: FCrDNS decides.
            const verdict = await reputation.check(
              {
                clientAddress: connection.remoteAddress,
                ...(context.heloName ? { helo: context.heloName } : {}),
              },
              context.signal,
            );
            if (verdict.error) throw verdict.error;
          },
          rcpt() {},
          async data(body) {
            for await (const _ of body);
          },
        };
      },
    },
  });
}

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createClientReputation in a backend (loopback client 127.0.0.1)', () => {
  it('a reject zone listing refuses the connection: 550 5.7.1 ... listed at <zone>: <TXT>', async () => {
    const zone: Zone = { '1.0.0.127.block.test': { a: ['127.0.0.2'], txt: ['test listing'] } };
    const resolver = createStaticResolver(zone);
    server = serverWith(
      createClientReputation({
        checkDnsbl: (ip, zones, signal) => checkDnsbl(ip, zones, { resolver, ...(signal ? { signal } : {}) }),
        zones: [{ zone: 'block.test', action: 'reject' }],
      }),
    );
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    const replies = await converse(port, []);
    expect(replies[0]).toBe('550 5.7.1 Client host [127.0.0.1] listed at block.test: test listing');
  });

  it('FCrDNS required: no PTR → 550 5.7.25 at MAIL; SERVFAIL → 450 4.7.25 (RFC 7372 §3.3)', async () => {
    for (const [zone, expected] of [
      [{}, '550 5.7.25 Reverse DNS validation failed for [127.0.0.1]: no PTR record for 127.0.0.1'],
      [
        { [reverseName('127.0.0.1')]: { fault: 'servfail' } },
        '450 4.7.25 Reverse DNS validation failed temporarily for [127.0.0.1], try again later',
      ],
    ] as const) {
      const resolver = createStaticResolver(zone);
      server = serverWith(
        createClientReputation({
          verifyReverseDns: (ip, signal) => verifyReverseDns(ip, { resolver, ...(signal ? { signal } : {}) }),
          fcrdns: 'required',
        }),
      );
      const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
      const replies = await converse(port, [
        'EHLO client.example.test',
        'MAIL FROM:<a@example.test>',
        'QUIT',
      ]);
      expect(replies.find((l) => l.startsWith('5') || l.startsWith('4'))).toBe(expected);
      await server.close();
      server = undefined;
    }
  });

  it('FCrDNS confirmed: MAIL accepted', async () => {
    const resolver = createStaticResolver({
      [reverseName('127.0.0.1')]: { ptr: ['client.example.test'] },
      'client.example.test': { a: ['127.0.0.1'] },
    });
    server = serverWith(
      createClientReputation({
        verifyReverseDns: (ip, signal) => verifyReverseDns(ip, { resolver, ...(signal ? { signal } : {}) }),
        fcrdns: 'required',
      }),
    );
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    const replies = await converse(port, ['EHLO client.example.test', 'MAIL FROM:<a@example.test>', 'QUIT']);
    expect(replies.filter((l) => /^[45]/.test(l))).toEqual([]);
    expect(replies.at(-2)).toMatch(/^250 /); // MAIL accepted
    expect(replies.at(-1)).toMatch(/^221 /);
  });
});
