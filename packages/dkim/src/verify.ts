/**
 * The DKIM verifier (RFC 6376 §6): one result per DKIM-Signature field, as values. Key
 * lookups start as soon as the header section is read, while the body streams.
 */
import { createHash, type Hash, type KeyObject, verify } from 'node:crypto';
import type { DnsOutcome, LookupOptions, TxtRecord } from '@smtpkit/dns';
import { BodyCanonicalizer, type Canonicalization } from './core/body-canonicalizer';
import { latin1 } from './core/bytes';
import { headerHashInput } from './core/header-list';
import { DEFAULT_MAX_HEADER_BYTES, type HeaderField, HeaderSectionDecoder } from './core/header-section';
import { type KeyRecord, parseKeyRecord } from './core/key-record';
import { blankSignatureValue, type ParsedSignature, parseSignature } from './core/signature-header';
import { importPublicKey, MIN_RSA_BITS } from './keys';
import { type MessageInput, messageChunks } from './message-input';

/** RFC 8601 §2.7.1 result values for one signature. */
export type DkimStatus = 'pass' | 'fail' | 'neutral' | 'temperror' | 'permerror';

/**
 * Something that weakens a passing signature. `body-length`: the signature has l=, so
 * content can be appended after the signed part (RFC 6376 §8.2).
 */
export type DkimRisk = 'body-length';

/**
 * The result for one DKIM-Signature field (topmost first).
 *
 * - `pass`: the signature verifies.
 * - `fail`: the body hash or the signature does not match, l= exceeds the body, or the
 *   signature expired (x=) or is dated in the future (t=).
 * - `neutral`: the signature cannot be evaluated: syntax, missing tags, unsupported
 *   version/algorithm (rsa-sha1 is refused, RFC 8301 §3.1), i= outside d=, From unsigned.
 * - `permerror`: the key cannot be used: no record, unparsable, revoked (empty p=), wrong
 *   k=/h=/s=, t=s violated, RSA key under 1024 bits (RFC 8301 §3.2).
 * - `temperror`: the key lookup failed temporarily.
 */
export interface DkimVerification {
  readonly status: DkimStatus;
  /** Why, when not `pass`. */
  readonly reason?: string;
  /** d= (the SDID). */
  readonly sdid?: string;
  /** s=. */
  readonly selector?: string;
  /** i= (the AUID; `@` + d= when absent). */
  readonly auid?: string;
  /** a=. */
  readonly algorithm?: string;
  /** b= without whitespace (Authentication-Results `header.b` takes its first 8 characters, RFC 6008). */
  readonly signature?: string;
  /** RSA modulus length of the key used. */
  readonly keyBits?: number;
  /** The key record says t=y (the domain is testing DKIM). */
  readonly testing: boolean;
  /** Weaknesses of this signature. */
  readonly risks: readonly DkimRisk[];
  /** With l=: how much of the canonical body was signed and how long it is. */
  readonly bodyLength?: { readonly signed: number; readonly total: number };
}

/** The part of the `@smtpkit/dns` `Resolver` that DKIM needs. */
export interface TxtResolver {
  /** TXT lookup with NXDOMAIN / NODATA / temporary failure as values. */
  txt(name: string, options?: LookupOptions): Promise<DnsOutcome<TxtRecord>>;
}

/** Options for {@link verifyMessage}. */
export interface VerifyMessageOptions {
  /** Where key records come from (any `@smtpkit/dns` `Resolver`). */
  readonly resolver: TxtResolver;
  /** Clock in milliseconds since the epoch, for t= and x=. Default `Date.now`. */
  readonly now?: () => number;
  /** Aborts reading the message and the key lookups. */
  readonly signal?: AbortSignal;
  /** Smallest RSA key accepted. Default 1024 (RFC 8301 §3.2); may only be raised. */
  readonly minRsaBits?: number;
  /** Signatures evaluated at most (each costs a DNS query); later ones are `neutral`. Default 8. */
  readonly maxSignatures?: number;
  /** Tolerance in seconds for a t= in the future. Default 300. */
  readonly clockSkew?: number;
  /** Bound on the header section kept in memory. Default 1 MiB. */
  readonly maxHeaderBytes?: number;
}

