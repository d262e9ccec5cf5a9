/**
 * XCLIENT (Postfix XCLIENT_README): a trusted proxy names the client it is relaying for. This
 * file only parses the command line; the session decides whether the client is trusted and
 * what happens next.
 */
import { decodeXtext, type Reply } from '@smtpkit/wire';
import type { ResolvedLimits } from './options';

/** XCLIENT attributes (Postfix XCLIENT_README); `undefined` for `[UNAVAILABLE]`. */
export interface XclientAttributes {
  /** Client hostname (`NAME`). */
  readonly name?: string;
  /** Client IP address (`ADDR`, without an `IPV6:` prefix). */
  readonly address?: string;
  /** Client port (`PORT`). */
  readonly port?: number;
  /** `SMTP` or `ESMTP` (`PROTO`). */
  readonly protocol?: string;
  /** The HELO name the client sent to the filter (`HELO`). */
  readonly helo?: string;
  /** The SASL login name (`LOGIN`). */
  readonly login?: string;
  /** Server-side address (`DESTADDR`). */
  readonly destinationAddress?: string;
  /** Server-side port (`DESTPORT`). */
  readonly destinationPort?: number;
}

/** The EHLO keyword line that offers XCLIENT with every attribute we understand. @internal */
export const XCLIENT_CAPABILITY = 'XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT';

const XCLIENT_PREFIX = /^XCLIENT(?: |$)/i;

const ATTRIBUTE_NAMES: Readonly<Record<string, keyof XclientAttributes>> = {
  NAME: 'name',
  ADDR: 'address',
  PORT: 'port',
  PROTO: 'protocol',
  HELO: 'helo',
  LOGIN: 'login',
  DESTADDR: 'destinationAddress',
  DESTPORT: 'destinationPort',
};

/**
 * The parsed XCLIENT line, or the `501` to answer; `bad` says whether it counts toward the
 * bad-command limit (a syntax fault does, an out-of-range port does not). @internal
 */
export type XclientParseResult =
  | { readonly ok: true; readonly attributes: XclientAttributes }
  | { readonly ok: false; readonly reply: Reply; readonly bad: boolean };

/** Whether a raw command line is an XCLIENT command. @internal */
export function isXclientLine(line: string): boolean {
  return XCLIENT_PREFIX.test(line);
}

const AUTH_LINE = /^AUTH(?: |$)/i;
const utf8 = new TextEncoder();

/**
 * Whether a line read with XCLIENT's allowance breaks its own command's limit: every command
 * but XCLIENT keeps it (RFC 5321 §4.5.3.1.4, RFC 4954 §4 for AUTH), in octets with the CRLF,
 * as the decoder counts. @internal
 */
export function rawLineTooLong(line: string, limits: ResolvedLimits): boolean {
  const limit = AUTH_LINE.test(line) ? limits.maxAuthLineLength : limits.maxCommandLineLength;
  return utf8.encode(line).length + 2 > limit;
}

/** Parses `XCLIENT attr=xtext ...` (the verb included). @internal */
export function parseXclient(line: string): XclientParseResult {
  const attributes: Record<string, string | number | undefined> = {};
  for (const token of line.slice(8).split(' ')) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    const key = ATTRIBUTE_NAMES[token.slice(0, eq).toUpperCase()];
    if (eq <= 0 || !key) return failure('Bad XCLIENT attribute name', true);
    let value: string;
    try {
      value = decodeXtext(token.slice(eq + 1));
    } catch {
      return failure('Bad XCLIENT attribute value', true);
    }
    if (value === '[UNAVAILABLE]' || value === '[TEMPUNAVAIL]') {
      attributes[key] = undefined;
      continue;
    }
    if (key === 'port' || key === 'destinationPort') {
      const port = Number(value);
      if (!/^\d{1,5}$/.test(value) || port > 65535) return failure('Bad XCLIENT port', false);
      attributes[key] = port;
    } else if (key === 'address' || key === 'destinationAddress') {
      attributes[key] = value.replace(/^IPV6:/i, '');
    } else attributes[key] = value;
  }
  return { ok: true, attributes: attributes as XclientAttributes };
}

function failure(text: string, bad: boolean): XclientParseResult {
  return { ok: false, reply: { code: 501, enhanced: '5.5.4', lines: [text] }, bad };
}
