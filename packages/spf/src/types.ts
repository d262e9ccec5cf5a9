import type { Resolver } from '@smtpkit/dns';

/** An RFC 7208 §2.6 result. */
export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';

/** The identity checked (RFC 7208 §2.3/§2.4), as Received-SPF's `identity=` names it (§9.1). */
export type SpfIdentity = 'mailfrom' | 'helo';

/** What `check_host()` is asked (RFC 7208 §4.1). */
export interface CheckHostInput {
  /** The SMTP client's address: IPv4 or IPv6 text (an IPv4-mapped IPv6 address counts as IPv4). */
  readonly ip: string;
  /** The domain whose policy is checked: the MAIL FROM domain, or the HELO name (§2.3, §2.4). */
  readonly domain: string;
  /** The MAIL FROM address (`local@domain`); for the HELO check, `postmaster@<helo>` (§4.3). */
  readonly sender: string;
  /** The HELO/EHLO name given by the client, for the `%{h}` macro. */
  readonly helo?: string;
}

/**
 * The processing limits of RFC 7208 §4.6.4, each defaulting to the RFC's value. Raising them
 * departs from the RFC; lowering them is allowed.
 */
export interface SpfLimits {
  /** Terms that cause DNS queries (include, a, mx, ptr, exists, redirect). Default 10. */
  readonly dnsTerms: number;
  /** MX names per `mx` mechanism; more is permerror. Default 10. */
  readonly mxNames: number;
  /** PTR names looked at per `ptr` mechanism / `%{p}`; the rest are ignored. Default 10. */
  readonly ptrNames: number;
  /** Terms whose lookup answered NXDOMAIN or no records; more is permerror. Default 2. */
  readonly voidLookups: number;
}

/** Options for {@link checkHost} and {@link checkSpf}. */
export interface CheckHostOptions {
  /** Where DNS answers come from (`createNodeResolver()` from `@smtpkit/dns`, or any Resolver). */
  readonly resolver: Resolver;
  /** §4.6.4 limits; each omitted field keeps the RFC default. */
  readonly limits?: Partial<SpfLimits>;
  /** Clock for the `%{t}` explanation macro, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** The receiving host's domain, for `%{r}` (§7.3). Default `unknown`. */
  readonly receiver?: string;
  /**
   * Explanation for a `fail` when the record has no usable `exp=` (§6.2). A macro-string
   * (`%{c}`, `%{r}`, `%{t}` allowed); when omitted, a fail without `exp=` has no explanation.
   */
  readonly defaultExplanation?: string;
  /** Aborting rejects the check with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** The outcome of one `check_host()` (RFC 7208 §4) evaluation. */
export interface CheckHostResult {
  /** The RFC 7208 §2.6 result. */
  readonly result: SpfResult;
  /** The domain checked. */
  readonly domain: string;
  /** The directive that decided (`-all`, `include:_spf.example.com`), when one matched. */
  readonly mechanism?: string;
  /** For `fail`: the `exp=` text (§6.2) or the default explanation. */
  readonly explanation?: string;
  /** The SPF record of `domain`, when one was selected. */
  readonly record?: string;
  /** DNS work done: `dns` terms counted against the limit of 10, `void` lookups (§4.6.4). */
  readonly lookups: { readonly dns: number; readonly void: number };
  /** Why the result is an error, and other things worth logging. */
  readonly problems?: readonly string[];
}
