import type { Resolver } from '@smtpkit/dns';

/** How one check came out. `skip`: not asked for (no selector, no --to-mx). */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One line of the preflight report. */
export interface CheckResult {
  /** Stable id for scripts (`--json`). */
  readonly id: 'mx' | 'spf' | 'dkim' | 'reverse-dns' | 'dnsbl' | 'mta-sts' | 'dmarc' | 'port25';
  /** What was checked, for people. */
  readonly title: string;
  /** The verdict. */
  readonly status: CheckStatus;
  /** One line: what was found. */
  readonly summary: string;
  /** Supporting lines (records, names, per-list answers). */
  readonly details?: readonly string[];
  /** What to change, for `warn` and `fail`. */
  readonly fix?: string;
}

/** What to check. */
export interface PreflightOptions {
  /** The sending domain (MAIL FROM / From: domain). */
  readonly domain: string;
  /** The IP address mail leaves from. */
  readonly ip: string;
  /** The HELO/EHLO name the sender uses. */
  readonly helo?: string;
  /** DKIM selector to look up at `<selector>._domainkey.<domain>`. */
  readonly dkimSelector?: string;
  /** The DKIM private key (PEM) the record must match. */
  readonly dkimPrivateKey?: string;
  /** A recipient domain whose MX to try on port 25 (`gmail.com`). */
  readonly toMx?: string;
  /** DNS blocklist zones. */
  readonly dnsbls: readonly string[];
  /** Where DNS answers come from. */
  readonly resolver: Resolver;
  /** Port for the reachability check. Default 25 (tests point it at a scripted peer). */
  readonly smtpPort?: number;
  /** Milliseconds to wait for the port-25 connection and greeting. Default 5000. */
  readonly connectTimeout?: number;
  /** Aborts every lookup and the connection. */
  readonly signal?: AbortSignal;
}

/** The whole report. */
export interface PreflightReport {
  /** The domain checked. */
  readonly domain: string;
  /** The sending address checked. */
  readonly ip: string;
  /** One result per check, in a fixed order. */
  readonly checks: readonly CheckResult[];
  /** No check failed. */
  readonly ok: boolean;
}

/** The lists asked when none are given: widely used by large receivers. */
export const DEFAULT_DNSBLS: readonly string[] = [
  'zen.spamhaus.org',
  'bl.spamcop.net',
  'b.barracudacentral.org',
];
