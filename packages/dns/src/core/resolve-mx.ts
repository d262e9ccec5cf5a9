/**
 * RFC 5321 §5.1 mail routing: from a recipient domain to the ordered list of hosts and
 * addresses a delivery worker tries, or a permanent/transient verdict it acts on directly.
 */
import type { AddressRecord, DnsOutcome, MxRecord, Resolver } from '../resolver';
import { type AddressScope, classifyAddress, ipFamily } from './ip';
import { normalizeName, toALabel } from './names';

/** Which address families to use and which first. */
export type AddressOrder = 'ipv4-first' | 'ipv6-first' | 'ipv4-only' | 'ipv6-only';

/** Options for {@link resolveMx}. */
export interface ResolveMxOptions {
  /** Where the DNS answers come from. */
  readonly resolver: Resolver;
  /** Uniform `[0, 1)` source for shuffling equal preferences. Default `Math.random`. */
  readonly random?: () => number;
  /** Keep loopback, private, link-local and other non-public addresses. Default false. */
  readonly allowPrivate?: boolean;
  /** Address families and their order within each host. Default `'ipv4-first'`. */
  readonly addressOrder?: AddressOrder;
  /** Most MX hosts whose addresses are looked up, best first. Default 10. */
  readonly maxHosts?: number;
  /** Aborting rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** One address of an MX host, in the order to try. */
export interface MxAddress {
  /** The address text as the resolver gave it (`192.0.2.1`, `2001:db8::1`). */
  readonly address: string;
  /** IP version, for choosing the socket family. */
  readonly family: 4 | 6;
  /** Seconds, where the resolver knows it. */
  readonly ttl?: number;
}

/** One host to try, with its addresses. */
export interface MxHost {
  /** The MX target as published (A-label, lower case), or the domain itself for an implicit MX. */
  readonly exchange: string;
  /** The MX preference (0 for an implicit MX or an address literal). */
  readonly priority: number;
  /** At least one address, in the order to try (see `addressOrder`). */
  readonly addresses: readonly MxAddress[];
}

/** Why an MX target was left out. */
export type MxSkipReason =
  /** The MX names an IP address (RFC 1035 §3.3.9 wants a domain name; Postfix drops it). */
  | 'ip-literal'
  /** A `.` target among other MX records (only a lone null MX means "no mail", RFC 7505 §3). */
  | 'null-mx-entry'
  /** The target name does not exist. */
  | 'nxdomain'
  /** The target exists but has no address of the families asked for. */
  | 'no-address'
  /** Looking up the target's addresses failed temporarily. */
  | 'tempfail'
  /** Every address of the target is loopback/private/link-local/… and `allowPrivate` is off. */
  | 'private-address'
  /** Beyond `maxHosts`. */
  | 'over-limit';

/** A target that was not used, and why (for logs and DSN diagnostics). */
export interface MxSkipped {
  /** The MX target (`.` for a null-MX entry). */
  readonly exchange: string;
  /** Its MX preference. */
  readonly priority: number;
  /** Why it was left out. */
  readonly reason: MxSkipReason;
  /** The resolver's message or the refused addresses, when there is one. */
  readonly detail?: string;
}

/** Why a domain permanently cannot receive mail. */
export type MxPermanentReason =
  /** RFC 7505 null MX: the domain declares it accepts no mail (5.1.10). */
  | 'null-mx'
  /** The domain does not exist (5.1.2). */
  | 'nxdomain'
  /** Not a valid domain name, even after IDNA conversion (5.1.2). */
  | 'invalid-domain'
  /** MX records exist but none is usable, or the implicit MX has no address (5.4.4). */
  | 'no-usable-host';

/** What {@link resolveMx} decided. Switch on `status`. */
export type MxResolution =
  | {
      readonly status: 'ok';
      /** The domain as looked up (A-label). */
      readonly domain: string;
      /** Hosts in the order to try: preference ascending, equal preferences shuffled. */
      readonly hosts: readonly MxHost[];
      /** True when there was no MX record and the domain itself is the host (RFC 5321 §5.1). */
      readonly implicit: boolean;
      readonly skipped: readonly MxSkipped[];
    }
  | {
      readonly status: 'permanent';
      readonly domain: string;
      readonly reason: MxPermanentReason;
      /** RFC 3463 enhanced status code for the DSN. */
      readonly enhancedCode: '5.1.10' | '5.1.2' | '5.4.4';
      readonly message: string;
      readonly skipped: readonly MxSkipped[];
    }
  | {
      readonly status: 'transient';
      readonly domain: string;
      readonly reason: 'dns-tempfail';
      /** RFC 3463 X.4.3: directory server failure. */
      readonly enhancedCode: '4.4.3';
      readonly message: string;
      readonly skipped: readonly MxSkipped[];
    };

const REFUSED_SCOPES: ReadonlySet<AddressScope> = new Set([
  'private',
  'shared',
  'loopback',
  'link-local',
  'unspecified',
  'multicast',
  'reserved',
]);

/** Fisher–Yates over a copy, with the injected random source. */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}

