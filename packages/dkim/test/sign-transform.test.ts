/** The Node Transform: sign while the message streams to its destination. */
import { generateKeyPairSync } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDkimSigner,
  createDkimSignTransform,
  formatKeyRecord,
  signMessage,
  verifyMessage,
} from '../src/index';
import { staticTxt } from './support/corpus';

const key = generateKeyPairSync('ed25519');
const resolver = staticTxt({ 'ed._domainkey.example.com': formatKeyRecord(key.publicKey) });
const options = {
  domain: 'example.com',
  selector: 'ed',
  privateKey: key.privateKey,
  now: () => 1_700_000_000_000,
};
const message = Buffer.from('From: a@example.com\nSubject: t\r\n\r\nline\rtwo\r\nthree\n\n');

async function through(chunks: Buffer[]) {
  const signer = createDkimSigner(options);
  const signing = createDkimSignTransform(signer);
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    signing.transform,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return { fields: await signing.signatures, body: Buffer.concat(out) };
}

describe('createDkimSignTransform', () => {
  it('passes the message through CRLF-normalised and signs it like signMessage', async () => {
    const { fields, body } = await through([message]);
    const expected = Buffer.from(await signMessage(message, options));
    expect(Buffer.concat([Buffer.from(fields), body])).toEqual(expected);
    const [result] = await verifyMessage(Buffer.concat([Buffer.from(fields), body]), {
      resolver,
      now: options.now,
    });
    expect(result.status).toBe('pass');
  });

  it('a CRLF split across chunks stays one line end (fast-check over split points)', async () => {
    const whole = await through([message]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: message.length }), { maxLength: 6 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(message.subarray(last, p));
          last = p;
        }
        chunks.push(message.subarray(last));
        expect(await through(chunks.filter((c) => c.length > 0))).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });
});
