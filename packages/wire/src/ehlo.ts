/**
 * EHLO replies (RFC 5321 §4.1.1.1) to typed capabilities.
 */
import { SmtpError } from './errors';
import type { Reply } from './reply';

/** What a server announced in its EHLO (or LHLO) reply. */
export interface EhloCapabilities {
  /** The server's name from the first line. */
  readonly domain: string;
  /** The rest of the first line (greeting text), possibly empty. */
  readonly greeting: string;
  /**
   * `SIZE` (RFC 1870): the fixed maximum message size in octets; `0` when announced without
   * a limit. Absent when SIZE was not announced.
   */
  readonly size?: number;
  /** SASL mechanisms (RFC 4954), upper-cased, from `AUTH` and the old `AUTH=` form merged. */
  readonly auth: readonly string[];
  /** `PIPELINING` (RFC 2920). */
  readonly pipelining: boolean;
  /** `8BITMIME` (RFC 6152). */
  readonly eightBitMime: boolean;
  /** `SMTPUTF8` (RFC 6531). */
  readonly smtpUtf8: boolean;
  /** `CHUNKING` (RFC 3030): BDAT. */
  readonly chunking: boolean;
  /** `BINARYMIME` (RFC 3030). */
  readonly binaryMime: boolean;
  /** `DSN` (RFC 3461). */
  readonly dsn: boolean;
  /** `ENHANCEDSTATUSCODES` (RFC 2034). */
  readonly enhancedStatusCodes: boolean;
  /** `STARTTLS` (RFC 3207). */
  readonly startTls: boolean;
  /** `REQUIRETLS` (RFC 8689). */
  readonly requireTls: boolean;
  /**
   * Every announced keyword (upper-cased) with its parameters, the known ones included,
   * e.g. `'XCLIENT' => ['NAME', 'ADDR']`.
   */
  readonly extensions: ReadonlyMap<string, readonly string[]>;
}

/**
 * Read the capabilities from a 250 EHLO reply. Keywords are case-insensitive; unknown ones
 * are kept in `extensions`; lines that are not `keyword *(SP param)` are skipped.
 *
 * @throws SmtpError (`ERR_SMTP_PROTOCOL`) if the reply is not a 250.
 *
 * @example
 * ```ts
 * const caps = parseEhlo(parseReply('250-mx.example.org\r\n250-SIZE 1000000\r\n250 AUTH PLAIN LOGIN\r\n'));
 * caps.size; // 1000000
 * caps.auth; // ['PLAIN', 'LOGIN']
 * ```
 */
export function parseEhlo(reply: Reply): EhloCapabilities {
  if (reply.code !== 250) throw new SmtpError(`EHLO reply is ${reply.code}, not 250`, 'ERR_SMTP_PROTOCOL');
  // An enhanced code on the EHLO reply was split off by parseReply; the first line may
  // still be empty in odd servers.
  const first = (reply.lines[0] ?? '').trim();
  const space = first.indexOf(' ');
  const domain = space === -1 ? first : first.slice(0, space);
  const greeting = space === -1 ? '' : first.slice(space + 1).trim();
  const extensions = new Map<string, readonly string[]>();
  const auth: string[] = [];
  let size: number | undefined;
  for (const raw of reply.lines.slice(1)) {
    const words = raw.trim().split(/[ \t]+/);
    const head = words[0] ?? '';
    // The pre-RFC 4954 form "AUTH=LOGIN PLAIN" that some servers still announce.
    const eq = head.indexOf('=');
    const keyword = (eq === -1 ? head : head.slice(0, eq)).toUpperCase();
    const params =
      eq === -1 ? words.slice(1) : [head.slice(eq + 1), ...words.slice(1)].filter((w) => w !== '');
    // RFC 5321 §4.1.1.1 ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    if (!/^[A-Z0-9][A-Z0-9-]*$/.test(keyword)) continue;
    if (keyword === 'AUTH') {
      for (const mech of params) {
        const upper = mech.toUpperCase();
        if (!auth.includes(upper)) auth.push(upper);
      }
      extensions.set('AUTH', [...auth]);
      continue;
    }
    if (keyword === 'SIZE') {
      const value = params[0];
      size = value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : 0;
    }
    extensions.set(keyword, params);
  }
  const has = (keyword: string) => extensions.has(keyword);
  return {
    domain,
    greeting,
    ...(size === undefined ? {} : { size }),
    auth,
    pipelining: has('PIPELINING'),
    eightBitMime: has('8BITMIME'),
    smtpUtf8: has('SMTPUTF8'),
    chunking: has('CHUNKING'),
    binaryMime: has('BINARYMIME'),
    dsn: has('DSN'),
    enhancedStatusCodes: has('ENHANCEDSTATUSCODES'),
    startTls: has('STARTTLS'),
    requireTls: has('REQUIRETLS'),
    extensions,
  };
}