interface Target {
  readonly hash: Hash;
  readonly limit: number;
  hashed: number;
  digest?: Buffer;
}

interface Pending {
  readonly field: HeaderField;
  readonly signature: ParsedSignature;
  readonly target: Target;
  readonly canon: BodyCanonicalizer;
  readonly key: Promise<KeyLookup>;
}

type KeyLookup =
  | { readonly ok: true; readonly record: KeyRecord }
  | { readonly ok: false; readonly status: 'permerror' | 'temperror'; readonly reason: string };

function base(signature: Partial<ParsedSignature>): Omit<DkimVerification, 'status'> {
  return {
    ...(signature.sdid === undefined ? {} : { sdid: signature.sdid }),
    ...(signature.selector === undefined ? {} : { selector: signature.selector }),
    ...(signature.auid === undefined ? {} : { auid: signature.auid }),
    ...(signature.algorithm === undefined ? {} : { algorithm: signature.algorithm }),
    ...(signature.signatureText === undefined ? {} : { signature: signature.signatureText }),
    testing: false,
    risks: signature.bodyLength === undefined ? [] : ['body-length'],
  };
}

/** Checks that need no key (RFC 6376 §6.1.1); returns a reason when the signature is unusable. */
function precheck(sig: ParsedSignature, nowSeconds: number, skew: number): DkimVerification | undefined {
  const neutral = (reason: string): DkimVerification => ({ ...base(sig), status: 'neutral', reason });
  if (sig.algorithm === 'rsa-sha1') return neutral('rsa-sha1 signatures are not accepted (RFC 8301 §3.1)');
  if (sig.algorithm !== 'rsa-sha256' && sig.algorithm !== 'ed25519-sha256') {
    return neutral(`unsupported algorithm a=${sig.algorithm}`);
  }
  if (!sig.headerNames.includes('from')) return neutral('h= does not include From (RFC 6376 §5.4)');
  const at = sig.auid.lastIndexOf('@');
  const auidDomain = sig.auid.slice(at + 1).toLowerCase();
  const sdid = sig.sdid.toLowerCase();
  if (at === -1 || (auidDomain !== sdid && !auidDomain.endsWith(`.${sdid}`))) {
    return neutral(`i=${sig.auid} is not within d=${sig.sdid}`);
  }
  if (sig.timestamp !== undefined && sig.expiration !== undefined && sig.expiration < sig.timestamp) {
    return neutral('x= is before t=');
  }
  if (sig.expiration !== undefined && sig.expiration < nowSeconds) {
    return { ...base(sig), status: 'fail', reason: 'signature expired (x=)' };
  }
  if (sig.timestamp !== undefined && sig.timestamp > nowSeconds + skew) {
    return { ...base(sig), status: 'fail', reason: 'signature timestamp t= is in the future' };
  }
  return undefined;
}

async function lookupKey(
  resolver: TxtResolver,
  sig: ParsedSignature,
  signal?: AbortSignal,
): Promise<KeyLookup> {
  const name = `${sig.selector}._domainkey.${sig.sdid}`;
  const outcome = await resolver.txt(name, signal ? { signal } : {});
  switch (outcome.status) {
    case 'nxdomain':
    case 'nodata':
      return { ok: false, status: 'permerror', reason: `no key record at ${name} (${outcome.status})` };
    case 'tempfail':
      return { ok: false, status: 'temperror', reason: `key lookup for ${name} failed: ${outcome.reason}` };
  }
  let firstReason = '';
  for (const record of outcome.records) {
    const parsed = parseKeyRecord(record.strings.join(''));
    if (parsed.ok) return { ok: true, record: parsed.record };
    firstReason ||= parsed.reason;
  }
  return { ok: false, status: 'permerror', reason: firstReason || `no key record at ${name}` };
}

