/** Signer options, RFC 6376 §5 behaviour and verifier outcomes, round-tripped through our verifier. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDkimSigner,
  type DkimSignOptions,
  formatAuthenticationResults,
  formatKeyRecord,
  signMessage,
  verifyMessage,
} from '../src/index';
import { crlf, staticTxt } from './support/corpus';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const NOW = 1_700_000_000_000;

function record(publicKey: KeyObject, extra = ''): string {
  if (publicKey.asymmetricKeyType === 'ed25519') {
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
    return `v=DKIM1; k=ed25519;${extra} p=${raw.toString('base64')}`;
  }
  return `v=DKIM1; k=rsa;${extra} p=${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}`;
}

const resolver = staticTxt({
  'rsa._domainkey.example.com': record(rsa.publicKey),
  'ed._domainkey.example.com': record(ed.publicKey),
});

const rsaOptions: DkimSignOptions = {
  domain: 'example.com',
  selector: 'rsa',
  privateKey: rsa.privateKey,
  now: () => NOW,
};
const edOptions: DkimSignOptions = {
  domain: 'example.com',
  selector: 'ed',
  privateKey: ed.privateKey,
  now: () => NOW,
};

const message = crlf(`From: Alice <alice@example.com>
To: Bob <bob@example.net>
Subject: Hello
Date: Tue, 14 Nov 2023 22:13:20 +0000
Message-ID: <1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi Bob.
`);

async function verify(signed: Uint8Array, r = resolver) {
  return verifyMessage(signed, { resolver: r, now: () => NOW });
}

describe('createDkimSigner option checks (RFC 6376 §5, RFC 8301)', () => {
  it('a non-key throws TypeError at creation', () => {
    expect(() => createDkimSigner({ ...rsaOptions, privateKey: 'not a key' })).toThrow(TypeError);
    expect(() => createDkimSigner({ ...rsaOptions, privateKey: rsa.publicKey })).toThrow(TypeError);
  });

  it('an algorithm that does not match the key throws TypeError', () => {
    expect(() => createDkimSigner({ ...rsaOptions, algorithm: 'ed25519-sha256' })).toThrow(TypeError);
  });

  it('RFC 8301 §3.2: RSA below 1024 bits throws RangeError', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 512 });
    expect(() => createDkimSigner({ ...rsaOptions, privateKey: small.privateKey })).toThrow(RangeError);
  });

  it('§3.5: i= outside d=, h= without From, a bad domain throw RangeError', () => {
    expect(() => createDkimSigner({ ...rsaOptions, auid: 'a@example.org' })).toThrow(RangeError);
    expect(() => createDkimSigner({ ...rsaOptions, headers: ['subject'] })).toThrow(RangeError);
    expect(() => createDkimSigner({ ...rsaOptions, domain: 'exa mple.com' })).toThrow(RangeError);
    expect(() => createDkimSigner({ ...rsaOptions, canonicalization: 'loose/simple' as never })).toThrow(
      RangeError,
    );
  });

  it('accepts PEM text, PEM bytes, a KeyObject and a WebCrypto CryptoKey', async () => {
    const pem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const webKey = await crypto.subtle.importKey(
      'pkcs8',
      ed.privateKey.export({ format: 'der', type: 'pkcs8' }),
      { name: 'Ed25519' },
      true,
      ['sign'],
    );
    for (const options of [
      { ...rsaOptions, privateKey: pem },
      { ...rsaOptions, privateKey: Buffer.from(pem) },
      { ...rsaOptions, privateKey: rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }).toString() },
      { ...edOptions, privateKey: webKey },
    ]) {
      const [result] = await verify(await signMessage(message, options));
      expect(result.status).toBe('pass');
    }
  });
});

describe('signatures (RFC 6376 §5.4, §3.5)', () => {
  it('§5.4.1/§5.4.2: default h= is the recommended set present, oversigned', async () => {
    const fields = await signMessage(message, rsaOptions, { output: 'headers' });
    const h = /h=([^;]*);/
      .exec(fields.replace(/\r\n /g, ' '))?.[1]
      .split(':')
      .map((s) => s.trim());
    expect(h).toEqual([
      'from',
      'from',
      'subject',
      'subject',
      'date',
      'date',
      'to',
      'to',
      'message-id',
      'message-id',
      'mime-version',
      'mime-version',
      'content-type',
      'content-type',
    ]);
  });

  it('oversigning: a From added above the signed one breaks the signature', async () => {
    const signed = Buffer.from(await signMessage(message, rsaOptions));
    const at = signed.indexOf('From:');
    const tampered = Buffer.concat([
      signed.subarray(0, at),
      Buffer.from('From: mallory@evil.example\r\n'),
      signed.subarray(at),
    ]);
    expect((await verify(tampered))[0].status).toBe('fail');
  });

  it('several signatures in one pass (RSA + Ed25519, two canonicalisations) all pass', async () => {
    const signer = createDkimSigner({
      now: () => NOW,
      signatures: [
        { ...edOptions, canonicalization: 'relaxed/relaxed' },
        { ...rsaOptions, canonicalization: 'simple/simple' },
        { ...rsaOptions, canonicalization: 'relaxed/simple', auid: 'alice@mail.example.com' },
      ],
    });
    const results = await verify(await signMessage(message, signer));
    expect(results.map((r) => [r.status, r.algorithm])).toEqual([
      ['pass', 'ed25519-sha256'],
      ['pass', 'rsa-sha256'],
      ['pass', 'rsa-sha256'],
    ]);
    expect(results[2].auid).toBe('alice@mail.example.com');
  });

  it('bare LF / bare CR input is normalised: the output is CRLF and verifies', async () => {
    const lf = Buffer.from('From: a@example.com\nSubject: x\n\nline one\nline two\rline three\n\n');
    const signed = Buffer.from(await signMessage(lf, rsaOptions));
    expect(signed.toString('latin1')).toMatch(/\r\n\r\nline one\r\nline two\r\nline three\r\n\r\n$/);
    expect(/[^\r]\n|\r[^\n]/.test(signed.toString('latin1'))).toBe(false);
    expect((await verify(signed))[0].status).toBe('pass');
  });

  it('folded, duplicate and UTF-8 header fields, empty body', async () => {
    const input = Buffer.from(
      'From: =?utf-8?q?J=C3=B6rg?= <j@example.com>\r\nSubject: Grüße aus Köln\r\n\tnoch mehr\r\n' +
        'To: a@example.net\r\nTo: b@example.net\r\nReferences: <a@x>\r\n <b@x>\r\n\r\n',
    );
    for (const canonicalization of ['simple/simple', 'relaxed/relaxed'] as const) {
      const signed = await signMessage(input, { ...rsaOptions, canonicalization });
      expect((await verify(signed))[0].status).toBe('pass');
    }
  });

  it('t= and x= come from the injected clock; an expired signature fails', async () => {
    const fields = await signMessage(message, { ...rsaOptions, expiresIn: 3600 }, { output: 'headers' });
    expect(fields).toContain('t=1700000000;');
    expect(fields).toContain('x=1700003600;');
    const signed = Buffer.concat([Buffer.from(fields), message]);
    expect((await verifyMessage(signed, { resolver, now: () => NOW + 3_599_000 }))[0].status).toBe('pass');
    expect((await verifyMessage(signed, { resolver, now: () => NOW + 3_601_000 }))[0]).toMatchObject({
      status: 'fail',
      reason: 'signature expired (x=)',
    });
  });

  it('l= only when asked, and reported as a risk', async () => {
    expect(await signMessage(message, rsaOptions, { output: 'headers' })).not.toContain('l=');
    const signed = Buffer.from(await signMessage(message, { ...rsaOptions, bodyLength: true }));
    const appended = Buffer.concat([signed, Buffer.from('Appended by a list.\r\n')]);
    const [result] = await verify(appended);
    expect(result).toMatchObject({ status: 'pass', risks: ['body-length'] });
    expect(result.bodyLength?.signed).toBeLessThan(result.bodyLength?.total ?? 0);
    expect(formatAuthenticationResults([result])).toContain('l= used');
  });

  it('any chunking of the message gives the same signature (fast-check)', async () => {
    const signer = createDkimSigner({
      now: () => NOW,
      signatures: [rsaOptions, { ...edOptions, canonicalization: 'simple/simple' }],
    });
    const big = Buffer.concat([
      message,
      Buffer.from('Some  more\tbody text \r\n'.repeat(50)),
      Buffer.from('\r\n\r\n'),
    ]);
    signer.update(big);
    const whole = signer.final();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: big.length }), { maxLength: 12 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let last = 0;
        for (const p of points) {
          signer.update(big.subarray(last, p));
          last = p;
        }
        signer.update(big.subarray(last));
        expect(signer.final()).toBe(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('a streamed (AsyncIterable) message signs like the same bytes in memory', async () => {
    async function* chunks() {
      for (let i = 0; i < message.length; i += 7) yield message.subarray(i, i + 7);
    }
    const streamed = await signMessage(chunks(), rsaOptions, { output: 'headers' });
    expect(streamed).toBe(await signMessage(message, rsaOptions, { output: 'headers' }));
  });
});

describe('verifier outcomes (RFC 6376 §6, RFC 8301, RFC 8601)', () => {
  const sign = () => signMessage(message, rsaOptions);
  const keyed = (txt: string) => staticTxt({ 'rsa._domainkey.example.com': txt });

  it('no signature gives no results and dkim=none', async () => {
    expect(await verify(message)).toEqual([]);
    expect(formatAuthenticationResults([])).toBe('dkim=none');
  });

  it('§3.6.1: an empty p= (revoked key) is a permerror', async () => {
    const [result] = await verify(await sign(), keyed('v=DKIM1; k=rsa; p='));
    expect(result).toMatchObject({ status: 'permerror', reason: 'key revoked (empty p=)' });
  });

  it('§3.6.1: h= without sha256, s= without email, t=s with an i= subdomain are permerrors', async () => {
    expect((await verify(await sign(), keyed(record(rsa.publicKey, ' h=sha1;'))))[0].status).toBe(
      'permerror',
    );
    expect((await verify(await sign(), keyed(record(rsa.publicKey, ' s=other;'))))[0].status).toBe(
      'permerror',
    );
    const sub = await signMessage(message, { ...rsaOptions, auid: '@sub.example.com' });
    expect((await verify(sub, keyed(record(rsa.publicKey, ' t=s;'))))[0].status).toBe('permerror');
    expect((await verify(sub, keyed(record(rsa.publicKey, ' t=y;'))))[0]).toMatchObject({
      status: 'pass',
      testing: true,
    });
  });

  it('no key record is a permerror, a DNS failure a temperror', async () => {
    expect((await verify(await sign(), staticTxt({})))[0].status).toBe('permerror');
    const down = staticTxt({
      'rsa._domainkey.example.com': { status: 'tempfail', reason: 'timeout', message: 'timed out' },
    });
    expect((await verify(await sign(), down))[0].status).toBe('temperror');
  });

  it('RFC 8301: rsa-sha1 is refused, RSA keys under 1024 bits are refused', async () => {
    const signed = Buffer.from(await sign())
      .toString('latin1')
      .replace('a=rsa-sha256', 'a=rsa-sha1');
    expect((await verify(Buffer.from(signed, 'latin1')))[0]).toMatchObject({ status: 'neutral' });
    const small = generateKeyPairSync('rsa', { modulusLength: 512 });
    const head = await signMessage(
      message,
      { ...rsaOptions, privateKey: rsa.privateKey },
      { output: 'headers' },
    );
    expect(
      (await verify(Buffer.concat([Buffer.from(head), message]), keyed(record(small.publicKey))))[0],
    ).toMatchObject({
      status: 'permerror',
      keyBits: 512,
    });
  });

  it('§6.1.1: i= outside d=, h= without From, missing tags are neutral', async () => {
    const text = Buffer.from(await sign())
      .toString('latin1')
      .replace(/\r\n /g, ' ');
    const variants = [
      text.replace('d=example.com;', 'd=example.com; i=@example.org;'),
      text.replace(/h=(from : )+/, 'h='),
      text.replace(/bh=[^;]*;/, ''),
    ];
    for (const variant of variants) {
      expect((await verify(Buffer.from(variant, 'latin1')))[0].status).toBe('neutral');
    }
  });

  it('formatAuthenticationResults writes the dkim= resinfo (RFC 8601 §2.7.1, RFC 6008 header.b)', async () => {
    const results = await verify(
      await signMessage(message, createDkimSigner({ signatures: [rsaOptions, edOptions], now: () => NOW })),
    );
    const text = formatAuthenticationResults(results);
    expect(text).toMatch(
      /^dkim=pass \(2048-bit key\) header\.d=example\.com header\.i=@example\.com header\.s=rsa header\.a=rsa-sha256 header\.b=("?)[A-Za-z0-9+/]{8}\1;\r\n\tdkim=pass header\.d=example\.com/,
    );
  });

  it('an aborted signal rejects', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(verifyMessage(message, { resolver, signal: controller.signal })).rejects.toThrow();
  });
});

describe('formatKeyRecord (RFC 6376 §3.6.1, RFC 8463 §4)', () => {
  it('gives the record to publish, from the private or the public key, RSA and Ed25519', async () => {
    expect(formatKeyRecord(rsa.privateKey)).toBe(record(rsa.publicKey));
    expect(formatKeyRecord(ed.publicKey)).toBe(record(ed.publicKey));
    expect(formatKeyRecord(ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())).toBe(
      record(ed.publicKey),
    );
    const published = staticTxt({ 'ed._domainkey.example.com': formatKeyRecord(ed.privateKey) });
    expect((await verify(await signMessage(message, edOptions), published))[0].status).toBe('pass');
    expect(() => formatKeyRecord('nonsense')).toThrow(TypeError);
  });
});

describe('verifier bounds', () => {
  it('signatures past maxSignatures are neutral; one key query per key name', async () => {
    const signer = createDkimSigner({ now: () => NOW, signatures: [rsaOptions, rsaOptions, rsaOptions] });
    const counting = staticTxt({ 'rsa._domainkey.example.com': record(rsa.publicKey) });
    const results = await verifyMessage(await signMessage(message, signer), {
      resolver: counting,
      now: () => NOW,
      maxSignatures: 2,
    });
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'neutral']);
    expect(counting.queries).toEqual(['rsa._domainkey.example.com']);
  });

  it('a header section over maxHeaderBytes is a permerror, not an exception', async () => {
    const huge = Buffer.concat([Buffer.from(`X-Big: ${'a'.repeat(5000)}\r\n`), message]);
    const results = await verifyMessage(huge, { resolver, maxHeaderBytes: 1024 });
    expect(results).toMatchObject([{ status: 'permerror' }]);
  });
});
