/**
 * Reverse- and forward-paths (RFC 5321 §4.1.2), with RFC 6531 UTF-8 mailboxes and IDN
 * domains converted to A-labels (RFC 5890) for DNS.
 */
import { hasLineBreakOrNul, isAscii, utf8Length } from './bytes';
import { SmtpSyntaxError } from './errors';
import { domainToAscii } from './punycode';

/** An address literal (RFC 5321 §4.1.3). */
export type AddressLiteral =
  /** `[192.0.2.1]` */
  | {
      /** Discriminant. */
      readonly kind: 'ipv4';
      /** Dotted quad, e.g. `192.0.2.1`. */
      readonly address: string;
    }
  /** `[IPv6:2001:db8::1]`; `address` is the text after `IPv6:`. */
  | {
      /** Discriminant. */
      readonly kind: 'ipv6';
      /** The IPv6 address as written after `IPv6:`. */
      readonly address: string;
    }
  /** `[tag:content]` (General-address-literal). */
  | {
      /** Discriminant. */
      readonly kind: 'general';
      /** The Standardized-tag before the colon. */
      readonly tag: string;
      /** The dcontent after the colon. */
      readonly content: string;
    };

/** A mailbox `local-part@domain` (RFC 5321 §4.1.2). */
export interface Mailbox {
  /**
   * The local part's value: a quoted string is unquoted (`"a b"` gives `a b`). Case is kept:
   * only the destination host may interpret it (RFC 5321 §2.4).
   */
  readonly localPart: string;
  /**
   * The domain as it appears on the wire: a domain name as given (U-labels kept), or an
   * address literal with its brackets (`[192.0.2.1]`, `[IPv6:2001:db8::1]`).
   */
  readonly domain: string;
  /**
   * The domain for routing and DNS: lower-cased, U-labels converted to A-labels
   * (`bücher.example` gives `xn--bcher-kva.example`). For an address literal, `domain` as is.
   */
  readonly asciiDomain: string;
  /** Set when the domain is an address literal. */
  readonly addressLiteral?: AddressLiteral;
  /**
   * The mailbox as text without angle brackets, quoting the local part when it is not a
   * dot-string: `"a b"@example.org`.
   */
  readonly address: string;
  /**
   * `true` if the mailbox has non-ASCII characters (RFC 6531): as written it can only be
   * sent with SMTPUTF8. If only the domain is non-ASCII, formatting with
   * `{ asciiDomain: true }` avoids the need.
   */
  readonly utf8: boolean;
}

/**
 * A path: the null reverse-path `<>`, the special `<Postmaster>` forward-path (RFC 5321
 * §4.1.1.3), or a mailbox. A source route (`<@a.example,@b.example:user@c.example>`) is
 * accepted and dropped (§4.1.1.3, Appendix C).
 */
export type Path =
  | {
      /** The null reverse-path `<>` (bounces, RFC 5321 §4.5.5). */
      readonly kind: 'null';
    }
  | {
      /** `<Postmaster>` without a domain (RFC 5321 §4.1.1.3). */
      readonly kind: 'postmaster';
    }
  | {
      /** A mailbox path. */
      readonly kind: 'mailbox';
      /** The mailbox. */
      readonly mailbox: Mailbox;
    };

/** Options for {@link formatPath}. */
export interface FormatPathOptions {
  /** Write the domain as A-labels (for a peer without SMTPUTF8). Default `false`. */
  readonly asciiDomain?: boolean;
}

/** RFC 5321 §4.5.3.1.1: local part at most 64 octets (as written, quotes included). */
export const MAX_LOCAL_PART_LENGTH = 64;
/** RFC 5321 §4.5.3.1.2: domain at most 255 octets. */
export const MAX_DOMAIN_LENGTH = 255;
/** RFC 5321 §4.5.3.1.3: path at most 256 octets including the angle brackets. */
export const MAX_PATH_LENGTH = 256;

// RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3), plus UTF8-non-ascii (RFC 6531 §3.3).
const ATEXT = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u0080-\\u{10FFFF}";
const DOT_STRING = new RegExp(`^[${ATEXT}]+(?:\\.[${ATEXT}]+)*$`, 'u');
// The same for plain ASCII, without the Unicode-mode regex cost (the common case).
const ASCII_DOT_STRING = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
// An all-ASCII domain: LDH labels of 1..63 octets (RFC 5321 §4.1.2, RFC 1035 §2.3.4).
const ASCII_DOMAIN =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// qtextSMTP / quoted-pairSMTP (RFC 5321 §4.1.2) plus UTF-8 (RFC 6531).
const QUOTABLE = /^[\x20-\x7e\u0080-\u{10FFFF}]*$/u;
// sub-domain = Let-dig [Ldh-str], or a U-label (RFC 6531 §3.3); labels at most 63 octets.
const LABEL =
  /^[A-Za-z0-9\u0080-\u{10FFFF}](?:[A-Za-z0-9\-\u0080-\u{10FFFF}]*[A-Za-z0-9\u0080-\u{10FFFF}])?$/u;
const STANDARDIZED_TAG = /^[A-Za-z0-9-]*[A-Za-z0-9]$/;
const DCONTENT = /^[\x21-\x5a\x5e-\x7e]+$/;

function syntaxError(text: string): SmtpSyntaxError {
  return new SmtpSyntaxError({ code: 501, enhanced: '5.1.3', lines: [text] });
}

/** RFC 5321 §4.1.3 IPv4-address-literal: Snum 3("." Snum), Snum 0..255 in 1..3 digits. */
function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** RFC 5321 §4.1.3 IPv6-addr (full, compressed, and with an IPv4 tail). */
function isIpv6(text: string): boolean {
  let groups = text;
  let extra = 0;
  const lastColon = text.lastIndexOf(':');
  if (lastColon !== -1 && text.slice(lastColon + 1).includes('.')) {
    if (!isIpv4(text.slice(lastColon + 1))) return false;
    groups = text.slice(0, lastColon + 1);
    extra = 2;
    // "...:" + v4: turn the trailing ':' into a proper ending for the split below.
    groups = groups.endsWith('::') ? groups : groups.slice(0, -1);
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const hex = (part: string) => (part === '' ? [] : part.split(':'));
  const head = hex(halves[0]!);
  const tail = halves.length === 2 ? hex(halves[1]!) : [];
  if (![...head, ...tail].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = head.length + tail.length + extra;
  // RFC 5321: IPv6-comp has at most 6 groups beside "::" (4 with an IPv4 tail): count <= 6.
  return halves.length === 2 ? count <= 6 : count === 8;
}

interface ParsedDomain {
  readonly domain: string;
  readonly asciiDomain: string;
  readonly addressLiteral?: AddressLiteral;
}

/**
 * Domain / address-literal (RFC 5321 §4.1.2, §4.1.3). Returns undefined if invalid. `ascii`:
 * the caller already knows whether `text` is all ASCII.
 */
function parseDomainPart(text: string, ascii = isAscii(text)): ParsedDomain | undefined {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) return undefined;
    const inner = text.slice(1, -1);
    if (isIpv4(inner))
      return { domain: text, asciiDomain: text, addressLiteral: { kind: 'ipv4', address: inner } };
    const colon = inner.indexOf(':');
    if (colon === -1) return undefined;
    const tag = inner.slice(0, colon);
    const content = inner.slice(colon + 1);
    if (tag.toLowerCase() === 'ipv6') {
      // The tag is "IPv6" (RFC 5321 §4.1.3); matched case-insensitively, written as sent.
      return isIpv6(content)
        ? { domain: text, asciiDomain: text, addressLiteral: { kind: 'ipv6', address: content } }
        : undefined;
    }
    if (!STANDARDIZED_TAG.test(tag) || !DCONTENT.test(content)) return undefined;
    return { domain: text, asciiDomain: text, addressLiteral: { kind: 'general', tag, content } };
  }
  if (ascii) {
    // Fast path: no U-labels, nothing to convert but case.
    if (!ASCII_DOMAIN.test(text) || text.length > MAX_DOMAIN_LENGTH) return undefined;
    return { domain: text, asciiDomain: text.toLowerCase() };
  }
  const labels = text.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) return undefined;
  }
  let asciiDomain: string;
  try {
    asciiDomain = domainToAscii(text);
  } catch {
    return undefined;
  }
  // RFC 1035 §2.3.4: labels 63 octets; RFC 5321 §4.5.3.1.2: domain 255 octets.
  if (
    asciiDomain
      .split('.')
      .some((label) => label.length > 63 || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(label))
  ) {
    return undefined;
  }
  if (asciiDomain.length > MAX_DOMAIN_LENGTH || utf8Length(text) > MAX_DOMAIN_LENGTH) return undefined;
  return { domain: text, asciiDomain };
}

