/**
 * SASLprep (RFC 4013), the stringprep (RFC 3454) profile SCRAM prepares usernames and passwords
 * with (RFC 5802 §2.2 `Normalize`, §5.1 `n=`). The tables come from `@mongodb-js/saslprep`,
 * the implementation the MongoDB driver uses for its own SCRAM.
 */
import { saslprep } from '@mongodb-js/saslprep';
import { SmtpClientError } from '../errors';

/**
 * How a string is prepared: a `query` allows unassigned code points, a `stored` string does not
 * (RFC 3454 §7). RFC 5802 §5.1 prepares the username as a query, §2.2 the password as stored.
 */
export type SaslprepKind = 'query' | 'stored';

/**
 * Runs SASLprep; throws the library's `Error` when the string is refused.
 * @mongodb-js/saslprep 1.6 reads the first character of its output for the bidi check, so it
 * throws a `TypeError` when every character is mapped to nothing (RFC 4013 §2.1, e.g. U+00AD
 * alone). That string prepares to "": a trailing "x" confirms it before the crash is trusted.
 */
function run(text: string, kind: SaslprepKind): string {
  const options = { allowUnassigned: kind === 'query' };
  try {
    return saslprep(text, options);
  } catch (error) {
    if (error instanceof TypeError && saslprep(`${text}x`, options) === 'x') return '';
    throw error;
  }
}

/** The rule a refused string broke, from the library's message (which never quotes the input). */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/prohibited/i.test(message)) return 'a prohibited character (RFC 4013 §2.3)';
  if (/unassigned/i.test(message)) return 'an unassigned code point (RFC 4013 §2.5)';
  if (/RandALCat/i.test(message)) return 'right-to-left text that breaks RFC 4013 §2.4 (RFC 3454 §6)';
  return message;
}

/**
 * Prepares one SCRAM credential with SASLprep. Throws a {@link SmtpClientError} with code
 * `ERR_SMTP_AUTH` (phase `auth`) naming the credential and the rule it broke, never its value.
 *
 * @param text - The username or password as the caller gave it.
 * @param what - Which credential, for the error message.
 * @param kind - `query` for the username, `stored` for the password (RFC 5802 §5.1, §2.2).
 * @example
 * ```ts
 * prepareScramCredential('I\u00ADX', 'password', 'stored'); // 'IX' (soft hyphen maps to nothing)
 * prepareScramCredential('\u2168', 'password', 'stored'); // 'IX' (NFKC of ROMAN NUMERAL NINE)
 * prepareScramCredential('a\u0007', 'password', 'stored'); // throws ERR_SMTP_AUTH
 * ```
 */
export function prepareScramCredential(
  text: string,
  what: 'username' | 'password',
  kind: SaslprepKind,
): string {
  try {
    return run(text, kind);
  } catch (cause) {
    throw new SmtpClientError(
      `SCRAM-SHA-256: the ${what} cannot be prepared with SASLprep: it contains ${reason(cause)}`,
      'ERR_SMTP_AUTH',
      'auth',
      { cause },
    );
  }
}