/**
 * Orders MX records as RFC 5321 §5.1 says: ascending preference, and "if there are multiple
 * destinations with the same preference … the SMTP client SHOULD randomize them". Pure: the
 * randomness is the `random` passed in.
 * @example
 * ```ts
 * const ordered = orderMxRecords(
 *   [
 *     { priority: 20, exchange: 'backup.example.com' },
 *     { priority: 10, exchange: 'mx1.example.com' },
 *     { priority: 10, exchange: 'mx2.example.com' },
 *   ],
 *   Math.random,
 * );
 * // mx1 and mx2 (in random order), then backup
 * ```
 */
export function orderMxRecords(records: readonly MxRecord[], random: () => number): MxRecord[] {
  const byPriority = new Map<number, MxRecord[]>();
  for (const record of records) {
    const group = byPriority.get(record.priority);
    if (group) group.push(record);
    else byPriority.set(record.priority, [record]);
  }
  return [...byPriority.keys()]
    .sort((a, b) => a - b)
    .flatMap((priority) => shuffle(byPriority.get(priority) ?? [], random));
}

interface HostLookup {
  readonly addresses: MxAddress[];
  readonly problem?: { reason: MxSkipReason; detail?: string };
}

function addresses(outcome: DnsOutcome<AddressRecord> | undefined, family: 4 | 6): MxAddress[] {
  if (outcome?.status !== 'found') return [];
  return outcome.records.map((r) =>
    r.ttl === undefined ? { address: r.address, family } : { address: r.address, family, ttl: r.ttl },
  );
}

async function lookupHost(name: string, options: ResolveMxOptions, order: AddressOrder): Promise<HostLookup> {
  const signal = options.signal;
  const want4 = order !== 'ipv6-only';
  const want6 = order !== 'ipv4-only';
  // Both families in parallel; a CNAME target is followed by the resolver (see README:
  // Postfix's dns_lookup() follows up to 10 CNAMEs, so an MX naming an alias still works).
  const [v4, v6] = await Promise.all([
    want4 ? options.resolver.a(name, { signal }) : undefined,
    want6 ? options.resolver.aaaa(name, { signal }) : undefined,
  ]);
  const four = addresses(v4, 4);
  const six = addresses(v6, 6);
  const all = order === 'ipv6-first' || order === 'ipv6-only' ? [...six, ...four] : [...four, ...six];
  const outcomes = [v4, v6].filter((o): o is DnsOutcome<AddressRecord> => o !== undefined);
  if (all.length === 0) {
    const temp = outcomes.find((o) => o.status === 'tempfail');
    if (temp?.status === 'tempfail')
      return { addresses: [], problem: { reason: 'tempfail', detail: temp.message } };
    if (outcomes.every((o) => o.status === 'nxdomain'))
      return { addresses: [], problem: { reason: 'nxdomain' } };
    return { addresses: [], problem: { reason: 'no-address' } };
  }
  if (options.allowPrivate) return { addresses: all };
  const usable = all.filter((a) => !REFUSED_SCOPES.has(classifyAddress(a.address)));
  if (usable.length === 0) {
    return {
      addresses: [],
      problem: {
        reason: 'private-address',
        detail: all.map((a) => `${a.address} (${classifyAddress(a.address)})`).join(', '),
      },
    };
  }
  return { addresses: usable };
}

