/**
 * RFC 7208 §4 `check_host()`: record selection, directive evaluation, `redirect`/`exp`, and
 * the §4.6.4 limits. DNS comes only from the injected Resolver; every limit is checked before
 * the query it would allow, so no record can make an evaluation do more DNS work than the
 * limits permit.
 */
import {
  type AddressRecord,
  type DnsOutcome,
  type LookupOptions,
  type MxRecord,
  type NameRecord,
  type Resolver,
  reverseName,
  type TxtRecord,
} from '@smtpkit/dns';
import { formatIp, ipMacroForm, type ParsedIp, parseIp, parseIpNetwork, sameNetwork } from './core/ip';
import {
  expandMacroString,
  isMacroSyntaxError,
  type MacroLetter,
  type MacroString,
  parseMacroString,
} from './core/macro';
import { type Directive, isSpfRecord, parseSpfRecord, type SpfRecord } from './core/record-parser';
import type { CheckHostInput, CheckHostOptions, CheckHostResult, SpfLimits, SpfResult } from './types';

/** RFC 7208 §4.6.4 defaults. */
export const DEFAULT_LIMITS: SpfLimits = Object.freeze({
  dnsTerms: 10,
  mxNames: 10,
  ptrNames: 10,
  voidLookups: 2,
});

/** Thrown inside one evaluation to end it with permerror/temperror; never escapes checkHost. */
class Stop {
  constructor(
    readonly result: 'permerror' | 'temperror',
    readonly problem: string,
  ) {}
}

interface Outcome {
  readonly result: SpfResult;
  readonly mechanism?: string;
  readonly explanation?: string;
}

const QUALIFIER_RESULT = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' } as const;

/** A bounded cache of parsed records: the same policy text is parsed once per process. */
const parsedRecords = new Map<string, ReturnType<typeof parseSpfRecord>>();
const PARSE_CACHE_SIZE = 512;

function parseCached(text: string): ReturnType<typeof parseSpfRecord> {
  let parsed = parsedRecords.get(text);
  if (!parsed) {
    parsed = parseSpfRecord(text);
    if (parsedRecords.size >= PARSE_CACHE_SIZE) parsedRecords.clear();
    parsedRecords.set(text, parsed);
  }
  return parsed;
}

/** State of one evaluation: shared by the includes and redirects it follows (§4.6.4). */
class Evaluation {
  dnsTerms = 0;
  voidLookups = 0;
  readonly problems: string[] = [];
  readonly limits: SpfLimits;
  readonly resolver: Resolver;
  readonly signal: AbortSignal | undefined;
  readonly ip: ParsedIp;
  readonly localPart: string;
  readonly senderDomain: string;
  readonly sender: string;
  readonly helo: string;
  /** PTR names of the client (first `ptrNames`), looked up once per evaluation. */
  private ptrNames: Promise<readonly string[]> | undefined;
  /** Name → whether one of its addresses is the client's (§5.5), once per name. */
  private readonly validated = new Map<string, Promise<boolean>>();
  topRecord: string | undefined;
  /**
   * `%{i}`. IPv6 nibbles keep the case the address was written in (DNS is case-insensitive;
   * the suite's "v-macro-ip6" expects `CAFE:BABE::1` to give upper-case nibbles).
   */
  get ipMacro(): string {
    if (this.iForm === undefined) {
      const form = ipMacroForm(this.ip);
      const text = this.ipText;
      this.iForm =
        this.ip.family === 6 && /[A-F]/.test(text) && !/[a-f]/.test(text) ? form.toUpperCase() : form;
    }
    return this.iForm;
  }
  private iForm: string | undefined;
  private readonly ipText: string;
  private reverse: string | undefined;

  constructor(
    ip: ParsedIp,
    input: CheckHostInput,
    readonly options: CheckHostOptions,
  ) {
    this.ip = ip;
    this.resolver = options.resolver;
    this.signal = options.signal;
    this.limits = options.limits ? { ...DEFAULT_LIMITS, ...options.limits } : DEFAULT_LIMITS;
    // §4.3: a sender with no local-part gets "postmaster".
    // §2.4: a null reverse-path is checked as postmaster@<HELO name>.
    const sender = input.sender === '' ? `postmaster@${input.helo || input.domain}` : input.sender;
    const at = sender.lastIndexOf('@');
    this.sender = sender;
    this.localPart = at > 0 ? sender.slice(0, at) : 'postmaster';
    this.senderDomain = at >= 0 ? sender.slice(at + 1) : sender;
    this.helo = input.helo ?? '';
    this.ipText = input.ip;
  }

