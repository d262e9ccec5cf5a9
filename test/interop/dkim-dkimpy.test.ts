/**
 * Independent verification: every signature our signer makes here is checked by dkimpy
 * (Debian python3-dkim), given the public keys directly (no DNS).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CanonicalizationPair, createDkimSigner, signMessage } from '@smtpkit/dkim';
import { afterAll, describe, expect, it } from 'vitest';
import { debianPython, pythonModuleAvailability } from '../support/services';

const dkimpy = pythonModuleAvailability('dkim', 'nacl');
const harness = fileURLToPath(new URL('./dkim_dkimpy_verify.py', import.meta.url));

interface PeerResult {
  readonly result: 'pass' | 'fail';
  readonly reason: string;
}

function runDkimpy(keys: Record<string, string>, messages: string[]): Promise<PeerResult[][]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      debianPython,
      [harness],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`dkimpy harness failed: ${stderr}`, { cause: error }));
        else resolve(JSON.parse(stdout) as PeerResult[][]);
      },
    );
    child.stdin?.end(JSON.stringify({ keys, messages }));
  });
}

function record(publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType === 'ed25519') {
    return `v=DKIM1; k=ed25519; p=${publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64')}`;
  }
  return `v=DKIM1; k=rsa; p=${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}`;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const keys = {
  'rsa._domainkey.example.com': record(rsa.publicKey),
  'ed._domainkey.example.com': record(ed.publicKey),
};

const headers =
  'From: =?utf-8?q?J=C3=B6rg?= <joerg@example.com>\r\n' +
  'To: a@example.net,\r\n\tb@example.net\r\n' +
  'Cc: c@example.net\r\n' +
  'Subject: Grüße aus Köln — 8-bit UTF-8 subject\r\n' +
  'Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n' +
  'Message-ID: <interop@example.com>\r\n' +
  'Received: from a by b; Tue, 14 Nov 2023 22:13:20 +0000\r\n' +
  'Received: from c by d; Tue, 14 Nov 2023 22:13:19 +0000\r\n' +
  'X-Folded: one\r\n   two  \r\n\tthree\t\r\n' +
  'MIME-Version: 1.0\r\n' +
  'Content-Type: text/plain;\r\n charset=utf-8\r\n';

function largeBody(bytes: number): Buffer {
  const line = 'Large body line with  double spaces,\ttabs and trailing space \r\n';
  return Buffer.from(line.repeat(Math.ceil(bytes / line.length)));
}

const messages: Record<string, Buffer> = {
  'text body': Buffer.from(`${headers}\r\nHello  world,\t\r\nsecond line \r\n\r\n\r\n`),
  'empty body': Buffer.from(`${headers}\r\n`),
  'no header/body separator': Buffer.from(headers),
  'bare LF line ends': Buffer.from(`${headers}\r\nline\nanother\rlast\n\n`.replace(/\r\n/g, '\n')),
  'body without final CRLF': Buffer.from(`${headers}\r\nno newline at end`),
  'large ~8 MiB body': Buffer.concat([Buffer.from(`${headers}\r\n`), largeBody(8 * 1024 * 1024)]),
};

const pairs: CanonicalizationPair[] = [
  'simple/simple',
  'simple/relaxed',
  'relaxed/simple',
  'relaxed/relaxed',
];

describe.skipIf(!dkimpy.available)('dkimpy verifies what @smtpkit/dkim signs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smtpkit-dkim-interop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('RSA-2048 and Ed25519, all four canonicalisation pairs, in one pass per message', async () => {
    // Eight signatures per message: both algorithms × every c= pair, body hashed once per body canonicalisation.
    const signer = createDkimSigner({
      signatures: pairs.flatMap((canonicalization) => [
        { domain: 'example.com', selector: 'rsa', privateKey: rsa.privateKey, canonicalization },
        { domain: 'example.com', selector: 'ed', privateKey: ed.privateKey, canonicalization },
      ]),
    });
    const files: string[] = [];
    for (const [name, message] of Object.entries(messages)) {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.eml`);
      writeFileSync(file, await signMessage(message, signer));
      files.push(file);
    }
    const results = await runDkimpy(keys, files);
    const names = Object.keys(messages);
    let checked = 0;
    results.forEach((perMessage, i) => {
      expect(perMessage, names[i]).toHaveLength(8);
      perMessage.forEach((r, idx) => {
        expect(r, `${names[i]} signature ${idx}`).toEqual({ result: 'pass', reason: '' });
        checked++;
      });
    });
    expect(checked).toBe(8 * names.length);
  });

  it('single-signature options: i=, x=, l=, explicit h= with oversigning, default Ed25519', async () => {
    const message = messages['text body'];
    const variants = [
      {
        domain: 'example.com',
        selector: 'rsa',
        privateKey: rsa.privateKey,
        auid: 'joerg@mail.example.com',
        expiresIn: 86400,
      },
      { domain: 'example.com', selector: 'ed', privateKey: ed.privateKey, bodyLength: true },
      {
        domain: 'example.com',
        selector: 'rsa',
        privateKey: rsa.privateKey,
        headers: ['From', 'Subject', 'Subject', 'Received', 'Received', 'Received'],
      },
      { domain: 'example.com', selector: 'ed', privateKey: ed.privateKey, oversign: false, timestamp: false },
    ];
    const files = await Promise.all(
      variants.map(async (options, i) => {
        const file = join(dir, `variant-${i}.eml`);
        writeFileSync(file, await signMessage(message, options));
        return file;
      }),
    );
    const results = await runDkimpy(keys, files);
    expect(results.map((r) => r.map((s) => s.result))).toEqual(variants.map(() => ['pass']));
  });

  it('control: dkimpy rejects our signature once the body or a signed header is changed', async () => {
    const signed = Buffer.from(
      await signMessage(messages['text body'], {
        domain: 'example.com',
        selector: 'rsa',
        privateKey: rsa.privateKey,
      }),
    ).toString('latin1');
    const bodyFile = join(dir, 'tampered-body.eml');
    const headerFile = join(dir, 'tampered-header.eml');
    writeFileSync(bodyFile, Buffer.from(signed.replace('Hello  world', 'Hello  World'), 'latin1'));
    writeFileSync(
      headerFile,
      Buffer.from(signed.replace('Cc: c@example.net', 'Cc: m@example.net'), 'latin1'),
    );
    const results = await runDkimpy(keys, [bodyFile, headerFile]);
    expect(results.map((r) => r[0].result)).toEqual(['fail', 'fail']);
  });
});
