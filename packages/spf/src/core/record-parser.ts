/**
 * The SPF record grammar (RFC 7208 §4.5, §4.6, §5, §6, §7.1) as a pure parser. The whole
 * record is checked before evaluation starts: §4.6 says a syntax error anywhere gives
 * "permerror" "without further interpretation or evaluation".
 */
import { type ParsedIp, parseIpNetwork } from './ip';
import { isMacroSyntaxError, type MacroString, parseMacroString } from './macro';

/** A directive's qualifier (§4.6.2): `+` pass, `-` fail, `~` softfail, `?` neutral. */
export type Qualifier = '+' | '-' | '~' | '?';

/** A mechanism (§5) with its parsed arguments. */
export type Mechanism =
  | { readonly kind: 'all' }
  | { readonly kind: 'include' | 'exists'; readonly domain: MacroString }
  | {
      readonly kind: 'a' | 'mx';
      readonly domain?: MacroString;
      /** §5.6 dual-cidr-length, defaults 32 and 128. */
      readonly cidr4: number;
      readonly cidr6: number;
    }
  | { readonly kind: 'ptr'; readonly domain?: MacroString }
  | { readonly kind: 'ip4' | 'ip6'; readonly network: ParsedIp; readonly prefix: number };

/** A directive: qualifier, mechanism and the term as written. */
export interface Directive {
  readonly qualifier: Qualifier;
  readonly mechanism: Mechanism;
  readonly text: string;
}

/** A parsed SPF record. */
export interface SpfRecord {
  /** The directives, in record order. */
  readonly directives: readonly Directive[];
  /** `redirect=` (§6.1), at most one. */
  readonly redirect?: MacroString;
  /** `exp=` (§6.2), at most one. */
  readonly exp?: MacroString;
  /** Whether an `all` mechanism appears anywhere (§5.1: then `redirect` is ignored). */
  readonly hasAll: boolean;
  /** The record text. */
  readonly text: string;
}

/** What {@link parseSpfRecord} returns. */
export type ParseResult =
  | { readonly ok: true; readonly record: SpfRecord }
  | { readonly ok: false; readonly error: string };

/**
 * §4.5: a record starts with exactly "v=spf1", then a space or the end (case-insensitive).
 * @example
 * ```ts
 * isSpfRecord('v=spf1 mx -all'); // true
 * isSpfRecord('v=spf10 -all'); // false
 * ```
 */
export function isSpfRecord(text: string): boolean {
  if (text.length < 6) return false;
  const head = text.slice(0, 6).toLowerCase();
  return head === 'v=spf1' && (text.length === 6 || text.charCodeAt(6) === 0x20);
}

const MODIFIER = /^([A-Za-z][A-Za-z0-9._-]*)=/;
const MECHANISM_NAME = /^[A-Za-z][A-Za-z0-9._-]*/;
const CIDR_SUFFIX = /^(.*?)(?:\/(0|[1-9][0-9]*))?(?:\/\/(0|[1-9][0-9]*))?$/s;
const TOPLABEL = /^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$/;

/**
 * Parses an SPF record's text (already selected by {@link isSpfRecord}, TXT strings joined).
 * Pure; never throws for any input.
 *
 * @example
 * ```ts
 * const parsed = parseSpfRecord('v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all');
 * if (parsed.ok) console.log(parsed.record.directives.length); // 3
 * ```
 */
export function parseSpfRecord(text: string): ParseResult {
  if (!isSpfRecord(text)) return { ok: false, error: 'not an SPF record (no "v=spf1")' };
  const directives: Directive[] = [];
  let redirect: MacroString | undefined;
  let exp: MacroString | undefined;
  let hasAll = false;
  // §4.6.1: terms are separated by one or more spaces (SP only: other whitespace is an error).
  const terms = text.slice(6).split(' ');
  for (const term of terms) {
    if (term === '') continue;
    const modifier = MODIFIER.exec(term);
    if (modifier) {
      const name = modifier[1]!.toLowerCase();
      const value = term.slice(modifier[0].length);
      if (name === 'redirect' || name === 'exp') {
        const domain = parseDomainSpec(value);
        if (typeof domain === 'string') return { ok: false, error: `${name}=: ${domain}` };
        // §6: each of these modifiers MUST NOT appear more than once.
        if (name === 'redirect') {
          if (redirect) return { ok: false, error: 'more than one redirect=' };
          redirect = domain;
        } else {
          if (exp) return { ok: false, error: 'more than one exp=' };
          exp = domain;
        }
      } else {
        // §6: unknown modifiers are ignored, but their value must still be a macro-string.
        const parsed = parseMacroString(value);
        if (isMacroSyntaxError(parsed)) return { ok: false, error: `${name}=: ${parsed.error}` };
      }
      continue;
    }
    const directive = parseDirective(term);
    if (typeof directive === 'string') return { ok: false, error: directive };
    if (directive.mechanism.kind === 'all') hasAll = true;
    directives.push(directive);
  }
  return {
    ok: true,
    record: {
      directives,
      ...(redirect ? { redirect } : {}),
      ...(exp ? { exp } : {}),
      hasAll,
      text,
    },
  };
}

