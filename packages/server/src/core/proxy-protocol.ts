/**
 * PROXY protocol v1 (text) and v2 (binary) header decoding, per HAProxy's
 * "The PROXY protocol" versions 1 and 2 (2020-03-05). Sans-I/O: the Node layer hands in the
 * first bytes of a connection from a trusted proxy and gets the real client address back,
 * with what a v2 header's TLVs add (SNI name, TLS details, the proxy's connection id).
 */
import { decodeProxyTlvs, type ProxyTlvs } from './proxy-tlv';

export type { ProxySslInfo, ProxyTlv, ProxyTlvs } from './proxy-tlv';

/**
 * What a PROXY header says. `LOCAL`/`UNKNOWN` headers carry no addresses; a v2 `PROXY`
 * header's TLVs are given as {@link ProxyTlvs} fields (`tlvs` lists them all).
 */
export interface ProxyHeader extends Partial<ProxyTlvs> {
  /** 1 or 2. */
  readonly version: 1 | 2;
  /** The original client, or undefined for a `LOCAL` (v2) or `UNKNOWN` (v1) header. */
  readonly source?: { readonly address: string; readonly port: number };
  /** The address the client connected to, when given. */
  readonly destination?: { readonly address: string; readonly port: number };
}

/** What {@link decodeProxyHeader} found in the bytes so far. */
export type ProxyDecodeResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'done'; readonly header: ProxyHeader; readonly consumed: number }
  | { readonly status: 'error'; readonly message: string };

const V2_SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
/** Spec §2.1: a v1 header is at most 107 bytes including CRLF. */
const V1_MAX = 107;
/**
 * v2 headers with TLVs are longer (an SSL TLV with a certificate's names, a 128-octet unique
 * id); anything past this is refused rather than buffered.
 */
const V2_MAX = 16 + 4096;
/** §2.2: the address block's length per address family (AF_UNSPEC, INET, INET6, UNIX). */
const V2_ADDRESS_LENGTH = [0, 12, 36, 216] as const;

/**
 * Decodes a PROXY v1 or v2 header at the start of `bytes`. Answers `incomplete` until enough
 * bytes are there, and never needs more than 4112 bytes to decide.
 *
 * @example
 * ```ts
 * decodeProxyHeader(new TextEncoder().encode('PROXY TCP4 192.0.2.1 192.0.2.2 5000 25\r\nEHLO x\r\n'));
 * // { status: 'done', consumed: 39, header: { version: 1, source: { address: '192.0.2.1', port: 5000 }, ... } }
 * ```
 */
export function decodeProxyHeader(bytes: Uint8Array): ProxyDecodeResult {
  if (bytes.length === 0) return { status: 'incomplete' };
  if (bytes[0] === 0x0d) return decodeV2(bytes);
  if (bytes[0] === 0x50) return decodeV1(bytes);
  return { status: 'error', message: 'not a PROXY protocol header' };
}

function decodeV1(bytes: Uint8Array): ProxyDecodeResult {
  const prefix = 'PROXY ';
  for (let i = 0; i < Math.min(bytes.length, prefix.length); i++) {
    if (bytes[i] !== prefix.charCodeAt(i)) return { status: 'error', message: 'not a PROXY protocol header' };
  }
  let end = -1;
  for (let i = 0; i < Math.min(bytes.length, V1_MAX); i++) {
    if (bytes[i] === 0x0a) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    return bytes.length >= V1_MAX
      ? { status: 'error', message: 'PROXY v1 header longer than 107 bytes' }
      : { status: 'incomplete' };
  }
  if (bytes[end - 1] !== 0x0d) return { status: 'error', message: 'PROXY v1 header not ended by CRLF' };
  let line = '';
  for (let i = 0; i < end - 1; i++) line += String.fromCharCode(bytes[i]!);
  const parts = line.split(' ');
  if (parts[1] === 'UNKNOWN') return { status: 'done', header: { version: 1 }, consumed: end + 1 };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) {
    return { status: 'error', message: 'malformed PROXY v1 header' };
  }
  const [, family, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const ok = family === 'TCP4' ? isIPv4Text(src) && isIPv4Text(dst) : isIPv6Text(src) && isIPv6Text(dst);
  const sp = parsePort(sport);
  const dp = parsePort(dport);
  if (!ok || sp === undefined || dp === undefined) {
    return { status: 'error', message: 'malformed PROXY v1 addresses' };
  }
  return {
    status: 'done',
    header: { version: 1, source: { address: src, port: sp }, destination: { address: dst, port: dp } },
    consumed: end + 1,
  };
}

function decodeV2(bytes: Uint8Array): ProxyDecodeResult {
  for (let i = 0; i < Math.min(bytes.length, 12); i++) {
    if (bytes[i] !== V2_SIGNATURE[i]) return { status: 'error', message: 'not a PROXY protocol header' };
  }
  if (bytes.length < 16) return { status: 'incomplete' };
  const verCmd = bytes[12]!;
  if (verCmd >> 4 !== 2) return { status: 'error', message: 'unsupported PROXY protocol version' };
  const command = verCmd & 0x0f;
  const family = bytes[13]!;
  const length = (bytes[14]! << 8) | bytes[15]!;
  if (16 + length > V2_MAX) return { status: 'error', message: 'PROXY v2 header too long' };
  if (bytes.length < 16 + length) return { status: 'incomplete' };
  const consumed = 16 + length;
  if (command === 0x0) return { status: 'done', header: { version: 2 }, consumed }; // LOCAL
  if (command !== 0x1) return { status: 'error', message: 'unknown PROXY v2 command' };
  const body = bytes.subarray(16, consumed);
  const af = family >> 4;
  const addressLength = V2_ADDRESS_LENGTH[af as 0 | 1 | 2 | 3];
  if (addressLength === undefined || body.length < addressLength) {
    return { status: 'error', message: 'malformed PROXY v2 address block' };
  }
  const tlvs = decodeProxyTlvs(bytes.subarray(0, consumed), 16 + addressLength);
  if (typeof tlvs === 'string') return { status: 'error', message: tlvs };
  const port = (o: number) => (body[o]! << 8) | body[o + 1]!;
  if (af === 0x1) {
    const ip = (o: number) => `${body[o]}.${body[o + 1]}.${body[o + 2]}.${body[o + 3]}`;
    return {
      status: 'done',
      header: {
        version: 2,
        source: { address: ip(0), port: port(8) },
        destination: { address: ip(4), port: port(10) },
        ...tlvs,
      },
      consumed,
    };
  }
  if (af === 0x2) {
    const ip = (o: number) => {
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(port(o + i).toString(16));
      return compressIPv6(groups);
    };
    return {
      status: 'done',
      header: {
        version: 2,
        source: { address: ip(0), port: port(32) },
        destination: { address: ip(16), port: port(34) },
        ...tlvs,
      },
      consumed,
    };
  }
  // AF_UNSPEC or AF_UNIX: no usable network address; the connection's own is kept.
  return { status: 'done', header: { version: 2, ...tlvs }, consumed };
}

function parsePort(text: string): number | undefined {
  if (!/^(0|[1-9]\d{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function isIPv4Text(text: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return false;
  return m.slice(1).every((o) => Number(o) <= 255 && (o === '0' || !o.startsWith('0')));
}

function isIPv6Text(text: string): boolean {
  return /^[0-9a-fA-F:.]{2,45}$/.test(text) && text.includes(':') && (text.match(/::/g)?.length ?? 0) <= 1;
}

function compressIPv6(groups: string[]): string {
  // RFC 5952 §4.2.3: the longest run of zero groups (length > 1) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
