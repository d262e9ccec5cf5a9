/**
 * A small, exact RFC 1035 message codec: one query out, one response in, mapped to a
 * {@link DnsOutcome}. Sans-I/O (the message ID is passed in). It exists because c-ares
 * refuses to send names outside host-name syntax (EBADNAME) that are nevertheless valid DNS
 * names — RFC 2181 §11: "any binary string whatever can be used as the label of any
 * resource record" — and SPF macros build such names.
 */
import type { AddressRecord, DnsOutcome, MxRecord, NameRecord, TxtRecord } from '../resolver';
import { canonicalAddress } from './ip';
import { normalizeName } from './names';

/** The record types the codec asks for (RFC 1035 §3.2.2, RFC 3596 §2.1). */
export type WireQueryType = 'a' | 'aaaa' | 'mx' | 'txt' | 'ptr' | 'cname';

/** The record a lookup of each {@link WireQueryType} yields. */
export interface WireRecordOf {
  readonly a: AddressRecord;
  readonly aaaa: AddressRecord;
  readonly mx: MxRecord;
  readonly txt: TxtRecord;
  readonly ptr: NameRecord;
  readonly cname: NameRecord;
}

/** RFC 1035 §3.2.2 / RFC 3596 §2.1 TYPE values. */
export const WIRE_TYPE_CODES: Readonly<Record<WireQueryType, number>> = {
  a: 1,
  cname: 5,
  ptr: 12,
  mx: 15,
  txt: 16,
  aaaa: 28,
};
const CNAME = 5;
const CLASS_IN = 1;
/** RFC 1035 §2.3.4. */
const MAX_LABEL = 63;
const MAX_WIRE_NAME = 255;
/** RFC 6891 §6.1.2: the payload size we advertise; 1232 octets is the DNS Flag Day 2020 value. */
const EDNS_PAYLOAD = 1232;
/** Bound on CNAME links followed inside one answer (c-ares and Postfix use similar bounds). */
const MAX_CNAME_CHAIN = 16;

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8');

/**
 * The labels of a presentation-form name as raw octets. A dot always separates labels; each
 * label's text is encoded as UTF-8 and may hold any octet otherwise (space, `:`, `/`, `%`).
 * @throws TypeError for an empty label, a label over 63 octets or a name over 255 octets.
 */
export function encodeName(name: string): Uint8Array {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = bare === '' ? [] : bare.split('.').map((label) => encoder.encode(label));
  let length = 1;
  for (const label of labels) {
    if (label.length === 0) throw new TypeError(`DNS name has an empty label: ${JSON.stringify(name)}`);
    if (label.length > MAX_LABEL) throw new TypeError(`DNS label longer than ${MAX_LABEL} octets`);
    length += label.length + 1;
  }
  if (length > MAX_WIRE_NAME) throw new TypeError(`DNS name longer than ${MAX_WIRE_NAME} octets`);
  const out = new Uint8Array(length);
  let at = 0;
  for (const label of labels) {
    out[at++] = label.length;
    out.set(label, at);
    at += label.length;
  }
  return out; // the last octet is already 0: the root label
}

/** Options for {@link encodeQuery}. */
export interface EncodeQueryOptions {
  /** The 16-bit message ID (RFC 1035 §4.1.1); the caller draws it at random. */
  readonly id: number;
  /** Adds an EDNS(0) OPT record (RFC 6891) advertising 1232-octet UDP replies. Default true. */
  readonly edns?: boolean;
}

/**
 * Encodes a standard query (QR=0, OPCODE=0, RD=1) for one question of class IN.
 * @throws TypeError for a name that breaks the RFC 1035 length limits; RangeError for a bad id.
 * @example
 * encodeQuery('foo:bar/baz.example.com', 'txt', { id: 0x1234 });
 */
export function encodeQuery(name: string, type: WireQueryType, options: EncodeQueryOptions): Uint8Array {
  const { id } = options;
  if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new RangeError('id must be a 16-bit integer');
  const qname = encodeName(name);
  const edns = options.edns ?? true;
  const out = new Uint8Array(12 + qname.length + 4 + (edns ? 11 : 0));
  const view = new DataView(out.buffer);
  view.setUint16(0, id);
  view.setUint16(2, 0x0100); // RD: we talk to a recursive resolver
  view.setUint16(4, 1); // QDCOUNT
  view.setUint16(10, edns ? 1 : 0); // ARCOUNT
  out.set(qname, 12);
  let at = 12 + qname.length;
  view.setUint16(at, WIRE_TYPE_CODES[type]);
  view.setUint16(at + 2, CLASS_IN);
  at += 4;
  if (edns) {
    // RFC 6891 §6.1.2: root owner, TYPE 41, CLASS = payload size, TTL = ext-rcode/version/flags 0.
    out[at] = 0;
    view.setUint16(at + 1, 41);
    view.setUint16(at + 3, EDNS_PAYLOAD);
  }
  return out;
}