  /** The client's name under in-addr.arpa / ip6.arpa (§5.5), built on first use. */
  get ptrName(): string {
    this.reverse ??= reverseName(formatIp(this.ip));
    return this.reverse;
  }

  countTerm(term: string): void {
    // Checked before counting: `lookups.dns` reports the terms actually evaluated.
    if (this.dnsTerms >= this.limits.dnsTerms) {
      throw new Stop('permerror', `more than ${this.limits.dnsTerms} DNS-querying terms (at "${term}")`);
    }
    this.dnsTerms++;
  }

  countVoid(name: string): void {
    this.voidLookups++;
    if (this.voidLookups > this.limits.voidLookups) {
      throw new Stop('permerror', `more than ${this.limits.voidLookups} void lookups (at ${name})`);
    }
  }

  /** One resolver call; a thrown non-abort error is a temporary failure, not a crash. */
  private async guard<T>(lookup: () => Promise<DnsOutcome<T>>): Promise<DnsOutcome<T>> {
    this.signal?.throwIfAborted();
    try {
      return await lookup();
    } catch (error) {
      this.signal?.throwIfAborted();
      return { status: 'tempfail', reason: 'other', message: String(error) };
    }
  }

  private get lookupOptions(): LookupOptions | undefined {
    return this.signal ? { signal: this.signal } : undefined;
  }

  txt(name: string): Promise<DnsOutcome<TxtRecord>> {
    return this.guard(() => this.resolver.txt(name, this.lookupOptions));
  }

  mx(name: string): Promise<DnsOutcome<MxRecord>> {
    return this.guard(() => this.resolver.mx(name, this.lookupOptions));
  }

  ptr(name: string): Promise<DnsOutcome<NameRecord>> {
    return this.guard(() => this.resolver.ptr(name, this.lookupOptions));
  }

  addresses(name: string, family: 4 | 6): Promise<DnsOutcome<AddressRecord>> {
    return this.guard(() =>
      family === 4 ? this.resolver.a(name, this.lookupOptions) : this.resolver.aaaa(name, this.lookupOptions),
    );
  }

  macroValues(domain: string, validatedName: string | undefined): (letter: MacroLetter) => string {
    return (letter) => {
      switch (letter) {
        case 's':
          return this.sender;
        case 'l':
          return this.localPart;
        case 'o':
          return this.senderDomain;
        case 'd':
          return domain;
        case 'i':
          return this.ipMacro;
        case 'p':
          return validatedName ?? 'unknown';
        case 'v':
          return this.ip.family === 4 ? 'in-addr' : 'ip6';
        case 'h':
          return this.helo;
        case 'c':
          return formatIp(this.ip);
        case 'r':
          return this.options.receiver ?? 'unknown';
        case 't':
          return String(Math.floor((this.options.now ?? Date.now)() / 1000));
      }
    };
  }

  async expand(macro: MacroString, domain: string): Promise<string> {
    const p = macro.usesP ? await this.validatedDomain(domain) : undefined;
    return expandMacroString(macro, this.macroValues(domain, p));
  }

  /** The client's PTR names, at most `ptrNames` of them (§4.6.4: the rest are ignored). */
  clientPtrNames(): Promise<readonly string[]> {
    this.ptrNames ??= this.ptr(this.ptrName).then((outcome) =>
      outcome.status === 'found'
        ? outcome.records.slice(0, this.limits.ptrNames).map((r) => stripDot(r.name))
        : [],
    );
    return this.ptrNames;
  }

  /** §5.5: a name is validated when one of its A/AAAA addresses is the client's; errors skip it. */
  isValidated(name: string): Promise<boolean> {
    const key = name.toLowerCase();
    let pending = this.validated.get(key);
    if (!pending) {
      pending = this.addresses(name, this.ip.family).then(
        (outcome) =>
          outcome.status === 'found' &&
          outcome.records.some((r) => {
            const address = parseIpNetwork(r.address, this.ip.family);
            return address !== undefined && sameNetwork(address, this.ip, this.ip.family === 4 ? 32 : 128);
          }),
      );
      this.validated.set(key, pending);
    }
    return pending;
  }

