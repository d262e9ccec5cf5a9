import { SmtpReplyError } from '@smtpkit/wire';

/**
 * What a forward-confirmed reverse DNS check found. `@smtpkit/dns`'s `verifyReverseDns`
 * returns this shape (this package does not depend on `@smtpkit/dns`; pass the function in).
 */
export interface ReverseDnsFinding {
  /** `confirmed` (iprev pass), `unconfirmed` (fail), `none` (no PTR), `tempfail`. */
  readonly status: 'confirmed' | 'unconfirmed' | 'none' | 'tempfail';
  /** PTR names that resolve back to the address. */
  readonly confirmed: readonly string[];
  /** PTR names that do not. */
  readonly unconfirmed: readonly string[];
  /** For `tempfail`: what failed. */
  readonly failure?: { readonly reason: string; readonly message: string };
}

/**
 * One blocklist's answer, as `@smtpkit/dns`'s `checkDnsbl` returns it: `listed` with the
 * 127.0.0.x codes and TXT reason, `not-listed`, or `unknown` (refused/rate-limited codes,
 * odd answers, DNS failures — never a listing).
 */
export type DnsblFinding =
  | {
      readonly zone: string;
      readonly status: 'listed';
      readonly codes: readonly string[];
      readonly reason?: string;
    }
  | { readonly zone: string; readonly status: 'not-listed' }
  | { readonly zone: string; readonly status: 'unknown'; readonly message: string };

/** What to do when a client is listed on one zone. */
export interface DnsblZonePolicy {
  /** The list's zone, e.g. `zen.spamhaus.org`. */
  readonly zone: string;
  /**
   * `reject`: 550 5.7.1 at once; `greylist`: the verdict says greylist (run your greylist,
   * e.g. `createGreylist`, at RCPT); `tag`: accept and add `score`.
   */
  readonly action: 'reject' | 'greylist' | 'tag';
  /** Added to the verdict's score when listed. Default 1. */
  readonly score?: number;
}

/** Options of {@link createClientReputation}. */
export interface ClientReputationOptions {
  /**
   * The FCrDNS check, e.g. `(ip, signal) => verifyReverseDns(ip, { resolver, signal })` from
   * `@smtpkit/dns`. Omit to skip the check.
   */
  readonly verifyReverseDns?: (ip: string, signal?: AbortSignal) => Promise<ReverseDnsFinding>;
  /**
   * `required`: no PTR or no confirmed name is rejected (550 5.7.25), a temporary failure
   * deferred (450 4.7.25), as Postfix's `reject_unknown_client_hostname` (RFC 7372 §3.3).
   * `scored` (default): the client is accepted and `fcrdnsScore` added.
   */
  readonly fcrdns?: 'required' | 'scored';
  /** Score added when FCrDNS fails in `scored` mode. Default 3. */
  readonly fcrdnsScore?: number;
  /**
   * The blocklist lookup, e.g. `(ip, zones, signal) => checkDnsbl(ip, zones, { resolver, signal })`
   * from `@smtpkit/dns`. Required when `zones` is not empty.
   */
  readonly checkDnsbl?: (
    ip: string,
    zones: readonly string[],
    signal?: AbortSignal,
  ) => Promise<readonly DnsblFinding[]>;
  /** Lists to ask and what each listing means. Default none. */
  readonly zones?: readonly DnsblZonePolicy[];
}

/** Who is connecting. */
export interface ClientReputationInput {
  /** The client's IP address (the real one, after PROXY/XCLIENT). */
  readonly clientAddress: string;
  /** The HELO/EHLO name, when checked at HELO: reported as matching a confirmed PTR name or not. */
  readonly helo?: string;
}

/** The decision, strongest first: `reject` > `defer` > `greylist` > `tag` > `accept`. */
export type ClientReputationAction = 'reject' | 'defer' | 'greylist' | 'tag' | 'accept';

