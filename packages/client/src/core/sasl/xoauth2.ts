import type { SaslClient } from './types';

const encoder = new TextEncoder();

/**
 * XOAUTH2 (Google/Microsoft): `user=U ^A auth=Bearer T ^A ^A` as the initial response. On a
 * failure the server sends a `334` with a JSON error; RFC 7628 §3.2.3-style, the client
 * answers with an empty response so the server finishes with `535`.
 * @example
 * ```ts
 * const sasl = createXoauth2Client('alice@example.com', accessToken);
 * sasl.initialResponse(); // bytes of "user=alice@example.com\x01auth=Bearer <token>\x01\x01"
 * ```
 */
export function createXoauth2Client(user: string, token: string): SaslClient {
  return {
    mechanism: 'XOAUTH2',
    initialResponse: () => encoder.encode(`user=${user}\x01auth=Bearer ${token}\x01\x01`),
    respond: () => new Uint8Array(0),
    complete: () => {},
  };
}