/**
 * Verifies every DKIM-Signature field of a message (RFC 6376 §6). The header section is
 * parsed from the start of the stream, the body is streamed into one hash per distinct
 * (canonicalisation, l=) pair; key lookups run meanwhile. Returns one result per
 * signature, topmost first (an empty array when there is none). Throws only for caller
 * bugs (`TypeError`) and aborts.
 *
 * @example
 * ```ts
 * const results = await verifyMessage(stream, { resolver });
 * const header = `Authentication-Results: mx.example.net; ${formatAuthenticationResults(results)}`;
 * ```
 */
export async function verifyMessage(
  message: MessageInput,
  options: VerifyMessageOptions,
): Promise<DkimVerification[]> {
  if (options === null || typeof options !== 'object' || typeof options.resolver?.txt !== 'function') {
    throw new TypeError('options.resolver with a txt() method is required');
  }
  const now = options.now ?? Date.now;
  const minRsaBits = Math.max(MIN_RSA_BITS, options.minRsaBits ?? MIN_RSA_BITS);
  const maxSignatures = options.maxSignatures ?? 8;
  const skew = options.clockSkew ?? 300;
  const signal = options.signal;
  const decoder = new HeaderSectionDecoder(options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
  const iterator = messageChunks(message, signal);
  let rest: Uint8Array | undefined;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        decoder.finish();
        break;
      }
      const at = decoder.feed(next.value);
      if (at !== -1) {
        rest = next.value.subarray(at);
        break;
      }
    }
  } catch (error) {
    if (error instanceof RangeError) {
      await iterator.return(undefined);
      return [{ status: 'permerror', reason: error.message, testing: false, risks: [] }];
    }
    throw error;
  }
  const fields = decoder.fields();
  const nowSeconds = Math.floor(now() / 1000);
  const results: (DkimVerification | Pending)[] = [];
  const canons = new Map<Canonicalization, { canon: BodyCanonicalizer; targets: Target[] }>();
  let evaluated = 0;
  const lookups = new Map<string, Promise<KeyLookup>>();
  for (const field of fields) {
    if (field.name !== 'dkim-signature') continue;
    const text = latin1(field.raw);
    const parsed = parseSignature(text.slice(text.indexOf(':') + 1));
    if (!parsed.ok) {
      const { reason, sdid, selector, algorithm } = parsed;
      results.push({ ...base({ sdid, selector, algorithm }), status: 'neutral', reason });
      continue;
    }
    const sig = parsed.signature;
    const early = precheck(sig, nowSeconds, skew);
    if (early !== undefined) {
      results.push(early);
      continue;
    }
    if (++evaluated > maxSignatures) {
      results.push({ ...base(sig), status: 'neutral', reason: `more than ${maxSignatures} signatures` });
      continue;
    }
    let body = canons.get(sig.bodyCanonicalization);
    if (body === undefined) {
      const targets: Target[] = [];
      const canon = new BodyCanonicalizer(sig.bodyCanonicalization, (bytes) => {
        for (const target of targets) {
          const room = target.limit - target.hashed;
          if (room <= 0) continue;
          const part = room >= bytes.byteLength ? bytes : bytes.subarray(0, room);
          target.hash.update(part);
          target.hashed += part.byteLength;
        }
      });
      body = { canon, targets };
      canons.set(sig.bodyCanonicalization, body);
    }
    const limit = sig.bodyLength ?? Number.POSITIVE_INFINITY;
    let target = body.targets.find((t) => t.limit === limit);
    if (target === undefined) {
      target = { hash: createHash('sha256'), limit, hashed: 0 };
      body.targets.push(target);
    }
    // One query per key name, however many signatures use it.
    const keyName = `${sig.selector}._domainkey.${sig.sdid}`.toLowerCase();
    let key = lookups.get(keyName);
    if (key === undefined) {
      key = lookupKey(options.resolver, sig, signal);
      key.catch(() => undefined); // awaited below; do not report a rejection while the body streams
      lookups.set(keyName, key);
    }
    results.push({ field, signature: sig, target, canon: body.canon, key });
  }
  if (canons.size > 0) {
    const write = (chunk: Uint8Array) => {
      for (const { canon } of canons.values()) canon.write(chunk);
    };
    if (rest !== undefined && rest.byteLength > 0) write(rest);
    if (rest !== undefined) {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        write(next.value);
      }
    }
    for (const { canon, targets } of canons.values()) {
      canon.end();
      for (const target of targets) target.digest = target.hash.digest();
    }
  } else {
    await iterator.return(undefined);
  }
  const out: DkimVerification[] = [];
  for (const entry of results) {
    out.push('field' in entry ? await finish(entry, fields, minRsaBits) : entry);
  }
  return out;
}

