/**
 * MTA-STS (RFC 8461) text formats: the `_mta-sts` TXT record (§3.1) and the policy file (§3.2),
 * and MX pattern matching (§4.1). Pure functions; discovery and fetching live in
 * `../../node/mta-sts.ts`.
 */

/** RFC 8461 §5: what a policy tells a sender to do. */
export type MtaStsMode = 'enforce' | 'testing' | 'none';

/** A parsed policy (§3.2). */
export interface MtaStsPolicy {
  readonly version: 'STSv1';
  readonly mode: MtaStsMode;
  /** MX patterns: a host name, or `*.` followed by a name (one leftmost label). Lower-cased. */
  readonly mx: readonly string[];
  /** Seconds the policy may be cached (§3.2: at most 31557600). */
  readonly maxAge: number;
}

/** A parse result: the value, or why the text is not one. */
export type MtaStsParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year). */
export const MTA_STS_MAX_AGE_LIMIT = 31_557_600;

/**
 * Parses the `_mta-sts.<domain>` TXT records (§3.1). Exactly one record must start with
 * `v=STSv1`; none means no policy, several are treated as no policy too (§3.1: "senders MUST
 * assume that the Policy Domain does not implement MTA-STS"). Returns the policy `id`.
 * @example
 * ```ts
 * parseMtaStsRecord(['v=STSv1; id=20260101T000000']); // { ok: true, value: { id: '20260101T000000' } }
 * parseMtaStsRecord(['v=spf1 -all']); // { ok: false, reason: 'no v=STSv1 TXT record' }
 * ```
 */
export function parseMtaStsRecord(records: readonly string[]): MtaStsParseResult<{ readonly id: string }> {
  const sts = records.filter((r) => /^v=STSv1\s*(;|$)/.test(r));
  if (sts.length === 0) return { ok: false, reason: 'no v=STSv1 TXT record' };
  if (sts.length > 1) return { ok: false, reason: 'more than one v=STSv1 TXT record' };
  const fields = new Map<string, string>();
  for (const part of sts[0]!.split(';')) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `malformed field ${JSON.stringify(trimmed)}` };
    const key = trimmed.slice(0, eq).trim();
    if (!fields.has(key)) fields.set(key, trimmed.slice(eq + 1).trim());
  }
  const id = fields.get('id');
  // §3.1: sts-id = 1*32(ALPHA / DIGIT)
  if (id === undefined || !/^[A-Za-z0-9]{1,32}$/.test(id))
    return { ok: false, reason: 'missing or malformed id' };
  return { ok: true, value: { id } };
}

/**
 * Parses a policy file (§3.2): `key: value` lines ending in CRLF or LF. `version`, `mode` and
 * `max_age` are required; `mx` is required unless the mode is `none`. Unknown keys are ignored
 * (extension fields); a repeated key other than `mx` keeps its first value.
 * @example
 * ```ts
 * const parsed = parseMtaStsPolicy('version: STSv1\r\nmode: enforce\r\nmx: *.mail.example.com\r\nmax_age: 86400\r\n');
 * if (parsed.ok) parsed.value.mode; // 'enforce'
 * ```
 */
export function parseMtaStsPolicy(text: string): MtaStsParseResult<MtaStsPolicy> {
  const fields = new Map<string, string>();
  const mx: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, reason: `malformed line ${JSON.stringify(line.slice(0, 80))}` };
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'mx') mx.push(value.toLowerCase().replace(/\.$/, ''));
    else if (!fields.has(key)) fields.set(key, value);
  }
  if (fields.get('version') !== 'STSv1') return { ok: false, reason: 'version is not STSv1' };
  const mode = fields.get('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return { ok: false, reason: 'bad mode' };
  const maxAgeText = fields.get('max_age');
  if (maxAgeText === undefined || !/^\d{1,10}$/.test(maxAgeText)) return { ok: false, reason: 'bad max_age' };
  const maxAge = Math.min(Number(maxAgeText), MTA_STS_MAX_AGE_LIMIT);
  if (mode !== 'none' && mx.length === 0) return { ok: false, reason: 'no mx patterns' };
  for (const pattern of mx) {
    if (!/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(pattern)) {
      return { ok: false, reason: `bad mx pattern ${JSON.stringify(pattern)}` };
    }
  }
  return { ok: true, value: { version: 'STSv1', mode, mx, maxAge } };
}

/**
 * Whether an MX host matches a policy pattern (§4.1): case-insensitive; `*.example.com`
 * matches exactly one leftmost label (`mx1.example.com`, not `example.com` nor `a.b.example.com`).
 * @example
 * ```ts
 * matchMxPattern('*.example.com', 'mx1.example.com'); // true
 * matchMxPattern('*.example.com', 'a.b.example.com'); // false
 * matchMxPattern('mx.example.com', 'MX.example.com.'); // true
 * ```
 */
export function matchMxPattern(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) {
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === p.slice(2);
  }
  return h === p;
}

/**
 * Whether `host` matches any of the policy's MX patterns.
 * @example
 * ```ts
 * const policy: MtaStsPolicy = { version: 'STSv1', mode: 'enforce', mx: ['*.mail.example.com'], maxAge: 86_400 };
 * mxAllowedByPolicy(policy, 'mx1.mail.example.com'); // true
 * mxAllowedByPolicy(policy, 'mx.attacker.example'); // false: skip this MX under `enforce`
 * ```
 */
export function mxAllowedByPolicy(policy: MtaStsPolicy, host: string): boolean {
  return policy.mx.some((p) => matchMxPattern(p, host));
}
