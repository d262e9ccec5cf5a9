/** Published and third-party DKIM vectors from ../shared/corpora/dkim (see its README). */
import { describe, expect, it } from 'vitest';
import { createDkimSigner, signMessage, verifyMessage } from '../src/index';
import { corpus, corpusAvailable, corpusText, ed25519FromSeed, staticTxt } from './support/corpus';

const NOW_2018 = 1528637909_000;

describe.skipIf(!corpusAvailable)('RFC 8463 Appendix A', () => {
  const resolver = () =>
    staticTxt({
      'brisbane._domainkey.football.example.com': corpusText(
        'rfc8463/brisbane._domainkey.football.example.com.txt',
      ),
      'test._domainkey.football.example.com': corpusText('rfc8463/test._domainkey.football.example.com.txt'),
    });

  it('A.3: both signatures of the signed message pass', async () => {
    const results = await verifyMessage(corpus('rfc8463/signed.eml'), {
      resolver: resolver(),
      now: () => NOW_2018,
    });
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass']);
    expect(results[0]).toMatchObject({
      algorithm: 'ed25519-sha256',
      sdid: 'football.example.com',
      selector: 'brisbane',
    });
    expect(results[1]).toMatchObject({ algorithm: 'rsa-sha256', selector: 'test', keyBits: 1024 });
  });

  it('A.3: signing A.1 with the given keys, time and header set reproduces the signed message byte for byte', async () => {
    const common = {
      domain: 'football.example.com',
      auid: '@football.example.com',
      canonicalization: 'relaxed/relaxed',
      headers: ['from', 'to', 'subject', 'date', 'message-id', 'from', 'subject', 'date'],
    } as const;
    const signer = createDkimSigner({
      now: () => NOW_2018,
      signatures: [
        {
          ...common,
          selector: 'brisbane',
          privateKey: ed25519FromSeed(corpusText('rfc8463/ed25519.seed.b64')),
        },
        { ...common, selector: 'test', privateKey: corpusText('rfc8463/rsa.private.pem') },
      ],
    });
    const signed = await signMessage(corpus('rfc8463/unsigned.eml'), signer);
    expect(Buffer.from(signed).toString('latin1')).toBe(
      Buffer.from(corpus('rfc8463/signed.eml')).toString('latin1'),
    );
    const results = await verifyMessage(signed, { resolver: resolver(), now: () => NOW_2018 });
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass']);
  });
});

describe.skipIf(!corpusAvailable)('RFC 6376 Appendix A', () => {
  const resolver = () =>
    staticTxt({
      'brisbane._domainkey.example.com': corpusText('rfc6376/brisbane._domainkey.example.com.txt'),
    });

  it('A.2 with one space after "game." passes', async () => {
    const [result] = await verifyMessage(corpus('rfc6376/appendix-a-signed.one-space.eml'), {
      resolver: resolver(),
    });
    expect(result.status).toBe('pass');
  });

  it('A.2 as printed (two spaces) fails on the body hash', async () => {
    const [result] = await verifyMessage(corpus('rfc6376/appendix-a-signed.as-printed-two-spaces.eml'), {
      resolver: resolver(),
    });
    expect(result).toMatchObject({ status: 'fail', reason: 'body hash did not verify' });
  });
});

