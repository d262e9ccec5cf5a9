import type { PasswordCredentials, SaslClient } from './types';

const encoder = new TextEncoder();

/**
 * SASL PLAIN (RFC 4616): `authzid NUL authcid NUL passwd` as the initial response.
 * @example
 * ```ts
 * const sasl = createPlainClient({ user: 'alice', pass: 'secret' });
 * sasl.initialResponse(); // bytes of "\0alice\0secret", sent as `AUTH PLAIN <base64>`
 * ```
 */
export function createPlainClient(credentials: PasswordCredentials): SaslClient {
  return {
    mechanism: 'PLAIN',
    initialResponse: () => encoder.encode(`\0${credentials.user}\0${credentials.pass}`),
    respond: () => {
      // RFC 4616 §2: the only message is the initial response; a server that sends a
      // challenge anyway (some do, for an empty initial response) gets it again.
      return encoder.encode(`\0${credentials.user}\0${credentials.pass}`);
    },
    complete: () => {},
  };
}