  /**
   * `%{p}` (§7.3): the target domain itself if validated, else a validated subdomain of it,
   * else any validated name; undefined ("unknown") when none is.
   */
  async validatedDomain(domain: string): Promise<string | undefined> {
    const names = await this.clientPtrNames();
    let subdomain: string | undefined;
    let other: string | undefined;
    for (const name of names) {
      if (!(await this.isValidated(name))) continue;
      const relation = domainRelation(name, domain);
      if (relation === 'same') return name;
      if (relation === 'sub') subdomain ??= name;
      else other ??= name;
    }
    return subdomain ?? other;
  }
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function domainRelation(name: string, domain: string): 'same' | 'sub' | 'other' {
  const n = name.toLowerCase();
  const d = stripDot(domain).toLowerCase();
  if (n === d) return 'same';
  return n.endsWith(`.${d}`) ? 'sub' : 'other';
}

/**
 * §4.3: the initial domain must be a well-formed multi-label FQDN; otherwise the result is
 * "none". Address literals (`[192.0.2.1]`) and all-numeric top labels (an IP) are not domains.
 * @example
 * ```ts
 * isValidSpfDomain('example.com'); // true
 * isValidSpfDomain('localhost'); // false: a single label
 * isValidSpfDomain('[192.0.2.1]'); // false: an address literal
 * ```
 */
export function isValidSpfDomain(domain: string): boolean {
  const name = stripDot(domain);
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) return false;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f || c === 0x5b || c === 0x5d) return false;
    }
  }
  return !/^[0-9]+$/.test(labels[labels.length - 1]!);
}

/**
 * §7.3: a name built by macro expansion is cut from the left, label by label, to 253
 * characters. Returns undefined for a name that can't be queried (an empty or over-long
 * label): the term then doesn't match (the suite's "invalid-domain-*" cases prefer that).
 */
function targetName(expanded: string): string | undefined {
  let name = stripDot(expanded);
  while (octets(name) > 253) {
    const dot = name.indexOf('.');
    if (dot < 0) return undefined;
    name = name.slice(dot + 1);
  }
  if (name.length === 0) return undefined;
  for (const label of name.split('.')) {
    if (label.length === 0 || octets(label) > 63) return undefined;
  }
  return name;
}

const encoder = new TextEncoder();

/** Length in octets as a DNS label counts it (UTF-8 from a non-ASCII local-part). */
function octets(text: string): number {
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).length;
}

type RecordLookup =
  | { readonly kind: 'record'; readonly text: string }
  | { readonly kind: 'none'; readonly problem: string };

/** §4.4/§4.5: fetch TXT, keep the strings starting "v=spf1"; exactly one may remain. */
async function selectRecord(ev: Evaluation, domain: string): Promise<RecordLookup> {
  const outcome = await ev.txt(domain);
  if (outcome.status === 'tempfail') {
    throw new Stop('temperror', `TXT lookup for ${domain} failed: ${outcome.message}`);
  }
  if (outcome.status !== 'found') return { kind: 'none', problem: `no TXT records at ${domain}` };
  let found: string | undefined;
  for (const record of outcome.records) {
    // §3.3: a record split into several strings is joined without spaces.
    const text = record.strings.length === 1 ? record.strings[0]! : record.strings.join('');
    if (!isSpfRecord(text)) continue;
    if (found !== undefined) throw new Stop('permerror', `more than one SPF record at ${domain}`);
    found = text;
  }
  return found === undefined
    ? { kind: 'none', problem: `no SPF record at ${domain}` }
    : { kind: 'record', text: found };
}

async function evaluateDomain(
  ev: Evaluation,
  domain: string,
  top: boolean,
  wantExp: boolean,
): Promise<Outcome> {
  const lookup = await selectRecord(ev, domain);
  if (lookup.kind === 'none') {
    ev.problems.push(lookup.problem);
    return { result: 'none' };
  }
  if (top) ev.topRecord = lookup.text;
  const parsed = parseCached(lookup.text);
  if (!parsed.ok) throw new Stop('permerror', `${domain}: ${parsed.error}`);
  return evaluateRecord(ev, domain, parsed.record, wantExp);
}

/**
 * `wantExp`: only the result of the checked domain (or its redirect chain) carries an
 * explanation; an included record's "fail" is just "no match" (§5.2), so no exp lookup there.
 */
async function evaluateRecord(
  ev: Evaluation,
  domain: string,
  record: SpfRecord,
  wantExp: boolean,
): Promise<Outcome> {
  for (const directive of record.directives) {
    if (await matches(ev, domain, directive)) {
      const result = QUALIFIER_RESULT[directive.qualifier];
      if (result !== 'fail' || !wantExp) return { result, mechanism: directive.text };
      const explanation = await explain(ev, domain, record);
      return explanation === undefined
        ? { result, mechanism: directive.text }
        : { result, mechanism: directive.text, explanation };
    }
  }
  // §5.1: with an "all" anywhere, redirect is ignored (and "all" always matched above).
  if (record.redirect && !record.hasAll) {
    ev.countTerm(`redirect=${record.redirect.text}`);
    const target = targetName(await ev.expand(record.redirect, domain));
    // §6.1: a malformed target or one without a record is permerror, not none.
    if (target === undefined || !isValidSpfDomain(target)) {
      throw new Stop('permerror', `redirect= target "${record.redirect.text}" is not a valid domain`);
    }
    const outcome = await evaluateDomain(ev, target, false, wantExp);
    if (outcome.result === 'none') throw new Stop('permerror', `redirect=${target} has no SPF record`);
    return outcome;
  }
  // §4.7: no match and no redirect.
  return { result: 'neutral' };
}