function literalHost(domain: string): string | undefined {
  // RFC 5321 §4.1.3 address literals: [192.0.2.1] and [IPv6:2001:db8::1]; no DNS involved.
  const inner = /^\[(.*)\]$/.exec(domain)?.[1];
  if (inner === undefined) return undefined;
  if (ipFamily(inner) === 4) return inner;
  const v6 = /^IPv6:(.*)$/i.exec(inner)?.[1];
  return v6 !== undefined && ipFamily(v6) === 6 ? v6 : '';
}

/**
 * Resolves where mail for `domain` goes, per RFC 5321 §5.1 and RFC 7505:
 * - IDN domains are converted to A-labels first;
 * - MX records sorted by preference, equal preferences shuffled with `random`;
 * - no MX record (NODATA) → the domain's own A/AAAA is an implicit MX of preference 0;
 *   NXDOMAIN → permanent (5.1.2), never an implicit MX;
 * - a lone null MX (`0 .`) → permanent 5.1.10, no fallback;
 * - MX targets that are IP literals are skipped, CNAME targets followed (as Postfix does);
 * - non-public addresses are dropped unless `allowPrivate`;
 * - any temporary DNS failure that leaves no usable host → transient 4.4.3.
 *
 * DNS outcomes are values; only caller bugs throw (`TypeError`, `RangeError`) and an abort
 * rejects with the signal's reason.
 * @example
 * const result = await resolveMx('example.com', { resolver: createNodeResolver() });
 * switch (result.status) {
 *   case 'ok': for (const host of result.hosts) for (const a of host.addresses) tryConnect(a.address); break;
 *   case 'transient': defer(result.enhancedCode, result.message); break;
 *   case 'permanent': bounce(result.enhancedCode, result.message); break;
 * }
 */
