/**
 * SASLprep (RFC 4013) in the SCRAM-SHA-256 client: RFC 4013 §3's examples, the username
 * prepared then escaped (RFC 5802 §5.1), the password prepared before hashing (RFC 5802 §2.2
 * `Normalize`), and credentials SASLprep refuses stopping AUTH before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { prepareScramCredential } from '../src/core/sasl/saslprep';
import { connect, createScramSha256Client, isSmtpClientError, type SmtpClientError } from '../src/index';
import { greetAndEhlo, useScriptedServer } from './helpers/session';

const te = new TextEncoder();
const td = new TextDecoder();
const serve = useScriptedServer();

/** The RFC 7677 §3 server-first-message, so proofs can be compared across passwords. */
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

/** The client-final-message our client sends for `user`/`pass` against {@link SERVER_FIRST}. */
function clientFinal(user: string, pass: string): string {
  const scram = createScramSha256Client({ user, pass }, { nonce: 'rOprNGfwEbeRWgbNEkqO' });
  return td.decode(scram.respond(te.encode(SERVER_FIRST)));
}

function thrown(run: () => unknown): SmtpClientError {
  try {
    run();
  } catch (error) {
    if (isSmtpClientError(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('RFC 4013 SASLprep', () => {
  it('§3 examples: mapped to nothing, unchanged, NFKC, prohibited, bidi', () => {
    for (const kind of ['query', 'stored'] as const) {
      // "I<U+00AD>X": SOFT HYPHEN is mapped to nothing (§2.1, B.1).
      expect(prepareScramCredential('I\u00ADX', 'password', kind)).toBe('IX');
      expect(prepareScramCredential('user', 'password', kind)).toBe('user');
      // Case is preserved: SASLprep does no case folding.
      expect(prepareScramCredential('USER', 'password', kind)).toBe('USER');
      // NFKC (§2.2): FEMININE ORDINAL INDICATOR, ROMAN NUMERAL NINE.
      expect(prepareScramCredential('\u00AA', 'password', kind)).toBe('a');
      expect(prepareScramCredential('\u2168', 'password', kind)).toBe('IX');
      // BELL is a prohibited ASCII control character (§2.3, C.2.1).
      expect(() => prepareScramCredential('\u0007', 'password', kind)).toThrow(/prohibited character/);
      // ARABIC LETTER ALEF then "1": RandALCat text must end in RandALCat (RFC 3454 §6).
      expect(() => prepareScramCredential('\u0627\u0031', 'password', kind)).toThrow(/right-to-left/);
    }
  });

  it('§2.1: non-ASCII space maps to SPACE; a string of mapped-to-nothing characters prepares to ""', () => {
    expect(prepareScramCredential('a\u00A0b', 'password', 'stored')).toBe('a b');
    expect(prepareScramCredential('\u00AD\u034F', 'password', 'stored')).toBe('');
  });

  it('§2.5 / RFC 3454 §7: unassigned code points pass in a query (username), not in a stored string (password)', () => {
    // U+0221 was unassigned in Unicode 3.2, the version RFC 3454's tables list.
    expect(prepareScramCredential('a\u0221', 'username', 'query')).toBe('a\u0221');
    const error = thrown(() => prepareScramCredential('a\u0221', 'password', 'stored'));
    expect(error.code).toBe('ERR_SMTP_AUTH');
    expect(error.message).toMatch(/password .*unassigned code point/);
  });
});

describe('RFC 5802 SCRAM-SHA-256 with SASLprep', () => {
  it('§2.2 Normalize(password): "I\\u00ADX" and "\\u2168" give the same proof as "IX"', () => {
    const ix = clientFinal('user', 'IX');
    expect(clientFinal('user', 'I\u00ADX')).toBe(ix);
    expect(clientFinal('user', '\u2168')).toBe(ix);
    expect(clientFinal('user', 'IY')).not.toBe(ix);
  });

  it('§5.1: the username is prepared, then "," and "=" are sent as "=2C" and "=3D"', () => {
    const initial = (user: string) =>
      td.decode(createScramSha256Client({ user, pass: 'pencil' }, { nonce: 'abc' }).initialResponse());
    expect(initial('a,b=c')).toBe('n,,n=a=2Cb=3Dc,r=abc');
    expect(initial('I\u00ADX')).toBe('n,,n=IX,r=abc');
    // NFKC turns FULLWIDTH COMMA into ",", which must then be escaped.
    expect(initial('a\uFF0Cb')).toBe('n,,n=a=2Cb,r=abc');
  });

  it('§5.1: a username SASLprep refuses or empties aborts with ERR_SMTP_AUTH', () => {
    const control = thrown(() =>
      createScramSha256Client({ user: 'al\u0007ice', pass: 'p' }, { nonce: 'abc' }),
    );
    expect(control).toMatchObject({ code: 'ERR_SMTP_AUTH', phase: 'auth', transient: false });
    expect(control.message).toMatch(/username .*prohibited character/);
    const empty = thrown(() => createScramSha256Client({ user: '\u00AD', pass: 'p' }, { nonce: 'abc' }));
    expect(empty.message).toMatch(/username is empty after SASLprep/);
  });

  it('a password with a prohibited character is ERR_SMTP_AUTH, the password not in the message', () => {
    const error = thrown(() =>
      createScramSha256Client({ user: 'user', pass: 's3cret\u0000pw' }, { nonce: 'abc' }),
    );
    expect(error).toMatchObject({ name: 'SmtpClientError', code: 'ERR_SMTP_AUTH', phase: 'auth' });
    expect(error.message).toMatch(/password .*prohibited character \(RFC 4013 §2\.3\)/);
    expect(`${error.message}${error.stack}`).not.toContain('s3cret');
  });

  it('over a connection: the refusal comes before AUTH is sent, and no other mechanism is tried', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['AUTH PLAIN SCRAM-SHA-256']);
      expect((await peer.closed()).toString('latin1')).toBe('');
    });
    const error = await connect({
      host: '127.0.0.1',
      port: server.port,
      security: 'none',
      name: 'client.test',
      allowInsecureAuth: true,
      auth: { user: 'user', pass: 'pass\u0007word' },
    }).catch((e: unknown) => e);
    await server.done();
    expect(isSmtpClientError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_SMTP_AUTH', phase: 'auth' });
  });
});
