/**
 * The TLVs after the addresses of a PROXY v2 header (HAProxy's "The PROXY protocol", §2.2.7
 * and following): what the proxy knew of the connection that the addresses do not say, such
 * as the name the client asked for with SNI or how its TLS was terminated.
 */
import { crc32c } from './crc32c';

/** One TLV, as sent. */
export interface ProxyTlv {
  /** The type octet: 0x01 ALPN, 0x02 authority, 0x03 CRC-32C, 0x05 unique id, 0x20 SSL, ... */
  readonly type: number;
  readonly value: Uint8Array;
}

/** PP2_TYPE_SSL (§2.2.5): the TLS connection the proxy terminated. */
export interface ProxySslInfo {
  /** The client connected over TLS (PP2_CLIENT_SSL). */
  readonly tls: boolean;
  /** The client presented a certificate on this connection (PP2_CLIENT_CERT_CONN). */
  readonly certificateOnConnection: boolean;
  /** The client presented a certificate at least once in this TLS session (PP2_CLIENT_CERT_SESS). */
  readonly certificateInSession: boolean;
  /** The proxy verified the client certificate (the `verify` field is zero). */
  readonly verified: boolean;
  /** e.g. `TLSv1.3` (PP2_SUBTYPE_SSL_VERSION). */
  readonly version?: string;
  /** The certificate subject's common name (PP2_SUBTYPE_SSL_CN). */
  readonly commonName?: string;
  /** e.g. `ECDHE-RSA-AES128-GCM-SHA256` (PP2_SUBTYPE_SSL_CIPHER). */
  readonly cipher?: string;
  /** The certificate's signature algorithm (PP2_SUBTYPE_SSL_SIG_ALG). */
  readonly signatureAlgorithm?: string;
  /** The certificate's key algorithm (PP2_SUBTYPE_SSL_KEY_ALG). */
  readonly keyAlgorithm?: string;
}

/** The TLVs of one header, with the registered ones decoded. */
export interface ProxyTlvs {
  /** Every TLV in order, including the ones decoded below and any unknown to us. */
  readonly tlvs: readonly ProxyTlv[];
  /** The application protocol negotiated with ALPN (PP2_TYPE_ALPN). */
  readonly alpn?: string;
  /** The host name the client asked for, usually its SNI (PP2_TYPE_AUTHORITY, UTF-8). */
  readonly authority?: string;
  /** The proxy's id for the connection, at most 128 octets (PP2_TYPE_UNIQUE_ID). */
  readonly uniqueId?: Uint8Array;
  /** How the proxy terminated TLS (PP2_TYPE_SSL). */
  readonly ssl?: ProxySslInfo;
  /** The network namespace the connection came from (PP2_TYPE_NETNS). */
  readonly netns?: string;
}

const TYPE_ALPN = 0x01;
const TYPE_AUTHORITY = 0x02;
const TYPE_CRC32C = 0x03;
const TYPE_UNIQUE_ID = 0x05;
const TYPE_SSL = 0x20;
const TYPE_NETNS = 0x30;
const SUBTYPE_SSL_VERSION = 0x21;
const SUBTYPE_SSL_CN = 0x22;
const SUBTYPE_SSL_CIPHER = 0x23;
const SUBTYPE_SSL_SIG_ALG = 0x24;
const SUBTYPE_SSL_KEY_ALG = 0x25;
/** §2.2.6: a unique id is at most 128 octets. */
const MAX_UNIQUE_ID = 128;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Splits `bytes` into TLVs; undefined when one runs past the end. */
function splitTlvs(bytes: Uint8Array): ProxyTlv[] | undefined {
  const tlvs: ProxyTlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 3 > bytes.length) return undefined;
    const length = (bytes[at + 1]! << 8) | bytes[at + 2]!;
    const end = at + 3 + length;
    if (end > bytes.length) return undefined;
    tlvs.push({ type: bytes[at]!, value: bytes.subarray(at + 3, end) });
    at = end;
  }
  return tlvs;
}

function text(value: Uint8Array): string | undefined {
  try {
    return utf8.decode(value);
  } catch {
    return undefined;
  }
}

function decodeSsl(value: Uint8Array): ProxySslInfo | string {
  // client (1 octet), verify (4 octets), then sub-TLVs.
  if (value.length < 5) return 'PROXY v2 SSL TLV shorter than 5 octets';
  const sub = splitTlvs(value.subarray(5));
  if (sub === undefined) return 'malformed PROXY v2 SSL sub-TLV';
  const client = value[0]!;
  const verify = ((value[1]! << 24) | (value[2]! << 16) | (value[3]! << 8) | value[4]!) >>> 0;
  const info: { -readonly [K in keyof ProxySslInfo]: ProxySslInfo[K] } = {
    tls: (client & 0x01) !== 0,
    certificateOnConnection: (client & 0x02) !== 0,
    certificateInSession: (client & 0x04) !== 0,
    verified: verify === 0,
  };
  for (const { type, value: v } of sub) {
    const s = text(v);
    if (s === undefined) return 'PROXY v2 SSL sub-TLV is not UTF-8';
    if (type === SUBTYPE_SSL_VERSION) info.version = s;
    else if (type === SUBTYPE_SSL_CN) info.commonName = s;
    else if (type === SUBTYPE_SSL_CIPHER) info.cipher = s;
    else if (type === SUBTYPE_SSL_SIG_ALG) info.signatureAlgorithm = s;
    else if (type === SUBTYPE_SSL_KEY_ALG) info.keyAlgorithm = s;
  }
  return info;
}

/**
 * Decodes the TLVs of the v2 `header` (all of it, signature included) that start at
 * `offset`, and checks its CRC-32C when one is sent (§2.2.3: computed over the whole header
 * with the checksum field zeroed). Returns the reason as a string when they do not parse,
 * a checksum does not match, or a registered TLV's value is malformed.
 */
export function decodeProxyTlvs(header: Uint8Array, offset: number): ProxyTlvs | string {
  const tlvs = splitTlvs(header.subarray(offset));
  if (tlvs === undefined) return 'malformed PROXY v2 TLV';
  const result: { -readonly [K in keyof ProxyTlvs]: ProxyTlvs[K] } = { tlvs };
  for (const tlv of tlvs) {
    const { type, value } = tlv;
    if (type === TYPE_CRC32C) {
      if (value.length !== 4) return 'PROXY v2 CRC-32C TLV is not 4 octets';
      const sent = ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
      const zeroed = Uint8Array.from(header);
      zeroed.fill(0, value.byteOffset - header.byteOffset, value.byteOffset - header.byteOffset + 4);
      if (crc32c(zeroed) !== sent) return 'PROXY v2 checksum does not match';
    } else if (type === TYPE_ALPN || type === TYPE_AUTHORITY || type === TYPE_NETNS) {
      const s = text(value);
      if (s === undefined) return `PROXY v2 TLV 0x${type.toString(16)} is not UTF-8`;
      if (type === TYPE_ALPN) result.alpn = s;
      else if (type === TYPE_AUTHORITY) result.authority = s;
      else result.netns = s;
    } else if (type === TYPE_UNIQUE_ID) {
      if (value.length > MAX_UNIQUE_ID) return 'PROXY v2 unique id longer than 128 octets';
      result.uniqueId = value;
    } else if (type === TYPE_SSL) {
      const ssl = decodeSsl(value);
      if (typeof ssl === 'string') return ssl;
      result.ssl = ssl;
    }
  }
  return result;
}
