import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import {
  normalizeName,
  type Zone,
  type ZoneFault,
  type ZoneNode,
  type ZoneRecordType,
  zoneFault,
} from '@smtpkit/dns';
import * as packet from 'dns-packet';
import { fromSpfZonedata, type SpfZonedata } from './spf-zonedata';

/** Options for {@link startDnsServer}. */
export interface DnsServerOptions {
  /**
   * What to serve: a `Zone` (from `@smtpkit/dns`), or RFC 7208 suite `zonedata` (converted with
   * {@link fromSpfZonedata}). Replace it later with {@link DnsServer.setZone}.
   */
  readonly zone: Zone | SpfZonedata;
  /** Address to bind UDP and TCP on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port for both UDP and TCP. Default 0: a free port, the same for both. */
  readonly port?: number;
}

/** One question the server received (for asserting what a client asked, and how). */
export interface DnsQueryLogEntry {
  readonly name: string;
  readonly type: string;
  readonly transport: 'udp' | 'tcp';
}

/** A running DNS server; `close()` it in `afterAll`. */
export interface DnsServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, ready for `createNodeResolver({ servers: [server.address] })`. */
  readonly address: string;
  /** Every question answered or dropped so far, oldest first. */
  readonly queries: readonly DnsQueryLogEntry[];
  /** Serves `zone` from the next query on. */
  setZone(zone: Zone | SpfZonedata): void;
  /** Stops both listeners and drops open TCP connections. */
  close(): Promise<void>;
}

// RFC 1035 §4.1.1 RCODEs and the opcode field.
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** RFC 1035 §4.2.1: UDP messages are limited to 512 octets unless EDNS (RFC 6891) says more. */
const CLASSIC_UDP_LIMIT = 512;
const MAX_UDP_LIMIT = 4096;
const MAX_CNAME_CHAIN = 8;
const DEFAULT_TTL = 300;
/** RFC 6891 §7: a responder answers an OPT with an OPT. 1232 octets: the DNS Flag Day 2020 size. */
const EDNS_REPLY: packet.OptAnswer = {
  type: 'OPT',
  name: '.',
  udpPayloadSize: 1232,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
};

const TYPES: Readonly<Record<string, ZoneRecordType>> = {
  A: 'a',
  AAAA: 'aaaa',
  MX: 'mx',
  TXT: 'txt',
  PTR: 'ptr',
  CNAME: 'cname',
};

/** RFC 1035 §3.3.14: TXT RDATA is character-strings of at most 255 octets each. */
function txtData(value: string | readonly (string | Uint8Array)[]): Buffer[] {
  if (typeof value !== 'string') {
    // RDATA holds one or more strings: an empty list is served as one empty string.
    if (value.length === 0) return [Buffer.alloc(0)];
    return value.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part)));
  }
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0) return [Buffer.alloc(0)];
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out;
}

function recordsOf(owner: string, node: ZoneNode, type: ZoneRecordType): packet.Answer[] {
  const ttl = node.ttl ?? DEFAULT_TTL;
  switch (type) {
    case 'a':
      return (node.a ?? []).map((data) => ({ type: 'A', name: owner, ttl, data }));
    case 'aaaa':
      return (node.aaaa ?? []).map((data) => ({ type: 'AAAA', name: owner, ttl, data }));
    case 'mx':
      return (node.mx ?? []).map((mx) => ({
        type: 'MX',
        name: owner,
        ttl,
        data: { preference: mx.priority, exchange: mx.exchange === '' ? '.' : mx.exchange },
      }));
    case 'txt':
      return (node.txt ?? []).map((txt) => ({ type: 'TXT', name: owner, ttl, data: txtData(txt) }));
    case 'ptr':
      return (node.ptr ?? []).map((data) => ({ type: 'PTR', name: owner, ttl, data }));
    case 'cname':
      return node.cname === undefined ? [] : [{ type: 'CNAME', name: owner, ttl, data: node.cname }];
  }
}

type Resolution =
  | {
      readonly kind: 'answer';
      readonly rcode: number;
      readonly answers: packet.Answer[];
      readonly truncate: boolean;
    }
  | { readonly kind: 'drop' };

