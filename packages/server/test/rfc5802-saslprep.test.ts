/**
 * SASLprep (RFC 4013) in the server's SCRAM-SHA-256: stored credentials derived from the
 * prepared password (RFC 5802 §2.2 `Normalize`), the received username unescaped then prepared
 * before the backend sees it (RFC 5802 §5.1), usernames SASLprep refuses failing without a
 * lookup — and @smtpkit/client against this server over loopback with such credentials.
 */
import { connect } from '@smtpkit/client';
import { type AuthRequest, createServer, deriveScramCredentials, type SmtpServer } from '@smtpkit/server';
import { SmtpReplyError } from '@smtpkit/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from './support/harness';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const salt = Buffer.from('0123456789abcdef');

/** The stored key, which PBKDF2 of the prepared password decides. */
const storedKey = (password: string) => hex(deriveScramCredentials(password, salt, 4096).storedKey);

describe('RFC 5802 §2.2 deriveScramCredentials(Normalize(password))', () => {
  it('RFC 4013 §3 examples: mapped to nothing, unchanged, NFKC', () => {
    expect(storedKey('I\u00ADX')).toBe(storedKey('IX'));
    expect(storedKey('\u2168')).toBe(storedKey('IX'));
    expect(storedKey('\u00AA')).toBe(storedKey('a'));
    // No case folding: "USER" stays "USER".
    expect(storedKey('USER')).not.toBe(storedKey('user'));
    const ix = deriveScramCredentials('\u2168', salt);
    expect(hex(ix.serverKey)).toBe(hex(deriveScramCredentials('IX', salt).serverKey));
  });

  it('RFC 4013 §3 examples: a prohibited character or broken bidi text is a RangeError', () => {
    expect(() => deriveScramCredentials('\u0007', salt)).toThrow(RangeError);
    expect(() => deriveScramCredentials('\u0007', salt)).toThrow(/prohibited character \(RFC 4013 §2\.3\)/);
    expect(() => deriveScramCredentials('\u0627\u0031', salt)).toThrow(/right-to-left/);
  });

  it('RFC 3454 §7: a password is a stored string, so an unassigned code point is refused', () => {
    // U+0221 was unassigned in Unicode 3.2, the version RFC 3454's tables list.
    expect(() => deriveScramCredentials('a\u0221', salt)).toThrow(/unassigned code point/);
  });
});

/** A session whose backend knows `stored` and records every SCRAM lookup. */
function scramHarness(stored: Record<string, string>) {
  const lookups: string[] = [];
  const h = new Harness(
    {
      secure: true,
      authMechanisms: ['SCRAM-SHA-256'],
      limits: { authFailureDelay: 0, maxAuthFailures: 10 },
    },
    (call) => {
      if (call.kind === 'scram-credentials') {
        lookups.push(call.username);
        const password = stored[call.username];
        return password === undefined ? undefined : deriveScramCredentials(password, salt);
      }
      return undefined;
    },
  );
  h.start();
  h.send('EHLO c\r\n');
  return { h, lookups };
}

describe('RFC 5802 §5.1 the received username', () => {
  it('"=2C" and "=3D" are unescaped before the lookup', () => {
    const { h, lookups } = scramHarness({ 'a,b=c': 'pencil' });
    expect(h.send(`AUTH SCRAM-SHA-256 ${b64('n,,n=a=2Cb=3Dc,r=abc')}\r\n`)).toMatch(/^334 /);
    expect(lookups).toEqual(['a,b=c']);
  });

  it('the server prepares it with SASLprep (a query string) before the lookup', () => {
    const { h, lookups } = scramHarness({});
    h.send(`AUTH SCRAM-SHA-256 ${b64('n,,n=I\u00ADX,r=abc')}\r\n`);
    h.send('*\r\n');
    // Unassigned code points are allowed in a query (RFC 3454 §7).
    h.send(`AUTH SCRAM-SHA-256 ${b64('n,,n=\u2168\u0221,r=abc')}\r\n`);
    expect(lookups).toEqual(['IX', 'IX\u0221']);
  });

  it('a username SASLprep refuses, or that it leaves empty, is 535 5.7.8 without a lookup', () => {
    const { h, lookups } = scramHarness({});
    for (const name of ['al\u0007ice', '\u0627\u0031', '\u00AD', '']) {
      expect(h.send(`AUTH SCRAM-SHA-256 ${b64(`n,,n=${name},r=abc`)}\r\n`)).toBe(
        '535 5.7.8 Authentication credentials invalid\r\n',
      );
    }
    expect(lookups).toEqual([]);
    expect(h.session.authenticatedAs).toBeUndefined();
  });

  it('"=" not followed by "2C" or "3D", in n= or a=, is 501 5.5.2 (the server "MUST fail")', () => {
    const { h, lookups } = scramHarness({});
    expect(h.send(`AUTH SCRAM-SHA-256 ${b64('n,,n=a=2Xb,r=abc')}\r\n`)).toMatch(/^501 5\.5\.2 /);
    expect(h.send(`AUTH SCRAM-SHA-256 ${b64('n,a=x=y,n=alice,r=abc')}\r\n`)).toMatch(/^501 5\.5\.2 /);
    expect(lookups).toEqual([]);
  });
});

