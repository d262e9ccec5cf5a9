import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { type AuthRequest, deriveScramCredentials } from '@smtpkit/server';
import { SmtpReplyError } from '@smtpkit/wire';
import { describe, expect, it } from 'vitest';
import { codes, Harness } from './support/harness';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** A backend that knows alice/secret, for every mechanism. */
function judge(request: AuthRequest): void {
  const ok =
    request.username === 'alice' &&
    (request.mechanism === 'PLAIN' || request.mechanism === 'LOGIN'
      ? request.password === 'secret'
      : request.mechanism === 'CRAM-MD5'
        ? request.verify('secret')
        : request.mechanism === 'XOAUTH2'
          ? request.token === 'tok'
          : true);
  if (!ok)
    throw new SmtpReplyError({ code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] });
}

const salt = Buffer.from('0123456789abcdef');
const scram = deriveScramCredentials('secret', salt, 4096);

function authHarness(extra: ConstructorParameters<typeof Harness>[0] = {}) {
  const h = new Harness(
    {
      secure: true,
      authMechanisms: ['SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'XOAUTH2'],
      limits: { authFailureDelay: 0 },
      ...extra,
    },
    (call) => {
      if (call.kind === 'auth') return judge(call.request);
      if (call.kind === 'scram-credentials') return call.username === 'alice' ? scram : undefined;
      return undefined;
    },
  );
  h.start();
  return h;
}

describe('RFC 4954 AUTH', () => {
  it('§4: AUTH is offered only over TLS unless allowInsecureAuth', () => {
    const plain = new Harness({ authMechanisms: ['PLAIN'] });
    plain.start();
    expect(plain.send('EHLO c\r\n')).not.toContain('AUTH');
    expect(plain.send('AUTH PLAIN\r\n')).toMatch(/^538 5\.7\.11 /);
    const insecure = new Harness({ authMechanisms: ['PLAIN', 'LOGIN'], allowInsecureAuth: true });
    insecure.start();
    expect(insecure.send('EHLO c\r\n')).toContain('250-AUTH PLAIN LOGIN\r\n');
  });

  it('RFC 4616 PLAIN with an initial response', () => {
    const h = authHarness();
    h.send('EHLO c\r\n');
    expect(h.send(`AUTH PLAIN ${b64('\0alice\0secret')}\r\n`)).toBe(
      '235 2.7.0 Authentication successful\r\n',
    );
    expect(h.session.authenticatedAs).toBe('alice');
    expect(h.send('AUTH PLAIN\r\n')).toMatch(/^503 5\.5\.1 /);
  });

  it('PLAIN without an initial response: empty 334, then the response', () => {
    const h = authHarness();
    h.send('EHLO c\r\n');
    expect(h.send('AUTH PLAIN\r\n')).toBe('334 \r\n');
    expect(h.send(`${b64('\0alice\0wrong')}\r\n`)).toBe('535 5.7.8 Authentication credentials invalid\r\n');
  });

  it('LOGIN: Username: and Password: prompts', () => {
    const h = authHarness();
    h.send('EHLO c\r\n');
    expect(h.send('AUTH LOGIN\r\n')).toBe(`334 ${b64('Username:')}\r\n`);
    expect(h.send(`${b64('alice')}\r\n`)).toBe(`334 ${b64('Password:')}\r\n`);
    expect(h.send(`${b64('secret')}\r\n`)).toBe('235 2.7.0 Authentication successful\r\n');
  });

  it('RFC 2195 CRAM-MD5: the digest of the challenge with the password', () => {
    const h = authHarness();
    h.send('EHLO c\r\n');
    const challenge = unb64(h.send('AUTH CRAM-MD5\r\n').slice(4, -2));
    expect(challenge).toBe('<NONCE@mx.test>');
    const digest = createHmac('md5', 'secret').update(challenge).digest('hex');
    expect(h.send(`${b64(`alice ${digest}`)}\r\n`)).toBe('235 2.7.0 Authentication successful\r\n');
  });

  it('XOAUTH2 bearer token', () => {
    const h = authHarness();
    h.send('EHLO c\r\n');
    expect(h.send(`AUTH XOAUTH2 ${b64('user=alice\x01auth=Bearer tok\x01\x01')}\r\n`)).toBe(
      '235 2.7.0 Authentication successful\r\n',
    );
  });

  it('RFC 5802/7677 SCRAM-SHA-256: proof checked, server signature sent', () => {
    const h = authHarness();
    h.send('EHLO c\r\n');
    const clientNonce = 'rOprNGfwEbeRWgbNEkqO';
    const clientFirstBare = `n=alice,r=${clientNonce}`;
    const serverFirst = unb64(h.send(`AUTH SCRAM-SHA-256 ${b64(`n,,${clientFirstBare}`)}\r\n`).slice(4, -2));
    const m = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(serverFirst)!;
    expect(m[1]!.startsWith(clientNonce)).toBe(true);
    const salted = pbkdf2Sync('secret', Buffer.from(m[2]!, 'base64'), Number(m[3]), 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=${b64('n,,')},r=${m[1]}`;
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
    const final = h.send(`${b64(`${withoutProof},p=${proof}`)}\r\n`);
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    const expected = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    expect(unb64(final.slice(4, -2))).toBe(`v=${expected}`);
    expect(h.send('\r\n')).toBe('235 2.7.0 Authentication successful\r\n');
  });

  it('SCRAM with a wrong password fails like any other wrong password', () => {
    const h = authHarness();
    h.send('EHLO c\r\n');
    const serverFirst = unb64(h.send(`AUTH SCRAM-SHA-256 ${b64('n,,n=alice,r=abc')}\r\n`).slice(4, -2));
    const nonce = /r=([^,]+)/.exec(serverFirst)![1];
    const out = h.send(`${b64(`c=biws,r=${nonce},p=${Buffer.alloc(32).toString('base64')}`)}\r\n`);
    expect(out).toBe('535 5.7.8 Authentication credentials invalid\r\n');
  });

  it('"*" aborts (501 5.0.0); undecodable base64 is 501 5.5.2; unknown mechanism 504', () => {
    const h = authHarness();
    h.send('EHLO c\r\n');
    h.send('AUTH LOGIN\r\n');
    expect(h.send('*\r\n')).toBe('501 5.0.0 Authentication aborted\r\n');
    h.send('AUTH LOGIN\r\n');
    expect(h.send('!!!\r\n')).toMatch(/^501 5\.5\.2 /);
    expect(h.send('AUTH GSSAPI\r\n')).toMatch(/^504 5\.5\.4 /);
  });

  it('failures are delayed, growing, and counted: 421 after the limit', () => {
    const h = new Harness(
      { secure: true, authMechanisms: ['PLAIN'], limits: { maxAuthFailures: 3, authFailureDelay: 500 } },
      (call) => (call.kind === 'auth' ? judge(call.request) : undefined),
    );
    h.start();
    h.send('EHLO c\r\n');
    const bad = `AUTH PLAIN ${b64('\0alice\0nope')}\r\n`;
    expect(codes(h.send(bad))).toEqual([535]);
    expect(codes(h.send(bad))).toEqual([535]);
    expect(h.calls.filter((c) => c.kind === 'delay')).toEqual([
      { kind: 'delay', ms: 500 },
      { kind: 'delay', ms: 1000 },
    ]);
    expect(h.send(bad)).toMatch(/^421 4\.7\.0 /);
    expect(h.closed).toBe(true);
  });

  it('a backend fault during AUTH is 454 4.7.0 and is not counted as a failure', () => {
    const h = new Harness(
      { secure: true, authMechanisms: ['PLAIN'], limits: { maxAuthFailures: 1 } },
      (call) => {
        if (call.kind === 'auth') throw new Error('ldap down');
        return undefined;
      },
    );
    h.start();
    h.send('EHLO c\r\n');
    expect(h.send(`AUTH PLAIN ${b64('\0alice\0secret')}\r\n`)).toMatch(/^454 4\.7\.0 /);
    expect(h.closed).toBe(false);
  });

  it('RFC 6409: requireAuth refuses MAIL before AUTH with 530 5.7.0', () => {
    const h = authHarness({ requireAuth: true });
    h.send('EHLO c\r\n');
    expect(h.send('MAIL FROM:<a@example.org>\r\n')).toMatch(/^530 5\.7\.0 /);
    h.send(`AUTH PLAIN ${b64('\0alice\0secret')}\r\n`);
    expect(h.send('MAIL FROM:<a@example.org>\r\n')).toBe('250 2.1.0 Ok\r\n');
  });
});