async function matches(ev: Evaluation, domain: string, directive: Directive): Promise<boolean> {
  const mechanism = directive.mechanism;
  switch (mechanism.kind) {
    case 'all':
      return true;
    case 'ip4':
    case 'ip6':
      return sameNetwork(ev.ip, mechanism.network, mechanism.prefix);
    case 'include': {
      ev.countTerm(directive.text);
      const target = targetName(await ev.expand(mechanism.domain, domain));
      if (target === undefined || !isValidSpfDomain(target)) {
        throw new Stop('permerror', `include target of "${directive.text}" is not a valid domain`);
      }
      const outcome = await evaluateDomain(ev, target, false, false);
      // §5.2 table: pass matches; fail/softfail/neutral don't; errors propagate; none is permerror.
      switch (outcome.result) {
        case 'pass':
          return true;
        case 'none':
          throw new Stop('permerror', `include:${target} has no SPF record`);
        default:
          return false;
      }
    }
    case 'exists': {
      ev.countTerm(directive.text);
      const target = targetName(await ev.expand(mechanism.domain, domain));
      if (target === undefined) return false;
      // §5.7: always an A query, whatever the client's address family.
      const outcome = await ev.addresses(target, 4);
      if (outcome.status === 'tempfail') throw new Stop('temperror', `${directive.text}: ${outcome.message}`);
      if (outcome.status !== 'found') {
        ev.countVoid(target);
        return false;
      }
      return true;
    }
    case 'a': {
      ev.countTerm(directive.text);
      const target = await mechanismTarget(ev, domain, mechanism.domain);
      if (target === undefined) return false;
      const outcome = await ev.addresses(target, ev.ip.family);
      if (outcome.status === 'tempfail') throw new Stop('temperror', `${directive.text}: ${outcome.message}`);
      if (outcome.status !== 'found') {
        ev.countVoid(target);
        return false;
      }
      return anyInNetwork(ev.ip, outcome.records, ev.ip.family === 4 ? mechanism.cidr4 : mechanism.cidr6);
    }
    case 'mx': {
      ev.countTerm(directive.text);
      const target = await mechanismTarget(ev, domain, mechanism.domain);
      if (target === undefined) return false;
      const outcome = await ev.mx(target);
      if (outcome.status === 'tempfail') throw new Stop('temperror', `${directive.text}: ${outcome.message}`);
      if (outcome.status !== 'found') {
        ev.countVoid(target);
        return false;
      }
      // §4.6.4: at most 10 MX names may be looked up; more is permerror (RFC 7208 settled this).
      if (outcome.records.length > ev.limits.mxNames) {
        throw new Stop(
          'permerror',
          `${directive.text}: more than ${ev.limits.mxNames} MX records at ${target}`,
        );
      }
      const exchanges = [...outcome.records].sort((x, y) => x.priority - y.priority);
      const prefix = ev.ip.family === 4 ? mechanism.cidr4 : mechanism.cidr6;
      for (const mx of exchanges) {
        const exchange = stripDot(mx.exchange);
        if (exchange === '') continue; // RFC 7505 null MX: nothing to look up
        // §4.6.4: these address lookups don't count against the 10 terms, and the term's
        // one void lookup was the MX query; a DNS error on one of them is the term's error.
        const addresses = await ev.addresses(exchange, ev.ip.family);
        if (addresses.status === 'tempfail') {
          throw new Stop('temperror', `${directive.text}: ${exchange}: ${addresses.message}`);
        }
        if (addresses.status === 'found' && anyInNetwork(ev.ip, addresses.records, prefix)) return true;
      }
      return false;
    }
    case 'ptr': {
      ev.countTerm(directive.text);
      const target = await mechanismTarget(ev, domain, mechanism.domain);
      if (target === undefined) return false;
      const outcome = await ev.ptr(ev.ptrName);
      // §5.5: a DNS error on the PTR lookup means "no match".
      if (outcome.status === 'tempfail') return false;
      if (outcome.status !== 'found') {
        ev.countVoid(ev.ptrName);
        return false;
      }
      // §4.6.4: only the first 10 PTR names are considered. Names outside the target domain
      // are skipped before their address lookup (the result can't depend on them).
      for (const record of outcome.records.slice(0, ev.limits.ptrNames)) {
        const name = stripDot(record.name);
        if (domainRelation(name, target) === 'other') continue;
        if (await ev.isValidated(name)) return true;
      }
      return false;
    }
  }
}