describe('@smtpkit/client → @smtpkit/server over loopback, SCRAM-SHA-256 with SASLprep', () => {
  let server: SmtpServer | undefined;
  afterEach(async () => {
    await server?.close({ deadline: 500 });
    server = undefined;
  });

  /** A server whose user "a,b=c" was provisioned with "IX", and "roman" with "\u2168". */
  async function start(): Promise<{ port: number; lookups: string[]; requests: AuthRequest[] }> {
    const lookups: string[] = [];
    const requests: AuthRequest[] = [];
    const users = new Map([
      ['a,b=c', deriveScramCredentials('IX', new Uint8Array(16).fill(7))],
      ['roman', deriveScramCredentials('\u2168', new Uint8Array(16).fill(8))],
    ]);
    server = createServer({
      hostname: 'server.test',
      auth: { mechanisms: ['SCRAM-SHA-256'], allowInsecure: true },
      limits: { authFailureDelay: 0 },
      backend: {
        openSession: () => ({
          mail() {},
          rcpt() {},
          data() {},
          auth(request) {
            requests.push(request);
          },
          scramCredentials(username) {
            lookups.push(username);
            return users.get(username);
          },
        }),
      },
    });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    return { port, lookups, requests };
  }

  const login = (port: number, user: string, pass: string) =>
    connect({
      host: '127.0.0.1',
      port,
      security: 'none',
      name: 'client.test',
      allowInsecureAuth: true,
      auth: { user, pass },
    });

  it('passwords with U+00AD or U+2168 log in against credentials derived from "IX"', async () => {
    const { port, lookups, requests } = await start();
    for (const pass of ['I\u00ADX', '\u2168', 'IX']) {
      const client = await login(port, 'a,b=c', pass);
      await client.quit();
    }
    // The username crossed the wire as "a=2Cb=3Dc" and reached the backend unescaped.
    expect(lookups).toEqual(['a,b=c', 'a,b=c', 'a,b=c']);
    expect(requests.map((r) => `${r.mechanism} ${r.username}`)).toEqual(Array(3).fill('SCRAM-SHA-256 a,b=c'));
  });

  it('credentials provisioned from "\u2168" accept the password "IX"', async () => {
    const { port, requests } = await start();
    const client = await login(port, 'roman', 'IX');
    await client.quit();
    expect(requests).toEqual([{ mechanism: 'SCRAM-SHA-256', username: 'roman' }]);
  });

  it('a different password is 535; a username prepared to another name is not that user', async () => {
    const { port, lookups, requests } = await start();
    const wrong = await login(port, 'a,b=c', 'IY').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(SmtpReplyError);
    expect(wrong).toMatchObject({ verb: 'AUTH', replyCode: 535 });
    // "a\uFF0Cb=c" prepares to "a,b=c" (NFKC of FULLWIDTH COMMA): the same user.
    const client = await login(port, 'a\uFF0Cb=c', '\u2168');
    await client.quit();
    expect(lookups).toEqual(['a,b=c', 'a,b=c']);
    expect(requests).toHaveLength(1);
  });
});