const FAULT_RCODE: Record<Exclude<ZoneFault, 'timeout'>, number> = {
  servfail: RCODE.SERVFAIL,
  refused: RCODE.REFUSED,
};

/** Looks a question up in the zone, following CNAMEs inside it as a recursive server would. */
function resolveQuestion(nodes: ReadonlyMap<string, ZoneNode>, qname: string, qtype: string): Resolution {
  const type = TYPES[qtype];
  const answers: packet.Answer[] = [];
  let owner = qname;
  let truncate = false;
  for (let depth = 0; depth <= MAX_CNAME_CHAIN; depth++) {
    const node = nodes.get(normalizeName(owner));
    if (!node) {
      // NXDOMAIN only if the queried name itself is missing; a dangling CNAME is NOERROR.
      return { kind: 'answer', rcode: depth === 0 ? RCODE.NXDOMAIN : RCODE.NOERROR, answers, truncate };
    }
    truncate ||= node.truncate === true;
    const fault = type ? zoneFault(node, type) : node.fault;
    if (fault === 'timeout') return { kind: 'drop' };
    if (fault) return { kind: 'answer', rcode: FAULT_RCODE[fault], answers: [], truncate: false };
    if (!type) return { kind: 'answer', rcode: RCODE.NOERROR, answers, truncate };
    const records = recordsOf(owner, node, type);
    if (records.length > 0 || type === 'cname' || node.cname === undefined) {
      answers.push(...records);
      return { kind: 'answer', rcode: RCODE.NOERROR, answers, truncate };
    }
    answers.push(...recordsOf(owner, node, 'cname'));
    owner = node.cname;
  }
  return { kind: 'answer', rcode: RCODE.SERVFAIL, answers: [], truncate: false };
}

function header(id: number, flags: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(flags, 2);
  return out;
}

/**
 * Builds the reply to one wire-format query, or `undefined` to stay silent (a `timeout`
 * fault, or bytes too short to carry an ID). Never throws.
 */
function reply(
  nodes: ReadonlyMap<string, ZoneNode>,
  message: Buffer,
  transport: 'udp' | 'tcp',
  log: DnsQueryLogEntry[],
): Buffer | undefined {
  if (message.length < 12) return undefined;
  const id = message.readUInt16BE(0);
  const inFlags = message.readUInt16BE(2);
  // QR bit set: a response, not a query; answering it could loop two servers.
  if (inFlags & 0x8000) return undefined;
  const rd = inFlags & packet.RECURSION_DESIRED;
  const opcode = (inFlags >> 11) & 0xf;
  const baseFlags = 0x8000 | packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE | rd | (opcode << 11);
  if (opcode !== 0) return header(id, baseFlags | RCODE.NOTIMP);
  let query: packet.DecodedPacket;
  try {
    query = packet.decode(message);
  } catch {
    return header(id, baseFlags | RCODE.FORMERR);
  }
  const question = query.questions?.[0];
  if (!question || query.questions?.length !== 1) return header(id, baseFlags | RCODE.FORMERR);
  log.push({ name: question.name, type: String(question.type), transport });
  const opt = query.additionals?.find((a) => a.type === 'OPT');
  const edns = opt && 'udpPayloadSize' in opt ? opt : undefined;
  const base: packet.Packet = {
    type: 'response',
    id,
    flags: packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE | rd,
    questions: [question],
    ...(edns ? { additionals: [EDNS_REPLY] } : {}),
  };
  if ((question.class ?? 'IN') !== 'IN')
    return encodeOr(id, baseFlags, { ...base, flags: (base.flags ?? 0) | RCODE.REFUSED });
  const resolution = resolveQuestion(nodes, question.name, String(question.type));
  if (resolution.kind === 'drop') return undefined;
  const full: packet.Packet = {
    ...base,
    flags: (base.flags ?? 0) | resolution.rcode,
    answers: resolution.answers,
  };
  const truncated: packet.Packet = {
    ...base,
    flags: (base.flags ?? 0) | resolution.rcode | packet.TRUNCATED_RESPONSE,
  };
  if (transport === 'udp') {
    if (resolution.truncate) return encodeOr(id, baseFlags, truncated);
    const limit = edns
      ? Math.min(MAX_UDP_LIMIT, Math.max(CLASSIC_UDP_LIMIT, edns.udpPayloadSize ?? 0))
      : CLASSIC_UDP_LIMIT;
    const encoded = encodeOr(id, baseFlags, full);
    // RFC 2181 §9: too big for UDP → TC set; the client retries over TCP (RFC 7766 §5).
    return encoded.length > limit ? encodeOr(id, baseFlags, truncated) : encoded;
  }
  return encodeOr(id, baseFlags, full);
}

