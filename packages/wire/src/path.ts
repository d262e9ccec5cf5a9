/**
 * Reverse- and forward-paths (RFC 5321 §4.1.2), with RFC 6531 UTF-8 mailboxes and IDN
 * domains converted to A-labels (RFC 5890) for DNS.
 */

/** An address literal (RFC 5321 §4.1.3). */
export type AddressLiteral =
  /** `[192.0.2.1]` */
  | { readonly kind: 'ipv4'; readonly address: string }
  /** `[IPv6:2001:db8::1]`; `address` is the text after `IPv6:`. */
  | { readonly kind: 'ipv6'; readonly address: string }
  /** `[tag:content]` (General-address-literal). */
  | { readonly kind: 'general'; readonly tag: string; readonly content: string };

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
  | { readonly kind: 'null' }
  | { readonly kind: 'postmaster' }
  | { readonly kind: 'mailbox'; readonly mailbox: Mailbox };

/** Options for {@link formatPath}. */
export interface FormatPathOptions {
  /** Write the domain as A-labels (for a peer without SMTPUTF8). Default `false`. */
  readonly asciiDomain?: boolean;
}

/** RFC 5321 §4.5.3.1.1: local part at most 64 octets. */
export const MAX_LOCAL_PART_LENGTH = 64;
/** RFC 5321 §4.5.3.1.2: domain at most 255 octets. */
export const MAX_DOMAIN_LENGTH = 255;
/** RFC 5321 §4.5.3.1.3: path at most 256 octets including the angle brackets. */
export const MAX_PATH_LENGTH = 256;

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
  throw new Error(`parsePath: not implemented yet (${text.length})`);
}

/**
 * Parse a mailbox without angle brackets, e.g. an address a caller passed in.
 *
 * @throws SmtpSyntaxError (501 5.1.3) if it is not a valid mailbox.
 */
export function parseMailbox(text: string): Mailbox {
  throw new Error(`parseMailbox: not implemented yet (${text.length})`);
}

/**
 * Format a path with angle brackets, quoting the local part when needed.
 *
 * @throws TypeError if the mailbox cannot be written (CR, LF, NUL or other control
 * characters, a malformed domain) — nothing unsafe ever reaches the wire.
 */
export function formatPath(path: Path, options: FormatPathOptions = {}): string {
  throw new Error(`formatPath: not implemented yet (${path.kind} ${String(options.asciiDomain)})`);
}