function parseDirective(term: string): Directive | string {
  let rest = term;
  let qualifier: Qualifier = '+';
  const first = term[0];
  if (first === '+' || first === '-' || first === '~' || first === '?') {
    qualifier = first;
    rest = term.slice(1);
  }
  const nameMatch = MECHANISM_NAME.exec(rest);
  if (!nameMatch) return `invalid term "${term}"`;
  const name = nameMatch[0].toLowerCase();
  const args = rest.slice(nameMatch[0].length);
  const mechanism = parseMechanism(name, args);
  if (typeof mechanism === 'string') return `${mechanism} in "${term}"`;
  return { qualifier, mechanism, text: term };
}

function parseMechanism(name: string, args: string): Mechanism | string {
  switch (name) {
    case 'all':
      return args === '' ? { kind: 'all' } : 'unexpected argument to all';
    case 'include':
    case 'exists': {
      if (!args.startsWith(':')) return `${name} needs ":domain"`;
      const domain = parseDomainSpec(args.slice(1));
      return typeof domain === 'string' ? domain : { kind: name, domain };
    }
    case 'ptr': {
      if (args === '') return { kind: 'ptr' };
      if (!args.startsWith(':')) return 'invalid ptr argument';
      const domain = parseDomainSpec(args.slice(1));
      return typeof domain === 'string' ? domain : { kind: 'ptr', domain };
    }
    case 'a':
    case 'mx': {
      const cidr = CIDR_SUFFIX.exec(args)!;
      const head = cidr[1]!;
      const cidr4 = cidr[2] === undefined ? 32 : Number(cidr[2]);
      const cidr6 = cidr[3] === undefined ? 128 : Number(cidr[3]);
      if (cidr4 > 32) return 'ip4-cidr-length above 32';
      if (cidr6 > 128) return 'ip6-cidr-length above 128';
      if (head === '') return { kind: name, cidr4, cidr6 };
      if (!head.startsWith(':')) return `invalid ${name} argument`;
      const domain = parseDomainSpec(head.slice(1));
      return typeof domain === 'string' ? domain : { kind: name, domain, cidr4, cidr6 };
    }
    case 'ip4':
    case 'ip6': {
      if (!args.startsWith(':')) return `${name} needs ":address"`;
      const family = name === 'ip4' ? 4 : 6;
      const body = args.slice(1);
      const slash = body.indexOf('/');
      const address = slash < 0 ? body : body.slice(0, slash);
      let prefix = family === 4 ? 32 : 128;
      if (slash >= 0) {
        const length = body.slice(slash + 1);
        // §5.6: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT): no leading zeros, no "//".
        if (!/^(?:0|[1-9][0-9]{0,2})$/.test(length)) return 'invalid cidr-length';
        prefix = Number(length);
        if (prefix > (family === 4 ? 32 : 128)) return 'cidr-length out of range';
      }
      const network = parseIpNetwork(address, family);
      if (!network) return `invalid ${name === 'ip4' ? 'IPv4' : 'IPv6'} network "${address}"`;
      return { kind: name, network, prefix };
    }
    default:
      return `unknown mechanism "${name}"`;
  }
}

/**
 * `domain-spec = macro-string domain-end` (§7.1), checked on the text as written: it must end
 * in a macro or in `"." toplabel ["."]`. (The suite's "invalid-hello-macro" case: syntax is not
 * re-checked after expansion.)
 */
export function parseDomainSpec(text: string): MacroString | string {
  if (text === '') return 'empty domain-spec';
  const parsed = parseMacroString(text);
  if (isMacroSyntaxError(parsed)) return parsed.error;
  const last = parsed.tokens[parsed.tokens.length - 1];
  if (typeof last === 'string') {
    const trimmed = last.endsWith('.') ? last.slice(0, -1) : last;
    const dot = trimmed.lastIndexOf('.');
    if (dot < 0 || !TOPLABEL.test(trimmed.slice(dot + 1))) {
      return `domain-spec "${text}" must end in a macro or a valid top label`;
    }
  }
  return parsed;
}
