import { createHmac } from 'node:crypto';
import type { PasswordCredentials, SaslClient } from './types';

const encoder = new TextEncoder();

/**
 * CRAM-MD5 (RFC 2195): answers the challenge with `user SP hex(HMAC-MD5(pass, challenge))`.
 * @example
 * ```ts
 * const sasl = createCramMd5Client({ user: 'alice', pass: 'secret' });
 * sasl.initialResponse(); // undefined: CRAM-MD5 waits for the server's challenge
 * const answer = sasl.respond(challenge); // bytes of "alice <hex HMAC-MD5 digest>"
 * ```
 */
export function createCramMd5Client(credentials: PasswordCredentials): SaslClient {
  let answered = false;
  return {
    mechanism: 'CRAM-MD5',
    initialResponse: () => undefined,
    respond: (challenge) => {
      if (answered) throw new RangeError('CRAM-MD5: the server sent a second challenge');
      answered = true;
      const digest = createHmac('md5', credentials.pass).update(challenge).digest('hex');
      return encoder.encode(`${credentials.user} ${digest}`);
    },
    complete: () => {},
  };
}
