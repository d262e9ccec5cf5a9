/** Test helpers: the shared DKIM corpus (outside the repo) and an in-test TXT resolver. */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DnsOutcome, TxtRecord } from '@smtpkit/dns';
import type { TxtResolver } from '../../src/index';

/** `/work/shared/corpora/dkim/`, found relative to the repository root. */
export const corpusDir = fileURLToPath(new URL('../../../../../shared/corpora/dkim/', import.meta.url));
/** Whether the corpus is present (the suites skip with one line when not). */
export const corpusAvailable = existsSync(corpusDir);
if (!corpusAvailable) process.stderr.write(`skip: DKIM corpus not found at ${corpusDir}\n`);

/** Reads a corpus file as bytes. */
export function corpus(path: string): Uint8Array {
  return readFileSync(corpusDir + path);
}

/** Reads a corpus file as trimmed text. */
export function corpusText(path: string): string {
  return readFileSync(corpusDir + path, 'utf8').trim();
}

/** A TXT resolver answering from a name → record map; other names are NXDOMAIN. */
export function staticTxt(records: Record<string, string | DnsOutcome<TxtRecord>>): TxtResolver & {
  readonly queries: string[];
} {
  const queries: string[] = [];
  return {
    queries,
    async txt(name) {
      queries.push(name);
      const entry = records[name.toLowerCase()];
      if (entry === undefined) return { status: 'nxdomain' };
      if (typeof entry !== 'string') return entry;
      return { status: 'found', records: [{ strings: [entry] }] };
    },
  };
}

/** An Ed25519 private key from a raw 32-byte seed (RFC 8410 PKCS#8 wrapping). */
export function ed25519FromSeed(seedBase64: string): KeyObject {
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(seedBase64, 'base64'),
  ]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Message text to bytes, LF line ends turned to CRLF. */
export function crlf(text: string): Uint8Array {
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'));
}