/** A decoded resource record (the parts the codec uses). */
interface WireRecord {
  /** Owner name, presentation form (dots and backslashes inside labels escaped). */
  readonly owner: string;
  readonly type: number;
  readonly klass: number;
  readonly ttl: number;
  readonly rdataStart: number;
  readonly rdataLength: number;
}

/** A decoded response header, question and answer section. */
export interface WireResponse {
  /** The message ID (RFC 1035 §4.1.1), to match against the query's. */
  readonly id: number;
  /** QR bit: 1 for a response. */
  readonly response: boolean;
  /** TC bit (RFC 1035 §4.1.1): the answer did not fit; ask again over TCP (RFC 7766 §5). */
  readonly truncated: boolean;
  /** RCODE (RFC 1035 §4.1.1): 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED... */
  readonly rcode: number;
  /** The first question, when it could be read. */
  readonly question?: { readonly name: string; readonly type: number; readonly klass: number };
  /** Absent when the answer section could not be read (the header still can be). */
  readonly answers?: readonly WireRecord[];
  /** The whole message: RDATA names may point anywhere into it (RFC 1035 §4.1.4). */
  readonly bytes: Uint8Array;
}

class Malformed extends Error {}

/** Reads a possibly compressed name (RFC 1035 §4.1.4) at `start`; `end` is where it ends in place. */
function readName(bytes: Uint8Array, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = start;
  let end = -1;
  let wireLength = 1;
  // Each pointer must go strictly backwards, so a loop cannot form; count hops anyway.
  let limit = start;
  for (let hops = 0; ; ) {
    if (at >= bytes.length) throw new Malformed('name runs past the message');
    const length = bytes[at] ?? 0;
    if (length === 0) {
      if (end < 0) end = at + 1;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      if (at + 1 >= bytes.length) throw new Malformed('truncated compression pointer');
      const target = ((length & 0x3f) << 8) | (bytes[at + 1] ?? 0);
      if (end < 0) end = at + 2;
      if (target >= limit || ++hops > 127) throw new Malformed('compression pointer does not point back');
      limit = target;
      at = target;
      continue;
    }
    if ((length & 0xc0) !== 0) throw new Malformed('reserved label type');
    if (at + 1 + length > bytes.length) throw new Malformed('label runs past the message');
    wireLength += length + 1;
    if (wireLength > MAX_WIRE_NAME) throw new Malformed('name longer than 255 octets');
    const text = utf8.decode(bytes.subarray(at + 1, at + 1 + length));
    // A dot inside a label is escaped as in master files (RFC 1035 §5.1), so it stays one label.
    labels.push(text.replace(/[\\.]/g, (c) => `\\${c}`));
    at += 1 + length;
  }
  return { name: labels.join('.'), end };
}

/**
 * Decodes a response's header, question and answer section. Returns `undefined` for bytes too
 * short to hold a header; never throws (an unreadable section leaves `answers` absent).
 */
export function decodeResponse(bytes: Uint8Array): WireResponse | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint16(2);
  const base = {
    id: view.getUint16(0),
    response: (flags & 0x8000) !== 0,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0x000f,
    bytes,
  };
  const qdcount = view.getUint16(4);
  const ancount = view.getUint16(6);
  try {
    let at = 12;
    let question: WireResponse['question'];
    for (let i = 0; i < qdcount; i++) {
      const { name, end } = readName(bytes, at);
      if (end + 4 > bytes.length) throw new Malformed('question runs past the message');
      if (i === 0) question = { name, type: view.getUint16(end), klass: view.getUint16(end + 2) };
      at = end + 4;
    }
    const answers: WireRecord[] = [];
    for (let i = 0; i < ancount; i++) {
      const { name, end } = readName(bytes, at);
      if (end + 10 > bytes.length) throw new Malformed('record runs past the message');
      const rdataLength = view.getUint16(end + 8);
      if (end + 10 + rdataLength > bytes.length) throw new Malformed('RDATA runs past the message');
      answers.push({
        owner: name,
        type: view.getUint16(end),
        klass: view.getUint16(end + 2),
        // RFC 2181 §8: a TTL with the top bit set is treated as zero.
        ttl: view.getUint32(end + 4) > 0x7fffffff ? 0 : view.getUint32(end + 4),
        rdataStart: end + 10,
        rdataLength,
      });
      at = end + 10 + rdataLength;
    }
    return { ...base, ...(question ? { question } : {}), answers };
  } catch (error) {
    if (error instanceof Malformed) return { ...base };
    throw error;
  }
}

/** True when `response` answers the query `id` for `name`/`type` (RFC 5452 §4.3 / §9.1 matching). */
export function matchesQuery(response: WireResponse, id: number, name: string, type: WireQueryType): boolean {
  if (!response.response || response.id !== id) return false;
  const q = response.question;
  // A FORMERR/NOTIMP reply may carry no question; match those by ID alone.
  if (!q) return response.rcode === 1 || response.rcode === 4;
  return q.type === WIRE_TYPE_CODES[type] && q.klass === CLASS_IN && sameName(q.name, escapeName(name));
}