async function mechanismTarget(
  ev: Evaluation,
  domain: string,
  spec: MacroString | undefined,
): Promise<string | undefined> {
  if (!spec) return stripDot(domain);
  return targetName(await ev.expand(spec, domain));
}

function anyInNetwork(ip: ParsedIp, records: readonly AddressRecord[], prefix: number): boolean {
  for (const record of records) {
    const address = parseIpNetwork(record.address, ip.family);
    if (address && sameNetwork(ip, address, prefix)) return true;
  }
  return false;
}

/**
 * §6.2: the explanation for a fail. Any problem with `exp=` (bad target, DNS error, not
 * exactly one TXT record, a syntax error in its text) falls back to the default explanation;
 * the lookup counts against no limit.
 */
async function explain(ev: Evaluation, domain: string, record: SpfRecord): Promise<string | undefined> {
  if (record.exp) {
    const text = await fetchExplanation(ev, domain, record.exp);
    if (text !== undefined) return text;
  }
  const fallback = ev.options.defaultExplanation;
  if (fallback === undefined) return undefined;
  const parsed = parseMacroString(fallback, true);
  return isMacroSyntaxError(parsed) ? fallback : ev.expand(parsed, domain);
}

async function fetchExplanation(
  ev: Evaluation,
  domain: string,
  spec: MacroString,
): Promise<string | undefined> {
  const target = targetName(await ev.expand(spec, domain));
  if (target === undefined) return undefined;
  const outcome = await ev.txt(target);
  if (outcome.status !== 'found' || outcome.records.length !== 1) {
    ev.problems.push(`exp=${target}: no single TXT record; default explanation used`);
    return undefined;
  }
  const parsed = parseMacroString(outcome.records[0]!.strings.join(''), true);
  if (isMacroSyntaxError(parsed)) {
    ev.problems.push(`exp=${target}: ${parsed.error}; default explanation used`);
    return undefined;
  }
  return ev.expand(parsed, domain);
}

/**
 * RFC 7208 §4 `check_host(ip, domain, sender)`. Results are values: DNS errors are
 * `temperror`, syntax and limit violations `permerror`; only a caller bug (an unparsable `ip`,
 * a `TypeError`) or an abort rejects.
 *
 * @example
 * ```ts
 * import { createNodeResolver } from '@smtpkit/dns';
 * import { checkHost } from '@smtpkit/spf';
 *
 * const r = await checkHost(
 *   { ip: '192.0.2.10', domain: 'example.com', sender: 'alice@example.com', helo: 'mail.example.com' },
 *   { resolver: createNodeResolver() },
 * );
 * if (r.result === 'fail') console.log(r.explanation);
 * ```
 */
export async function checkHost(input: CheckHostInput, options: CheckHostOptions): Promise<CheckHostResult> {
  const ip = parseIp(input.ip);
  if (!ip) throw new TypeError(`checkHost: "${input.ip}" is not an IP address`);
  if (!options || typeof options.resolver?.txt !== 'function') {
    throw new TypeError('checkHost: options.resolver is required');
  }
  if (options.limits) {
    for (const [key, value] of Object.entries(options.limits)) {
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        throw new RangeError(`checkHost: limits.${key} must be a non-negative integer`);
      }
    }
  }
  const domain = stripDot(input.domain);
  const ev = new Evaluation(ip, input, options);
  const done = (outcome: Outcome): CheckHostResult => ({
    result: outcome.result,
    domain,
    ...(outcome.mechanism === undefined ? {} : { mechanism: outcome.mechanism }),
    ...(outcome.explanation === undefined ? {} : { explanation: outcome.explanation }),
    ...(ev.topRecord === undefined ? {} : { record: ev.topRecord }),
    lookups: { dns: ev.dnsTerms, void: ev.voidLookups },
    ...(ev.problems.length ? { problems: ev.problems } : {}),
  });
  // §4.3: a malformed or single-label domain is "none" without any lookup.
  if (!isValidSpfDomain(domain)) {
    ev.problems.push(`"${input.domain}" is not a valid domain name`);
    return done({ result: 'none' });
  }
  try {
    return done(await evaluateDomain(ev, domain, true, true));
  } catch (error) {
    if (error instanceof Stop) {
      ev.problems.push(error.problem);
      return done({ result: error.result });
    }
    throw error;
  }
}