export async function resolveMx(domain: string, options: ResolveMxOptions): Promise<MxResolution> {
  if (typeof domain !== 'string') throw new TypeError('domain must be a string');
  if (typeof options?.resolver?.mx !== 'function') throw new TypeError('options.resolver must be a Resolver');
  const random = options.random ?? Math.random;
  const order = options.addressOrder ?? 'ipv4-first';
  if (!['ipv4-first', 'ipv6-first', 'ipv4-only', 'ipv6-only'].includes(order)) {
    throw new RangeError(`addressOrder must be ipv4-first, ipv6-first, ipv4-only or ipv6-only`);
  }
  const maxHosts = options.maxHosts ?? 10;
  if (!Number.isInteger(maxHosts) || maxHosts < 1)
    throw new RangeError('maxHosts must be a positive integer');
  options.signal?.throwIfAborted();

  const skipped: MxSkipped[] = [];
  const permanent = (
    name: string,
    reason: MxPermanentReason,
    enhancedCode: '5.1.10' | '5.1.2' | '5.4.4',
    message: string,
  ): MxResolution => ({ status: 'permanent', domain: name, reason, enhancedCode, message, skipped });
  const transient = (name: string, message: string): MxResolution => ({
    status: 'transient',
    domain: name,
    reason: 'dns-tempfail',
    enhancedCode: '4.4.3',
    message,
    skipped,
  });

  const literal = literalHost(domain.trim());
  if (literal !== undefined) {
    if (literal === '')
      return permanent(domain, 'invalid-domain', '5.1.2', `invalid address literal ${domain}`);
    const family = ipFamily(literal) === 6 ? 6 : 4;
    const scope = classifyAddress(literal);
    if (!options.allowPrivate && REFUSED_SCOPES.has(scope)) {
      skipped.push({
        exchange: domain,
        priority: 0,
        reason: 'private-address',
        detail: `${literal} (${scope})`,
      });
      return permanent(domain, 'no-usable-host', '5.4.4', `address literal ${domain} is ${scope}`);
    }
    return {
      status: 'ok',
      domain,
      hosts: [{ exchange: domain, priority: 0, addresses: [{ address: literal, family }] }],
      implicit: true,
      skipped,
    };
  }

  const name = toALabel(domain.trim());
  if (name === undefined)
    return permanent(domain, 'invalid-domain', '5.1.2', `invalid domain name ${JSON.stringify(domain)}`);

  const mx = await options.resolver.mx(name, { signal: options.signal });
  let candidates: MxRecord[];
  let implicit = false;
  switch (mx.status) {
    case 'tempfail':
      return transient(name, `MX lookup for ${name} failed temporarily: ${mx.message}`);
    case 'nxdomain':
      // RFC 5321 §5.1: the implicit MX applies when no MX records are found, which for a
      // name that does not exist at all has nothing to point at.
      return permanent(name, 'nxdomain', '5.1.2', `domain ${name} does not exist`);
    case 'nodata':
      implicit = true;
      candidates = [{ exchange: name, priority: 0 }];
      break;
    case 'found': {
      // RFC 7505 §3: a domain that publishes only the null MX accepts no mail; no fallback.
      if (mx.records.every((r) => r.exchange === '' || r.exchange === '.')) {
        return permanent(
          name,
          'null-mx',
          '5.1.10',
          `domain ${name} does not accept mail (null MX, RFC 7505)`,
        );
      }
      const seen = new Map<string, MxRecord>();
      for (const record of mx.records) {
        const exchange = normalizeName(record.exchange);
        if (exchange === '' || exchange === '.') {
          skipped.push({ exchange: '.', priority: record.priority, reason: 'null-mx-entry' });
          continue;
        }
        if (ipFamily(exchange.replace(/^\[|\]$/g, '')) !== 0) {
          skipped.push({ exchange, priority: record.priority, reason: 'ip-literal' });
          continue;
        }
        const previous = seen.get(exchange);
        if (!previous || previous.priority > record.priority) seen.set(exchange, { ...record, exchange });
      }
      candidates = orderMxRecords([...seen.values()], random);
      if (candidates.length === 0) {
        return permanent(
          name,
          'no-usable-host',
          '5.4.4',
          `no usable MX host for ${name} (every MX names an IP address)`,
        );
      }
      break;
    }
  }

  for (const extra of candidates.slice(maxHosts)) {
    skipped.push({ exchange: extra.exchange, priority: extra.priority, reason: 'over-limit' });
  }
  const chosen = candidates.slice(0, maxHosts);
  const lookups = await Promise.all(chosen.map((c) => lookupHost(c.exchange, options, order)));
  const hosts: MxHost[] = [];
  let tempfail: string | undefined;
  chosen.forEach((candidate, i) => {
    const found = lookups[i];
    if (!found) return;
    if (found.problem) {
      skipped.push({
        exchange: candidate.exchange,
        priority: candidate.priority,
        reason: found.problem.reason,
        ...(found.problem.detail ? { detail: found.problem.detail } : {}),
      });
      if (found.problem.reason === 'tempfail')
        tempfail ??= `${candidate.exchange}: ${found.problem.detail ?? 'temporary failure'}`;
      return;
    }
    hosts.push({ exchange: candidate.exchange, priority: candidate.priority, addresses: found.addresses });
  });

  if (hosts.length > 0) return { status: 'ok', domain: name, hosts, implicit, skipped };
  // As Postfix does, a soft error dominates hard ones: a host we could not look up may exist.
  if (tempfail !== undefined) return transient(name, `address lookup failed temporarily: ${tempfail}`);
  if (implicit) {
    const why =
      skipped[0]?.reason === 'private-address' ? `is ${skipped[0].detail}` : 'has no address record';
    return permanent(name, 'no-usable-host', '5.4.4', `no MX record and ${name} ${why}`);
  }
  return permanent(name, 'no-usable-host', '5.4.4', `no MX host for ${name} has a usable address`);
}
