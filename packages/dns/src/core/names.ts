/** Domain-name helpers shared by the resolvers and `resolveMx`. */
import { domainToASCII } from 'node:url';

/** RFC 1035 §2.3.4: 63 octets per label, 255 octets on the wire (253 as dotted text). */
const MAX_LABEL = 63;
const MAX_NAME = 253;
const encoder = new TextEncoder();

/**
 * Lower-cases a name and drops one trailing dot: the key form used by caches and zones
 * (DNS names compare case-insensitively, RFC 4343).
 * @example
 * normalizeName('Mail.Example.COM.'); // 'mail.example.com'
 */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower;
}

/**
 * Throws a `TypeError` for a name no resolver could look up: not a string, empty, an empty
 * label, a label over 63 octets or a name over 253 octets (RFC 1035 §2.3.4). That is a
 * caller bug, not a DNS outcome.
 */
export function assertLookupName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError('DNS name must be a string');
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0) throw new TypeError('DNS name must not be empty');
  // Octets, not UTF-16 units: only non-ASCII names need encoding to measure.
  const octets = (text: string) => (/^[\x20-\x7e]*$/.test(text) ? text.length : encoder.encode(text).length);
  if (octets(bare) > MAX_NAME) throw new TypeError(`DNS name longer than ${MAX_NAME} octets`);
  let start = 0;
  for (;;) {
    const dot = bare.indexOf('.', start);
    const label = bare.slice(start, dot < 0 ? undefined : dot);
    if (label.length === 0) throw new TypeError(`DNS name has an empty label: ${JSON.stringify(name)}`);
    if (octets(label) > MAX_LABEL) {
      throw new TypeError(`DNS label longer than ${MAX_LABEL} octets in ${JSON.stringify(name)}`);
    }
    if (dot < 0) return;
    start = dot + 1;
  }
}

/**
 * Converts a domain (U-labels or A-labels) to its lower-case A-label form (RFC 5890 §2.3.2.1,
 * UTS #46 processing as WHATWG URL does), without a trailing dot. Returns `undefined` when the
 * name is not a valid IDNA domain or breaks the RFC 1035 length limits.
 * @example
 * toALabel('Bücher.example'); // 'xn--bcher-kva.example'
 */
export function toALabel(domain: string): string | undefined {
  if (domain.length === 0 || domain.includes('@') || /[\s/\\?#[\]:%]/.test(domain)) return undefined;
  const ascii = domainToASCII(domain);
  if (ascii === '') return undefined;
  const name = normalizeName(ascii);
  try {
    assertLookupName(name);
  } catch {
    return undefined;
  }
  return name;
}