/** The outcome of {@link ClientReputation.check}. */
export interface ClientReputationVerdict {
  /** What the backend should do. */
  readonly action: ClientReputationAction;
  /** For `reject` and `defer`: the reply to throw from the session hook (connect/HELO/MAIL). */
  readonly error?: SmtpReplyError;
  /** Sum of the scores of what was found (FCrDNS in `scored` mode, `tag` listings). */
  readonly score: number;
  /** One human-readable line per finding, for logs. */
  readonly reasons: readonly string[];
  /** The FCrDNS finding, when checked. */
  readonly reverseDns?: ReverseDnsFinding;
  /** Each zone's finding, in the order of `zones`. */
  readonly dnsbl: readonly DnsblFinding[];
  /** With a `helo`: whether it is one of the confirmed PTR names. */
  readonly heloMatchesPtr?: boolean;
  /**
   * Result specs for an Authentication-Results header (RFC 8601), without the authserv-id:
   * `iprev=pass policy.iprev=192.0.2.5 (mail.example.com)` (RFC 8601 §2.7.3) and, per zone,
   * `x-dnsbl=fail dns.zone=bl.example policy.ip=127.0.0.2` (shaped like RFC 8904's dnswl;
   * `fail` = listed, `pass` = not listed, `temperror` = unknown). Joined with `; `.
   */
  readonly authenticationResults: string;
}

/** A client-reputation checker; call {@link ClientReputation.check} once per connection. */
export interface ClientReputation {
  /** Runs the checks for one client. DNS failures never reject; they defer or only annotate. */
  check(input: ClientReputationInput, signal?: AbortSignal): Promise<ClientReputationVerdict>;
}

const RANK: Record<ClientReputationAction, number> = { accept: 0, tag: 1, greylist: 2, defer: 3, reject: 4 };

