/** DKIM key records, RFC 6376 §3.6.1, with RFC 8463's `k=ed25519`. */
import { parseTagList, stripFws } from './tag-list';

/** A key record that parsed. `publicKey` is empty when the key has been revoked (`p=`). */
export interface KeyRecord {
  /** `k=`: `rsa` (the default) or `ed25519`. Other values are rejected while parsing. */
  readonly keyType: 'rsa' | 'ed25519';
  /** `p=` decoded from base64; empty means revoked (§3.6.1). */
  readonly publicKey: Uint8Array;
  /** `h=`: acceptable hash algorithms, or undefined for "all". */
  readonly hashAlgorithms?: readonly string[];
  /** `t=y`: the domain is testing DKIM. */
  readonly testing: boolean;
  /** `t=s`: the AUID's domain must equal the SDID exactly (no subdomains). */
  readonly strict: boolean;
  /** `s=`: service types; `*` or `email` allow email. */
  readonly serviceTypes: readonly string[];
}

/** The outcome of parsing a TXT record as a DKIM key record. */
export type KeyRecordResult =
  | { readonly ok: true; readonly record: KeyRecord }
  | { readonly ok: false; readonly reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Parses a key record's text (the TXT record's strings joined).
 * @example
 * ```ts
 * const parsed = parseKeyRecord(`v=DKIM1; k=rsa; p=${spkiBase64}`); // the TXT strings joined
 * if (parsed.ok) parsed.record.keyType; // 'rsa'
 * else console.log(parsed.reason);
 * ```
 */
export function parseKeyRecord(text: string): KeyRecordResult {
  const parsed = parseTagList(text);
  if (!parsed.ok) return { ok: false, reason: `key record syntax: ${parsed.reason}` };
  const tags = parsed.tags;
  // §3.6.1: v= is optional but, when present, MUST be the first tag and equal "DKIM1".
  const version = tags.get('v');
  if (version !== undefined && (version !== 'DKIM1' || tags.keys().next().value !== 'v')) {
    return { ok: false, reason: `key record has invalid version v=${version}` };
  }
  const k = tags.get('k') ?? 'rsa';
  if (k !== 'rsa' && k !== 'ed25519') return { ok: false, reason: `unknown key type k=${k}` };
  const p = tags.get('p');
  if (p === undefined) return { ok: false, reason: 'key record has no p=' };
  const base64 = stripFws(p);
  if (!BASE64.test(base64)) return { ok: false, reason: 'key record p= is not base64' };
  const h = tags.get('h');
  const serviceTypes = (tags.get('s') ?? '*').split(':').map((s) => s.trim());
  const flags = (tags.get('t') ?? '').split(':').map((s) => s.trim());
  return {
    ok: true,
    record: {
      keyType: k,
      publicKey: Buffer.from(base64, 'base64'),
      ...(h === undefined ? {} : { hashAlgorithms: h.split(':').map((s) => s.trim().toLowerCase()) }),
      testing: flags.includes('y'),
      strict: flags.includes('s'),
      serviceTypes,
    },
  };
}