/** The query name as {@link decodeResponse} spells names: a backslash inside a label escaped. */
function escapeName(name: string): string {
  return name.replace(/\\/g, '\\\\');
}

function sameName(a: string, b: string): boolean {
  // RFC 4343: ASCII case-insensitive.
  return normalizeName(a) === normalizeName(b);
}

type Reader<K extends WireQueryType> = (bytes: Uint8Array, record: WireRecord) => WireRecordOf[K];

function readTarget(bytes: Uint8Array, { rdataStart: at, rdataLength: length, ttl }: WireRecord): NameRecord {
  const { name, end } = readName(bytes, at);
  if (end !== at + length) throw new Malformed('name does not fill its RDATA');
  return { name: normalizeName(name), ttl };
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** RDATA readers (RFC 1035 §3.3, §3.4.1; RFC 3596 §2.2). They throw `Malformed`. */
const READERS: { readonly [K in WireQueryType]: Reader<K> } = {
  a: (bytes, { rdataStart: at, rdataLength: length, ttl }) => {
    if (length !== 4) throw new Malformed('A RDATA is not 4 octets');
    return { address: `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`, ttl };
  },
  aaaa: (bytes, { rdataStart: at, rdataLength: length, ttl }) => {
    if (length !== 16) throw new Malformed('AAAA RDATA is not 16 octets');
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2)
      groups.push(
        view(bytes)
          .getUint16(at + i)
          .toString(16),
      );
    return { address: canonicalAddress(groups.join(':')), ttl };
  },
  mx: (bytes, { rdataStart: at, rdataLength: length, ttl }) => {
    if (length < 3) throw new Malformed('MX RDATA too short');
    const { name, end } = readName(bytes, at + 2);
    if (end !== at + length) throw new Malformed('MX exchange does not fill its RDATA');
    return { exchange: normalizeName(name), priority: view(bytes).getUint16(at), ttl };
  },
  txt: (bytes, { rdataStart: at, rdataLength: length, ttl }) => {
    // RFC 1035 §3.3.14: one or more <character-string>s, each a length octet and that many octets.
    const strings: string[] = [];
    let i = at;
    while (i < at + length) {
      const n = bytes[i] ?? 0;
      if (i + 1 + n > at + length) throw new Malformed('TXT string runs past its RDATA');
      strings.push(utf8.decode(bytes.subarray(i + 1, i + 1 + n)));
      i += 1 + n;
    }
    if (strings.length === 0) throw new Malformed('TXT RDATA is empty');
    return { strings, ttl };
  },
  ptr: readTarget,
  cname: readTarget,
};

/**
 * Maps a response to the {@link DnsOutcome} of the query it answers (match it first with
 * {@link matchesQuery}). RCODE 3 → nxdomain; 2 → tempfail `servfail`; 5 → `refused`; other
 * non-zero RCODEs → `other`; NOERROR → the records of `type` at the end of the CNAME chain
 * the answer holds (RFC 1034 §3.6.2), or nodata. A malformed answer is a temporary failure.
 * Never throws.
 */
export function responseOutcome<T extends WireQueryType>(
  response: WireResponse,
  name: string,
  type: T,
): DnsOutcome<WireRecordOf[T]> {
  const fail = (reason: 'servfail' | 'refused' | 'other', message: string) =>
    ({ status: 'tempfail', reason, message }) as const;
  switch (response.rcode) {
    case 0:
      break;
    case 3:
      return { status: 'nxdomain' };
    case 2:
      return fail('servfail', 'SERVFAIL');
    case 5:
      return fail('refused', 'REFUSED');
    default:
      return fail('other', `RCODE ${response.rcode}`);
  }
  const answers = response.answers;
  if (!answers) return fail('other', 'malformed DNS response');
  const wanted = WIRE_TYPE_CODES[type];
  const read: Reader<T> = READERS[type];
  let owner = escapeName(name);
  const records: WireRecordOf[T][] = [];
  try {
    for (let link = 0; link <= MAX_CNAME_CHAIN; link++) {
      let alias: string | undefined;
      for (const record of answers) {
        if (record.klass !== CLASS_IN || !sameName(record.owner, owner)) continue;
        if (record.type === wanted) {
          records.push(read(response.bytes, record));
        } else if (record.type === CNAME && alias === undefined) {
          alias = readTarget(response.bytes, record).name;
        }
      }
      if (records.length > 0) return { status: 'found', records };
      if (alias === undefined) return { status: 'nodata' };
      owner = alias;
    }
  } catch (error) {
    if (error instanceof Malformed) return fail('other', `malformed DNS response: ${error.message}`);
    return fail('other', 'malformed DNS response');
  }
  return fail('servfail', 'CNAME chain too long');
}
