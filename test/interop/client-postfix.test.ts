/**
 * @smtpkit/client against a real Postfix smtpd on loopback (STARTTLS with a self-signed
 * certificate we trust explicitly): PIPELINING (Postfix logs "improper command pipelining"
 * when a client gets it wrong — asserted absent), CHUNKING, 8BITMIME, SMTPUTF8, DSN. Postfix
 * relays what it accepts to an smtp-sink, whose dumps show the message arrived intact.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectOptions, connect, createPool } from '@smtpkit/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programAvailability } from '../support/services';
import { type PostfixInstance, postfixUsable, startPostfix } from './harness/postfix';
import { SMTP_SINK, type SmtpSink, startSmtpSink } from './harness/smtp-sink';

const postfix = programAvailability('postfix');
const sinkAvailable = programAvailability(SMTP_SINK);
const usable = postfix.available && sinkAvailable.available && postfixUsable();
if (postfix.available && !postfixUsable()) process.stderr.write('skip: Postfix needs root\n');

const te = new TextEncoder();

describe.skipIf(!usable)(`client → Postfix smtpd (${postfix.reason || sinkAvailable.reason})`, () => {
  let pf: PostfixInstance;
  let sink: SmtpSink;
  let certDir: string;
  let ca: string;

  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'smtpkit-client-postfix-tls-'));
    chmodSync(certDir, 0o755);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(certDir, 'key.pem'),
        '-out',
        join(certDir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(certDir, 'cert.pem'), 'utf8');
    sink = await startSmtpSink([], { dump: true });
    pf = await startPostfix({
      nextHopPort: sink.port,
      mainCf: {
        smtpd_tls_cert_file: join(certDir, 'cert.pem'),
        smtpd_tls_key_file: join(certDir, 'key.pem'),
        smtpd_tls_security_level: 'may',
        smtpd_tls_loglevel: '1',
        smtputf8_enable: 'yes',
        // Keep pipelining checks strict: reject_unauth_pipelining logs the same complaint.
        smtpd_data_restrictions: 'reject_unauth_pipelining',
      },
    });
  });

  afterAll(async () => {
    // The whole run: Postfix never saw us pipeline where it must not.
    const log = pf?.log() ?? '';
    await pf?.stop();
    await sink?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
    expect(log).not.toMatch(/improper command pipelining/);
  });

  const options = (extra: Partial<ConnectOptions> = {}): ConnectOptions => ({
    host: '127.0.0.1',
    port: pf.port,
    security: 'starttls',
    tls: { ca },
    name: 'client.test',
    ...extra,
  });

  it('STARTTLS (verified against our CA) and the post-TLS capabilities', async () => {
    const client = await connect(options());
    expect(client.tls).toMatchObject({ authorized: true, via: 'starttls' });
    const caps = client.capabilities;
    expect(caps).toMatchObject({
      pipelining: true,
      chunking: true,
      eightBitMime: true,
      smtpUtf8: true,
      dsn: true,
    });
    expect(caps?.startTls).toBe(false); // RFC 3207 §4.2: not offered again after TLS
    await client.quit();
    await pf.waitForLog(/TLS connection established from/);
  });

  it('pipelined envelope + BDAT, 8-bit body, DSN NOTIFY/ORCPT/RET/ENVID: accepted and relayed intact', async () => {
    const body = te.encode(
      'From: a@example.com\r\nSubject: caf\u00e9\r\nMessage-ID: <bdat-1@client.test>\r\n\r\n.dot\r\nna\u00efve\r\n',
    );
    const client = await connect(options());
    const result = await client.sendMail(
      {
        from: 'a@example.com',
        to: [
          { address: 'b@example.org', notify: ['FAILURE'], orcpt: 'b@example.org' },
          { address: 'c@example.org', notify: ['NEVER'] },
        ],
        dsn: { ret: 'HDRS', envid: 'env-1' },
      },
      body,
    );
    await client.quit();
    expect(result.method).toBe('BDAT');
    expect(result.accepted).toEqual(['b@example.org', 'c@example.org']);
    expect(result.dataReply?.code).toBe(250);
    expect(result.tls?.authorized).toBe(true);
    expect(result.dsnDropped).toBe(false);
    await pf.waitForLog(/bdat-1@client\.test/);
    await pf.waitForLog(/status=sent/);
    const dump = sink.dumps().find((d) => d.includes('bdat-1@client.test'));
    expect(dump).toBeDefined();
    // smtp-sink dumps with LF line ends, after the headers Postfix added.
    expect(
      Buffer.from(dump ?? '', 'latin1')
        .toString('utf8')
        .replaceAll('\r\n', '\n'),
    ).toContain('\n\n.dot\nna\u00efve\n');
  });

  it('pipelined envelope + DATA (chunking off), multiple recipients', async () => {
    const client = await connect(options({ chunking: false }));
    const body = te.encode(
      'From: a@example.com\r\nMessage-ID: <data-1@client.test>\r\n\r\n..two dots\r\n.\r\nend\r\n',
    );
    const result = await client.sendMail(
      { from: 'a@example.com', to: ['x@example.org', 'y@example.org', 'z@example.org'] },
      body,
    );
    await client.quit();
    expect(result.method).toBe('DATA');
    expect(result.accepted).toHaveLength(3);
    await pf.waitForLog(/data-1@client\.test/);
  });

  it('SMTPUTF8 (RFC 6531): a UTF-8 mailbox is sent with the SMTPUTF8 parameter and accepted', async () => {
    const client = await connect(options());
    const result = await client.sendMail(
      { from: 'j\u00f6rg@example.com', to: ['\u00fcser@example.org'] },
      te.encode('From: j\u00f6rg@example.com\r\nMessage-ID: <utf8-1@client.test>\r\n\r\nhi\r\n'),
    );
    await client.quit();
    expect(result.accepted).toEqual(['\u00fcser@example.org']);
    await pf.waitForLog(/utf8-1@client\.test/);
  });

  it('a 5 MiB streamed body goes as pipelined BDAT chunks; Postfix stores all of it', async () => {
    const line = te.encode(`${'x'.repeat(76)}\r\n`);
    async function* stream() {
      yield te.encode('From: a@example.com\r\nMessage-ID: <big-1@client.test>\r\n\r\n');
      for (let i = 0; i < (5 * 1024 * 1024) / line.length; i++) yield line;
    }
    const client = await connect(options());
    const result = await client.sendMail({ from: 'a@example.com', to: ['big@example.org'] }, stream());
    await client.quit();
    expect(result.accepted).toEqual(['big@example.org']);
    await pf.waitForLog(/big-1@client\.test/);
    await pf.waitForLog(/size=5\d{6}/);
  });

  it('a pool of 3 connections delivers 30 messages', async () => {
    const pool = createPool({ ...options(), maxConnections: 3, maxMessagesPerConnection: 20 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        pool.sendMail(
          { from: 'a@example.com', to: [`p${i}@example.org`] },
          te.encode(`From: a@example.com\r\nMessage-ID: <pool-${i}@client.test>\r\n\r\nmessage ${i}\r\n`),
        ),
      ),
    );
    expect(results.every((r) => r.accepted.length === 1)).toBe(true);
    expect(pool.size).toBeLessThanOrEqual(3);
    await pool.close();
  });

  it('one pooled connection, DATA path: 20 concurrent sends, each pipelined MAIL/RCPT/DATA group accepted', async () => {
    const pool = createPool({ ...options({ chunking: false }), maxConnections: 1 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pool.sendMail(
          { from: 'a@example.com', to: [`q${i}@example.org`] },
          te.encode(`From: a@example.com\r\nMessage-ID: <chain-${i}@client.test>\r\n\r\nmessage ${i}\r\n`),
        ),
      ),
    );
    expect(results.every((r) => r.accepted.length === 1 && r.method === 'DATA')).toBe(true);
    await pool.close();
    await pf.waitForLog(/chain-19@client\.test/);
  });
});