/** Reply text must be printable US-ASCII on one line (RFC 5321 §4.2); lists' TXT is not always. */
function printable(text: string, max = 300): string {
  const clean = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

/** RFC 8601 §2.2 value: a token, or a quoted-string when it holds anything else. */
function arValue(text: string): string {
  return /^[A-Za-z0-9.!#$%&'*+\-/=?^_`{|}~]+$/.test(text)
    ? text
    : `"${printable(text).replace(/["\\]/g, '\\$&')}"`;
}

function checkOptions(options: ClientReputationOptions): void {
  const zones = options.zones ?? [];
  if (zones.length > 0 && !options.checkDnsbl) throw new TypeError('zones need a checkDnsbl function');
  for (const z of zones) {
    if (typeof z.zone !== 'string' || z.zone === '')
      throw new TypeError('a DNSBL zone must be a non-empty string');
    if (!['reject', 'greylist', 'tag'].includes(z.action)) {
      throw new TypeError(`DNSBL action must be reject, greylist or tag: ${String(z.action)}`);
    }
  }
  if (options.fcrdns === 'required' && !options.verifyReverseDns) {
    throw new TypeError("fcrdns: 'required' needs a verifyReverseDns function");
  }
}

/**
 * Client reputation for a server backend, checked at connect or HELO: forward-confirmed
 * reverse DNS (required or only scored) and DNS blocklists with a per-zone action. Gives the
 * precise reply to throw — `550 5.7.1 Client host [ip] listed at <zone>: <TXT>`,
 * `550 5.7.25` / `450 4.7.25` for reverse DNS (RFC 7372 §3.3) — and an
 * Authentication-Results note to add to the message.
 *
 * @example
 * ```ts
 * import { checkDnsbl, createNodeResolver, verifyReverseDns, withCache } from '@smtpkit/dns';
 * const resolver = withCache(createNodeResolver());
 * const reputation = createClientReputation({
 *   verifyReverseDns: (ip, signal) => verifyReverseDns(ip, { resolver, signal }),
 *   checkDnsbl: (ip, zones, signal) => checkDnsbl(ip, zones, { resolver, signal }),
 *   fcrdns: 'scored',
 *   zones: [{ zone: 'zen.spamhaus.org', action: 'reject' }, { zone: 'bl.spamcop.net', action: 'tag', score: 2 }],
 * });
 * // in the backend's session for a new connection:
 * const verdict = await reputation.check({ clientAddress, helo });
 * if (verdict.error) throw verdict.error;
 * ```
 */
export function createClientReputation(options: ClientReputationOptions): ClientReputation {
  checkOptions(options);
  const zones = options.zones ?? [];
  const mode = options.fcrdns ?? 'scored';
  const fcrdnsScore = options.fcrdnsScore ?? 3;
  return {
    async check(input, signal) {
      signal?.throwIfAborted();
      const ip = input.clientAddress;
      const [reverseDns, dnsbl] = await Promise.all([
        options.verifyReverseDns?.(ip, signal),
        zones.length > 0 && options.checkDnsbl
          ? options.checkDnsbl(
              ip,
              zones.map((z) => z.zone),
              signal,
            )
          : Promise.resolve([]),
      ]);
      let action: ClientReputationAction = 'accept';
      let error: SmtpReplyError | undefined;
      let score = 0;
      const reasons: string[] = [];
      const ar: string[] = [];
      const decide = (next: ClientReputationAction, reply?: SmtpReplyError) => {
        if (RANK[next] > RANK[action]) {
          action = next;
          error = reply;
        }
      };

      if (reverseDns) {
        const iprev = { confirmed: 'pass', unconfirmed: 'fail', none: 'permerror', tempfail: 'temperror' }[
          reverseDns.status
        ];
        const names = reverseDns.status === 'confirmed' ? reverseDns.confirmed : reverseDns.unconfirmed;
        ar.push(
          `iprev=${iprev} policy.iprev=${arValue(ip)}${names.length > 0 ? ` (${printable(names.join(' ')).replace(/[()\\]/g, '')})` : ''}`,
        );
        if (reverseDns.status === 'tempfail') {
          reasons.push(
            `reverse DNS of ${ip} failed temporarily: ${reverseDns.failure?.message ?? 'DNS error'}`,
          );
          if (mode === 'required') {
            decide(
              'defer',
              new SmtpReplyError({
                code: 450,
                enhanced: '4.7.25',
                lines: [`Reverse DNS validation failed temporarily for [${ip}], try again later`],
              }),
            );
          }
        } else if (reverseDns.status !== 'confirmed') {
          const why =
            reverseDns.status === 'none'
              ? `no PTR record for ${ip}`
              : `PTR names of ${ip} do not resolve back to it (${names.join(', ')})`;
          reasons.push(why);
          if (mode === 'required') {
            decide(
              'reject',
              new SmtpReplyError({
                code: 550,
                enhanced: '5.7.25',
                lines: [`Reverse DNS validation failed for [${ip}]: ${printable(why)}`],
              }),
            );
          } else {
            score += fcrdnsScore;
            decide('tag');
          }
        }
      }

      for (const [i, finding] of dnsbl.entries()) {
        const policy = zones[i];
        if (!policy) continue;
        if (finding.status === 'not-listed') {
          ar.push(`x-dnsbl=pass dns.zone=${arValue(policy.zone)}`);
          continue;
        }
        if (finding.status === 'unknown') {
          ar.push(`x-dnsbl=temperror dns.zone=${arValue(policy.zone)}`);
          reasons.push(`${policy.zone}: no answer (${finding.message})`);
          continue;
        }
        const txt = finding.reason === undefined ? '' : printable(finding.reason);
        ar.push(
          `x-dnsbl=fail dns.zone=${arValue(policy.zone)} policy.ip=${finding.codes[0] ?? '127.0.0.2'}` +
            (txt ? ` policy.txt=${arValue(txt)}` : ''),
        );
        reasons.push(`${ip} listed at ${policy.zone} (${finding.codes.join(', ')})${txt ? `: ${txt}` : ''}`);
        if (policy.action === 'reject') {
          decide(
            'reject',
            new SmtpReplyError({
              code: 550,
              enhanced: '5.7.1',
              lines: [`Client host [${ip}] listed at ${policy.zone}${txt ? `: ${txt}` : ''}`],
            }),
          );
        } else {
          score += policy.score ?? 1;
          decide(policy.action);
        }
      }

      const helo = input.helo?.toLowerCase().replace(/\.$/, '');
      const heloMatchesPtr =
        helo === undefined || !reverseDns
          ? undefined
          : reverseDns.confirmed.some((n) => n.toLowerCase() === helo);
      if (heloMatchesPtr === false) reasons.push(`HELO ${input.helo} is not a confirmed PTR name of ${ip}`);
      return {
        action,
        ...(error ? { error } : {}),
        score,
        reasons,
        ...(reverseDns ? { reverseDns } : {}),
        dnsbl,
        ...(heloMatchesPtr === undefined ? {} : { heloMatchesPtr }),
        authenticationResults: ar.join('; '),
      };
    },
  };
}