async function finish(
  entry: Pending,
  fields: readonly HeaderField[],
  minRsaBits: number,
): Promise<DkimVerification> {
  const sig = entry.signature;
  const lookup = await entry.key;
  const info = base(sig);
  if (!lookup.ok) return { ...info, status: lookup.status, reason: lookup.reason };
  const record = lookup.record;
  const permerror = (reason: string): DkimVerification => ({ ...info, status: 'permerror', reason });
  if (record.publicKey.byteLength === 0) return permerror('key revoked (empty p=)');
  const wantType = sig.algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa';
  if (record.keyType !== wantType)
    return permerror(`key type k=${record.keyType} does not fit a=${sig.algorithm}`);
  if (record.hashAlgorithms !== undefined && !record.hashAlgorithms.includes('sha256')) {
    return permerror('key record h= does not allow sha256');
  }
  if (!record.serviceTypes.some((s) => s === '*' || s.toLowerCase() === 'email')) {
    return permerror('key record s= does not allow email');
  }
  if (record.strict) {
    const auidDomain = sig.auid.slice(sig.auid.lastIndexOf('@') + 1).toLowerCase();
    if (auidDomain !== sig.sdid.toLowerCase()) return permerror('key record t=s forbids an i= subdomain');
  }
  const imported = importPublicKey(record);
  if (!imported.ok) return permerror(imported.reason);
  const keyBits = imported.bits;
  const withKey: Omit<DkimVerification, 'status'> = {
    ...info,
    testing: record.testing,
    ...(keyBits === undefined ? {} : { keyBits }),
    ...(sig.bodyLength === undefined
      ? {}
      : { bodyLength: { signed: sig.bodyLength, total: entry.canon.length } }),
  };
  if (keyBits !== undefined && keyBits < minRsaBits) {
    return {
      ...withKey,
      status: 'permerror',
      reason: `RSA key of ${keyBits} bits is too short (RFC 8301 §3.2)`,
    };
  }
  if (sig.bodyLength !== undefined && sig.bodyLength > entry.canon.length) {
    return { ...withKey, status: 'fail', reason: 'l= is longer than the body' };
  }
  const digest = entry.target.digest;
  if (digest === undefined || !digest.equals(sig.bodyHash)) {
    return { ...withKey, status: 'fail', reason: 'body hash did not verify' };
  }
  const input = headerHashInput(
    fields,
    sig.headerNames,
    sig.headerCanonicalization,
    blankSignatureValue(entry.field.raw),
  );
  if (!checkSignature(sig, input, imported.key)) {
    return { ...withKey, status: 'fail', reason: 'signature did not verify' };
  }
  return { ...withKey, status: 'pass' };
}

function checkSignature(sig: ParsedSignature, input: Uint8Array, key: KeyObject): boolean {
  try {
    if (sig.algorithm === 'ed25519-sha256') {
      return verify(null, createHash('sha256').update(input).digest(), key, sig.signature);
    }
    return verify('sha256', input, key, sig.signature);
  } catch {
    return false;
  }
}