/** Write a local part: as is when it is a dot-string, else quoted with "\" escapes. */
function formatLocalPart(localPart: string): string | undefined {
  if (ASCII_DOT_STRING.test(localPart) || (!isAscii(localPart) && DOT_STRING.test(localPart)))
    return localPart;
  if (!QUOTABLE.test(localPart)) return undefined;
  return `"${localPart.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The Mailbox for a parsed local part and domain. `written`: the local part as it is written
 * in an address when the caller knows it (an ASCII dot-string is written as is); `ascii`:
 * whether both parts are known to be ASCII.
 */
function buildMailbox(
  localPart: string,
  parsed: ParsedDomain,
  written = formatLocalPart(localPart),
  ascii = isAscii(localPart) && isAscii(parsed.domain),
): Mailbox {
  if (written === undefined) throw syntaxError('Bad local part');
  const address = `${written}@${parsed.domain}`;
  // Two literals rather than a spread: a mailbox is built for every MAIL and RCPT.
  return parsed.addressLiteral
    ? {
        localPart,
        domain: parsed.domain,
        asciiDomain: parsed.asciiDomain,
        addressLiteral: parsed.addressLiteral,
        address,
        utf8: !ascii,
      }
    : { localPart, domain: parsed.domain, asciiDomain: parsed.asciiDomain, address, utf8: !ascii };
}

/**
 * Find where a mailbox's local part ends in `text` starting at `from`: after a quoted string
 * (honouring backslash escapes) or at the "@" of a dot-string. Returns the index of the "@",
 * the local part's value and whether it was a dot-string, or undefined. `ascii`: `text` is
 * known to be all ASCII.
 */
function scanLocalPart(
  text: string,
  from: number,
  ascii: boolean,
): { at: number; value: string; dotString: boolean } | undefined {
  if (text.charAt(from) === '"') {
    let value = '';
    for (let i = from + 1; i < text.length; i++) {
      const c = text.charAt(i);
      if (c === '\\') {
        const next = text.charAt(i + 1);
        // quoted-pairSMTP = %d92 %d32-126 (RFC 6531 adds no UTF-8 here; accept it anyway).
        if (next === '' || next < ' ' || next === '\x7f') return undefined;
        value += next;
        i++;
      } else if (c === '"') {
        if (text.charAt(i + 1) !== '@') return undefined;
        return { at: i + 1, value, dotString: false };
      } else if (c < ' ' || c === '\x7f') {
        return undefined;
      } else {
        value += c;
      }
    }
    return undefined;
  }
  const at = text.indexOf('@', from);
  if (at === -1) return undefined;
  const value = text.slice(from, at);
  // For ASCII text the Unicode-mode DOT_STRING can only agree with ASCII_DOT_STRING.
  return ASCII_DOT_STRING.test(value) || (!ascii && DOT_STRING.test(value))
    ? { at, value, dotString: true }
    : undefined;
}

/** Parse `Mailbox` occupying exactly `text`; `ascii`: `text` is known to be all ASCII. */
function parseMailboxText(text: string, ascii: boolean): Mailbox {
  const scanned = scanLocalPart(text, 0, ascii);
  if (!scanned) throw syntaxError('Bad mailbox syntax');
  if ((ascii ? scanned.at : utf8Length(text.slice(0, scanned.at))) > MAX_LOCAL_PART_LENGTH) {
    throw syntaxError(`Local part longer than ${MAX_LOCAL_PART_LENGTH} octets (RFC 5321 §4.5.3.1.1)`);
  }
  const parsed = parseDomainPart(text.slice(scanned.at + 1), ascii);
  if (!parsed) throw syntaxError('Bad domain or address literal');
  // An ASCII dot-string is written as is; anything else is formatted (quoted if need be).
  return ascii && scanned.dotString
    ? buildMailbox(scanned.value, parsed, scanned.value, true)
    : buildMailbox(scanned.value, parsed);
}

/**
 * Find the end of a path that starts with "<" at `from`: the matching ">" outside a quoted
 * string. Used by command parsing, where parameters follow the path. Returns the index after
 * ">" or -1.
 */
export function scanPathEnd(text: string, from: number): number {
  if (text.charCodeAt(from) !== 0x3c /* < */) return -1;
  let quoted = false;
  for (let i = from + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c /* \\ */) i++;
      else if (c === 0x22 /* " */) quoted = false;
    } else if (c === 0x22) {
      quoted = true;
    } else if (c === 0x3e /* > */) {
      return i + 1;
    }
  }
  return -1;
}

/**
 * Parse a path with its angle brackets: `<user@example.org>`, `<>`, `<Postmaster>`.
 *
 * @throws SmtpSyntaxError with the reply to send (501 5.1.3 for bad syntax or a path over
 * the length limits).
 *
 * @example
 * ```ts
 * const path = parsePath('<"a@b.com x"@c.org>');
 * // path.kind === 'mailbox', path.mailbox.localPart === 'a@b.com x', asciiDomain 'c.org'
 * ```
 */
export function parsePath(text: string): Path {
  if (hasLineBreakOrNul(text)) throw syntaxError('Bad path syntax');
  return parseCheckedPath(text, isAscii(text));
}

/**
 * {@link parsePath} for text already known to hold no CR, LF or NUL (a command line that was
 * checked whole); `ascii`: whether it is all ASCII, also known from the line.
 * @internal
 */
export function parseCheckedPath(text: string, ascii: boolean): Path {
  if ((ascii ? text.length : utf8Length(text)) > MAX_PATH_LENGTH) {
    throw syntaxError(`Path longer than ${MAX_PATH_LENGTH} octets (RFC 5321 §4.5.3.1.3)`);
  }
  if (!text.startsWith('<') || scanPathEnd(text, 0) !== text.length) throw syntaxError('Bad path syntax');
  let inner = text.slice(1, -1);
  if (inner === '') return { kind: 'null' };
  if (inner.length === 10 && inner.toLowerCase() === 'postmaster') return { kind: 'postmaster' };
  if (inner.startsWith('@')) {
    // RFC 5321 §4.1.1.3, Appendix C: a source route "@a,@b:" is accepted and ignored.
    const colon = inner.indexOf(':');
    if (colon === -1) throw syntaxError('Bad source route');
    for (const hop of inner.slice(0, colon).split(',')) {
      if (!hop.startsWith('@') || !parseDomainPart(hop.slice(1))) throw syntaxError('Bad source route');
    }
    inner = inner.slice(colon + 1);
  }
  return { kind: 'mailbox', mailbox: parseMailboxText(inner, ascii) };
}

/**
 * Parse a mailbox without angle brackets, e.g. an address a caller passed in.
 *
 * @throws SmtpSyntaxError (501 5.1.3) if it is not a valid mailbox.
 *
 * @example
 * ```ts
 * parseMailbox('user@bücher.example').asciiDomain; // 'xn--bcher-kva.example'
 * ```
 */
export function parseMailbox(text: string): Mailbox {
  if (hasLineBreakOrNul(text)) throw syntaxError('Bad mailbox syntax');
  if (utf8Length(text) + 2 > MAX_PATH_LENGTH) {
    throw syntaxError(`Path longer than ${MAX_PATH_LENGTH} octets (RFC 5321 §4.5.3.1.3)`);
  }
  return parseMailboxText(text, isAscii(text));
}

/**
 * Format a path with angle brackets, quoting the local part when needed.
 *
 * @throws TypeError if the mailbox cannot be written (CR, LF, NUL or other control
 * characters, a malformed domain) — nothing unsafe ever reaches the wire.
 * @throws RangeError if it exceeds the RFC 5321 §4.5.3.1 length limits.
 *
 * @example
 * ```ts
 * formatPath(parsePath('<user@bücher.example>'), { asciiDomain: true }); // '<user@xn--bcher-kva.example>'
 * ```
 */
export function formatPath(path: Path, options: FormatPathOptions = {}): string {
  if (path.kind === 'null') return '<>';
  if (path.kind === 'postmaster') return '<Postmaster>';
  if (path.kind !== 'mailbox') throw new TypeError('Unknown path kind');
  const { mailbox } = path;
  const local = formatLocalPart(mailbox.localPart);
  if (local === undefined) throw new TypeError('Local part contains characters SMTP cannot carry');
  const domain = options.asciiDomain ? mailbox.asciiDomain : mailbox.domain;
  if (typeof domain !== 'string' || !parseDomainPart(domain)) {
    throw new TypeError(`Not a domain or address literal: ${JSON.stringify(domain)}`);
  }
  if (utf8Length(local) > MAX_LOCAL_PART_LENGTH) {
    throw new RangeError(`Local part longer than ${MAX_LOCAL_PART_LENGTH} octets`);
  }
  const text = `<${local}@${domain}>`;
  if (utf8Length(text) > MAX_PATH_LENGTH) throw new RangeError(`Path longer than ${MAX_PATH_LENGTH} octets`);
  return text;
}
