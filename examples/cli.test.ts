// The offline examples run as a user would run them: sign.ts, check-spf.ts with a zone file,
// queue.ts on a temporary SQLite queue, receive.ts against a loopback DNS server; the others
// at least answer --help.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendMail } from '@smtpkit/client';
import { verifyMessage } from '@smtpkit/dkim';
import { createStaticResolver } from '@smtpkit/dns';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';
import { createTestCertificates, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMaildir } from './lib/maildir';
import { runExample, startExample } from './lib/run-example';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smtpkit-examples-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('sign.ts', () => {
  it('prints the key record and signs a message that verifies against it', async () => {
    const key = join(dir, 'dkim.pem');
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
    await writeFile(key, pem);
    await writeFile(join(dir, 'm.eml'), 'From: a@example.com\nTo: b@example.org\nSubject: hi\n\nhello\n');
    const record = await runExample([
      'examples/sign.ts',
      '--key',
      key,
      '--print-record',
      '--domain',
      'example.com',
      '--selector',
      's1',
    ]);
    expect(record.code, record.output).toBe(0);
    const txt = /^s1\._domainkey\.example\.com\. IN TXT "(.*)"$/m.exec(record.output)?.[1] ?? '';
    expect(txt).toMatch(/^v=DKIM1; k=ed25519; p=/);
    const signed = await runExample([
      'examples/sign.ts',
      '--key',
      key,
      '--domain',
      'example.com',
      '--selector',
      's1',
      join(dir, 'm.eml'),
    ]);
    expect(signed.code, signed.output).toBe(0);
    const resolver = createStaticResolver({ 's1._domainkey.example.com': { txt: [txt] } });
    const [result] = await verifyMessage(new TextEncoder().encode(signed.output), { resolver });
    expect(result?.status).toBe('pass');
  });

  it('says what is wrong with a missing key file (exit 2)', async () => {
    const { code, output } = await runExample([
      'examples/sign.ts',
      '--key',
      join(dir, 'none.pem'),
      '--domain',
      'd.example',
      '--selector',
      's',
    ]);
    expect(code).toBe(2);
    expect(output).toMatch(/error: --key: ENOENT/);
  });
});

describe('check-spf.ts', () => {
  it('evaluates against a --zone file: pass, then fail with -all', async () => {
    const zone = join(dir, 'zone.json');
    await writeFile(zone, JSON.stringify({ 'example.com': { txt: ['v=spf1 ip4:192.0.2.0/24 -all'] } }));
    const pass = await runExample([
      'examples/check-spf.ts',
      '--ip',
      '192.0.2.10',
      '--sender',
      'a@example.com',
      '--zone',
      zone,
    ]);
    expect(pass.code, pass.output).toBe(0);
    expect(pass.output).toMatch(/Authentication-Results: localhost; spf=pass smtp\.mailfrom=a@example\.com/);
    const fail = await runExample([
      'examples/check-spf.ts',
      '--ip',
      '198.51.100.1',
      '--sender',
      'a@example.com',
      '--zone',
      zone,
    ]);
    expect(fail.output).toMatch(/result: +fail \(mechanism -all\)/);
  });

  it('refuses a bad --ip with the usage (exit 2)', async () => {
    const { code, output } = await runExample([
      'examples/check-spf.ts',
      '--ip',
      'nope',
      '--sender',
      'a@example.com',
    ]);
    expect(code).toBe(2);
    expect(output).toMatch(/'nope' is not an IPv4 or IPv6 address[\s\S]*usage: check-spf/);
  });
});

describe('queue.ts', () => {
  it('lists, holds, releases, retries and deletes on a SQLite queue', async () => {
    const path = join(dir, 'queue.sqlite');
    const queue = createSqliteQueue({ path });
    const id = await queue.enqueue({
      envelope: { reversePath: 'alice@example.com', recipients: [{ address: 'bob@example.org' }] },
      content: new TextEncoder().encode('Subject: queued\r\n\r\nhi\r\n'),
    });
    await queue.close();
    const run = (...args: string[]) => runExample(['examples/queue.ts', '--queue', path, ...args]);
    expect((await run('list')).output).toContain(`${id}  queued   <alice@example.com>  1/1`);
    expect((await run('hold', id)).output).toContain(`${id} held`);
    expect((await run('show', id)).output).toMatch(/held[\s\S]*bob@example\.org: pending/);
    expect((await run('release', id)).output).toContain(`${id} released`);
    expect((await run('retry', id)).output).toContain('1 recipient(s) due now');
    expect((await run('delete', id)).output).toContain(`${id} deleted`);
    const missing = await run('show', id);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('ERR_SMTP_QUEUE_NOT_FOUND');
  });
});