/** Encodes a response; zone data the codec rejects (a malformed address) becomes SERVFAIL. */
function encodeOr(id: number, baseFlags: number, response: packet.Packet): Buffer {
  try {
    return packet.encode(response);
  } catch {
    return header(id, baseFlags | RCODE.SERVFAIL);
  }
}

function isZonedata(zone: Zone | SpfZonedata): zone is SpfZonedata {
  return Object.values(zone).some((value) => value === null || Array.isArray(value));
}

function indexZone(input: Zone | SpfZonedata): Map<string, ZoneNode> {
  if (typeof input !== 'object' || input === null)
    throw new TypeError('zone must be an object of name → records');
  const zone = isZonedata(input) ? fromSpfZonedata(input) : input;
  const nodes = new Map<string, ZoneNode>();
  for (const [name, node] of Object.entries(zone)) nodes.set(normalizeName(name), node);
  return nodes;
}

function listen(udp: UdpSocket, tcp: Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => {
      udp.off('error', reject);
      const bound = udp.address().port;
      tcp.once('error', reject);
      tcp.listen(bound, host, () => {
        tcp.off('error', reject);
        resolve(bound);
      });
    });
  });
}

/**
 * Starts a real DNS server on loopback, over UDP and TCP on one port, answering from `zone`:
 * A, AAAA, MX (incl. null MX), TXT (long values split into 255-octet strings, or several
 * strings given explicitly), PTR and CNAME (followed inside the zone). Absent names answer
 * NXDOMAIN, absent types NODATA; `fault` / `faults` inject SERVFAIL, REFUSED or no answer at
 * all (timeout); `truncate` (or an answer over 512 octets without EDNS) sets TC on UDP so the
 * client retries over TCP. Malformed packets never crash it (FORMERR or silence).
 * @example
 * const dns = await startDnsServer({ zone: {
 *   'example.com': { mx: [{ priority: 10, exchange: 'mx.example.com' }] },
 *   'mx.example.com': { a: ['192.0.2.10'] },
 * } });
 * const resolver = createNodeResolver({ servers: [dns.address], timeout: 200, tries: 1 });
 * await resolveMx('example.com', { resolver });
 * await dns.close();
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  let nodes = indexZone(options.zone);
  const log: DnsQueryLogEntry[] = [];
  const family = host.includes(':') ? 'udp6' : 'udp4';
  const connections = new Set<Socket>();

  const handleTcp = (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // RFC 1035 §4.2.2: each message is prefixed with a two-octet length.
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const out = reply(nodes, message, 'tcp', log);
        if (out && !socket.destroyed) {
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(out.length, 0);
          socket.write(Buffer.concat([prefix, out]));
        }
      }
    });
  };

  let port = options.port ?? 0;
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket(family);
    const tcp = createServer(handleTcp);
    try {
      port = await listen(udp, tcp, host, port);
    } catch (error) {
      udp.close();
      tcp.close();
      // A random UDP port can be taken on TCP; try another unless the caller chose the port.
      if (options.port === undefined && attempt < 20 && (error as { code?: unknown }).code === 'EADDRINUSE') {
        port = 0;
        continue;
      }
      throw error;
    }
    udp.on('message', (message: Buffer, peer: RemoteInfo) => {
      const out = reply(nodes, message, 'udp', log);
      if (out) udp.send(out, peer.port, peer.address, () => {});
    });
    udp.on('error', () => {});
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return {
      host,
      port,
      address,
      queries: log,
      setZone(zone: Zone | SpfZonedata) {
        nodes = indexZone(zone);
      },
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of connections) socket.destroy();
          udp.close(() => tcp.close(() => resolve()));
        }),
    };
  }
}