describe.skipIf(!corpusAvailable)('go-msgauth signer outputs', () => {
  it('simple/simple RSA (d=example.org) verifies', async () => {
    const resolver = staticTxt({
      'brisbane._domainkey.example.org': corpusText('rfc6376/brisbane._domainkey.example.com.txt'),
    });
    const [result] = await verifyMessage(corpus('go-msgauth/signed-rsa.example.org.eml'), { resolver });
    expect(result.status).toBe('pass');
  });

  it('Ed25519 (RFC 8463 key) verifies', async () => {
    const resolver = staticTxt({
      'brisbane._domainkey.football.example.com': `v=DKIM1; k=ed25519; p=${corpusText('rfc8463/ed25519.pub.b64')}`,
    });
    const [result] = await verifyMessage(corpus('go-msgauth/signed-ed25519.football.example.com.eml'), {
      resolver,
    });
    expect(result.status).toBe('pass');
  });

  it('a key record whose p= is a bare PKCS#1 RSAPublicKey is accepted', async () => {
    const resolver = staticTxt({
      'newengland._domainkey.example.com': corpusText('go-msgauth/newengland._domainkey.example.com.txt'),
    });
    const [result] = await verifyMessage(corpus('go-msgauth/signed-rsa-raw-pkcs1-key.newengland.eml'), {
      resolver,
    });
    expect(result.status).toBe('pass');
  });

  it('our signer gives the same b= for the same header text (tags differ only in order)', async () => {
    // go-msgauth writes tags alphabetically, so the field text differs; the body hash is the same.
    const headers = await signMessage(
      corpus('go-msgauth/unsigned.eml'),
      {
        domain: 'example.org',
        selector: 'brisbane',
        privateKey: corpusText('rfc6376/brisbane.private.pem'),
        canonicalization: 'simple/simple',
        headers: ['from', 'to', 'subject', 'date', 'message-id'],
        now: () => 424242_000,
      },
      { output: 'headers' },
    );
    expect(headers).toContain('bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;');
    const resolver = staticTxt({
      'brisbane._domainkey.example.org': corpusText('rfc6376/brisbane._domainkey.example.com.txt'),
    });
    const message = Buffer.concat([Buffer.from(headers), corpus('go-msgauth/unsigned.eml')]);
    const [result] = await verifyMessage(message, { resolver });
    expect(result.status).toBe('pass');
  });
});

describe.skipIf(!corpusAvailable)('dkimpy test data', () => {
  it('rfc6376.signed.msg (draft of RFC 8463 A.3, simple/simple): both pass', async () => {
    const resolver = staticTxt({
      'brisbane._domainkey.football.example.com': corpusText(
        'rfc8463/brisbane._domainkey.football.example.com.txt',
      ),
      'test._domainkey.football.example.com': corpusText('rfc8463/test._domainkey.football.example.com.txt'),
    });
    const results = await verifyMessage(corpus('dkimpy/rfc6376.signed.msg'), { resolver });
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass']);
  });

  it("Exim's ed25519 signature (d=test.ex s=sed) passes", async () => {
    const resolver = staticTxt({ 'sed._domainkey.test.ex': corpusText('dkimpy/eximtest.dns') });
    const [result] = await verifyMessage(corpus('dkimpy/ed25519test2.msg'), { resolver });
    expect(result.status).toBe('pass');
  });

  it('the Gmail-signed message with degenerate folding passes', async () => {
    const resolver = staticTxt({
      '20120113._domainkey.gmail.com': corpusText('dkimpy/20120113._domainkey.gmail.com.txt'),
    });
    const [result] = await verifyMessage(corpus('dkimpy/test2.message'), { resolver });
    expect(result).toMatchObject({ status: 'pass', sdid: 'gmail.com', keyBits: 2048 });
  });

  const signTest = async () =>
    signMessage(corpus('dkimpy/test.message'), {
      domain: 'example.com',
      selector: 'test',
      privateKey: corpusText('dkimpy/test.private'),
    });

  it('test2.txt (no k=) is accepted: k defaults to rsa', async () => {
    const resolver = staticTxt({ 'test._domainkey.example.com': corpusText('dkimpy/test2.txt') });
    const [result] = await verifyMessage(await signTest(), { resolver });
    expect(result.status).toBe('pass');
  });

  for (const [file, reason] of [
    ['badversion.txt', /version|syntax/],
    ['badk.txt', /key type/],
    ['test_bad.txt', /unparsable/],
  ] as const) {
    it(`key record ${file} is rejected`, async () => {
      const resolver = staticTxt({ 'test._domainkey.example.com': corpusText(`dkimpy/${file}`) });
      const [result] = await verifyMessage(await signTest(), { resolver });
      expect(result.status).toBe('permerror');
      expect(result.reason).toMatch(reason);
    });
  }
});

describe.skipIf(!corpusAvailable)('generated/expected.json (dkimpy-signed, all canonicalisations)', () => {
  const expected = corpusAvailable
    ? (JSON.parse(corpusText('generated/expected.json')) as {
        signing_time: number;
        keys: Record<string, string>;
        vectors: { file: string; expect: string[]; key: string }[];
      })
    : { signing_time: 0, keys: {}, vectors: [] };
  for (const vector of expected.vectors) {
    it(`${vector.file}: ${vector.expect.join(', ')}`, async () => {
      const resolver = staticTxt(expected.keys);
      const results = await verifyMessage(corpus(`generated/${vector.file}`), {
        resolver,
        now: () => expected.signing_time * 1000,
      });
      expect(results.map((r) => r.status)).toEqual(vector.expect);
    });
  }
});