describe('the examples that need the internet', () => {
  it.each(['send-direct', 'send-smarthost', 'receive', 'relay'])(
    '%s.ts --help says how to run it',
    async (name) => {
      const { code, output } = await runExample([`examples/${name}.ts`, '--help']);
      expect(code).toBe(0);
      expect(output).toMatch(new RegExp(`^usage: (SMTP_PASS=\\.\\.\\. )?${name} `));
    },
  );
});

describe('receive.ts', () => {
  it('accepts mail for its domain only, and stores it with Authentication-Results', async () => {
    const dns = await startDnsServer({
      zone: {
        'example.com': { txt: ['v=spf1 ip4:127.0.0.1 -all'] },
        'client.example.com': { a: ['127.0.0.1'] },
      },
    });
    const maildir = join(dir, 'receive-maildir');
    const port = await freePort();
    const server = await startExample(
      [
        'examples/receive.ts',
        '--domain',
        'example.org',
        '--maildir',
        maildir,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--resolver',
        dns.address,
      ],
      /receiving for example\.org/,
    );
    try {
      const body = new TextEncoder().encode('From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n');
      const base = { host: '127.0.0.1', port, name: 'client.example.com', security: 'none' as const, body };
      const result = await sendMail({
        ...base,
        envelope: { from: 'a@example.com', to: ['bob@example.org', 'eve@example.net'] },
      });
      expect(result.accepted).toEqual(['bob@example.org']);
      expect(result.rejected).toEqual(['eve@example.net']); // 550 5.7.1: not an open relay
      const [stored = ''] = await readMaildir(maildir, 'bob@example.org');
      expect(stored).toMatch(
        /^Authentication-Results: localhost;\r\n\tspf=pass smtp\.mailfrom=a@example\.com;\r\n\tdkim=none/,
      );
      expect(stored).toContain('\r\n\r\nhello\r\n');
    } finally {
      await server.stop();
      await dns.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

describe('relay.ts and queue.ts', () => {
  it('relays only for users from the file, over STARTTLS; never to a loopback MX; bounces', async () => {
    const certs = await createTestCertificates({ names: ['smtp.example.com'] });
    await writeFile(join(dir, 'cert.pem'), certs.server.cert);
    await writeFile(join(dir, 'key.pem'), certs.server.key);
    await writeFile(join(dir, 'users.txt'), '# address password\nalice@example.com s3cret\n');
    // example.org's MX is on loopback: the worker must not connect there (no private addresses),
    // so the message fails at once and the DSN to alice (whose domain does not exist) fails too.
    const dns = await startDnsServer({
      zone: {
        'example.org': { mx: [{ priority: 10, exchange: 'mx.example.org' }] },
        'mx.example.org': { a: ['127.0.0.1'] },
      },
    });
    const queuePath = join(dir, 'relay', 'queue.sqlite');
    const port = await freePort();
    const relay = await startExample(
      [
        'examples/relay.ts',
        ...['--hostname', 'smtp.example.com', '--host', '127.0.0.1', '--port', String(port)],
        ...[
          '--cert',
          join(dir, 'cert.pem'),
          '--key',
          join(dir, 'key.pem'),
          '--users',
          join(dir, 'users.txt'),
        ],
        ...['--queue', queuePath, '--spool', join(dir, 'relay', 'spool'), '--resolver', dns.address],
      ],
      /submission on/,
    );
    try {
      const base = {
        host: '127.0.0.1',
        port,
        security: 'starttls' as const,
        tls: { ca: certs.ca.cert, servername: 'smtp.example.com' },
        envelope: { from: 'alice@example.com', to: ['bob@example.org'] },
        body: new TextEncoder().encode('From: alice@example.com\r\nSubject: relayed\r\n\r\nhi\r\n'),
      };
      await expect(sendMail(base)).rejects.toMatchObject({ replyCode: 530 });
      await expect(
        sendMail({ ...base, auth: { user: 'alice@example.com', pass: 'wrong' } }),
      ).rejects.toMatchObject({
        replyCode: 535,
      });
      const sent = await sendMail({ ...base, auth: { user: 'alice@example.com', pass: 's3cret' } });
      expect(sent.accepted).toEqual(['bob@example.org']);
      expect(sent.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
      // The worker picks the message up at once; wait for it to finish before stopping.
      for (
        let i = 0;
        i < 100 && !/DSN \(failed\)[\s\S]*alice@example\.com: failed/.test(relay.output());
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      expect(await relay.stop()).toBe(0);
      await dns.close();
    }
    expect(relay.output()).toMatch(
      /queued \S+ <alice@example\.com> -> bob@example\.org \(not signed, TLSv1\.[23]\)/,
    );
    expect(relay.output()).toMatch(
      /bob@example\.org: failed 5\.4\.4 \(no MX host for example\.org has a usable address\)/,
    );
    expect(relay.output()).toMatch(/DSN \(failed\) for \S+ queued to <alice@example\.com>/);
    const stats = await runExample(['examples/queue.ts', '--queue', queuePath, 'stats']);
    expect(stats.output).toMatch(/^0 message\(s\)/);
  });
});
