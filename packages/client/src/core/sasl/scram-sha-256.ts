import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { SmtpClientError } from '../errors';
import { prepareScramCredential } from './saslprep';
import type { PasswordCredentials, SaslClient } from './types';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A TLS channel's binding data (RFC 5802 §6): `tls-exporter` (RFC 9266), 32 octets exported
 * with the label "EXPORTER-Channel-Binding" and no context, on TLS 1.3.
 */
export interface ChannelBinding {
  readonly type: 'tls-exporter';
  readonly data: Uint8Array;
}

/** Options for {@link createScramSha256Client}. */
export interface ScramOptions {
  /** The client nonce (printable ASCII without `,`); the Node layer passes random bytes. */
  readonly nonce: string;
  /**
   * The connection could be bound (TLS 1.3) but the server did not offer
   * SCRAM-SHA-256-PLUS: say so with the `y` flag (RFC 5802 §6), so that a server that does
   * support binding sees that its offer was removed on the way and refuses.
   */
  readonly couldBind?: boolean;
}

/** Options for {@link createScramSha256PlusClient}. */
export interface ScramPlusOptions {
  /** As for {@link ScramOptions}. */
  readonly nonce: string;
  /** The channel to bind to. */
  readonly channelBinding: ChannelBinding;
}

// RFC 5802 §5.1: "=" and "," in a username are sent as "=3D" and "=2C" (after SASLprep, which
// can itself produce them: NFKC maps U+FF0C FULLWIDTH COMMA to ",").
function saslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) map.set(part[0] ?? '', part.slice(2));
  }
  return map;
}

function hmac(key: Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * SCRAM-SHA-256 (RFC 7677, RFC 5802) without channel binding (`n,,`, or `y,,` with
 * `couldBind`): the password never crosses the wire and the server proves it knows the
 * salted password (`v=` is checked).
 * The username and password are prepared with SASLprep (RFC 4013) first, as RFC 5802 §5.1 and
 * §2.2 `Normalize` ask: the username as a query string, the password as a stored string, so
 * "I\u00ADX" and "\u2168" both authenticate as "IX".
 * @throws {@link SmtpClientError} `ERR_SMTP_AUTH` when SASLprep refuses the username or the
 * password (a control character, an unassigned code point in the password, mixed-direction
 * text) or leaves the username empty: nothing has been sent yet.
 * @example
 * ```ts
 * const sasl = createScramSha256Client(
 *   { user: 'alice', pass: 'secret' },
 *   { nonce: randomBytes(18).toString('base64') },
 * );
 * sasl.initialResponse(); // bytes of "n,,n=alice,r=<nonce>"
 * const final = sasl.respond(serverFirst); // "c=biws,r=…,p=<proof>"
 * sasl.respond(serverFinal); // checks the server's v= proof
 * sasl.complete(); // on 235; throws if the server never proved itself
 * ```
 */
export function createScramSha256Client(credentials: PasswordCredentials, options: ScramOptions): SaslClient {
  return scramClient(credentials, options.nonce, 'SCRAM-SHA-256', options.couldBind === true ? 'y,,' : 'n,,');
}

/**
 * SCRAM-SHA-256-PLUS (RFC 5802 §6, RFC 9266): SCRAM bound to the TLS channel, so that a
 * man in the middle who terminates TLS himself cannot relay the exchange: the proof covers
 * the `tls-exporter` value, which differs on his two connections.
 * @throws as {@link createScramSha256Client}.
 * @example
 * ```ts
 * const sasl = createScramSha256PlusClient(
 *   { user: 'alice', pass: 'secret' },
 *   { nonce, channelBinding: { type: 'tls-exporter', data: exported } },
 * );
 * sasl.initialResponse(); // bytes of "p=tls-exporter,,n=alice,r=<nonce>"
 * ```
 */
export function createScramSha256PlusClient(
  credentials: PasswordCredentials,
  options: ScramPlusOptions,
): SaslClient {
  const { type, data } = options.channelBinding;
  return scramClient(credentials, options.nonce, 'SCRAM-SHA-256-PLUS', `p=${type},,`, data);
}

function scramClient(
  credentials: PasswordCredentials,
  clientNonce: string,
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS',
  gs2Header: string,
  bindingData: Uint8Array = new Uint8Array(0),
): SaslClient {
  if (clientNonce.length === 0 || /[,\s]/.test(clientNonce)) {
    throw new TypeError('SCRAM nonce must be non-empty printable characters without ","');
  }
  // RFC 5802 §5.1: "If the preparation of the username fails or results in an empty string,
  // the client SHOULD abort the authentication exchange."
  const user = prepareScramCredential(credentials.user, 'username', 'query');
  if (user === '') {
    throw new SmtpClientError('SCRAM-SHA-256: the username is empty after SASLprep', 'ERR_SMTP_AUTH', 'auth');
  }
  // RFC 5802 §3: SaltedPassword := Hi(Normalize(password), salt, i).
  const password = prepareScramCredential(credentials.pass, 'password', 'stored');
  const clientFirstBare = `n=${saslName(user)},r=${clientNonce}`;
  let step = 0;
  let expectedServerSignature: Buffer | undefined;
  let verified = false;
  // RFC 5802 §7: c= is the base64 of the gs2 header followed by the binding data, if any.
  const channelBindingAttribute = Buffer.concat([Buffer.from(gs2Header, 'latin1'), bindingData]).toString(
    'base64',
  );
  return {
    mechanism,
    initialResponse: () => encoder.encode(`${gs2Header}${clientFirstBare}`),
    respond: (challenge) => {
      step += 1;
      const text = decoder.decode(challenge);
      if (step === 1) {
        const attrs = attributes(text);
        const nonce = attrs.get('r');
        const salt = attrs.get('s');
        const iterations = Number(attrs.get('i'));
        if (nonce === undefined || !nonce.startsWith(clientNonce) || salt === undefined) {
          throw new RangeError('SCRAM: malformed server-first-message');
        }
        // RFC 5802 §5.1: a minimum of 4096 iterations is advised; refuse absurd values
        // so a hostile server cannot pin the CPU.
        if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) {
          throw new RangeError('SCRAM: iteration count out of range');
        }
        const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
        const clientKey = hmac(salted, 'Client Key');
        const storedKey = createHash('sha256').update(clientKey).digest();
        const withoutProof = `c=${channelBindingAttribute},r=${nonce}`;
        const authMessage = `${clientFirstBare},${text},${withoutProof}`;
        const signature = hmac(storedKey, authMessage);
        const proof = Buffer.alloc(clientKey.length);
        for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] ?? 0) ^ (signature[i] ?? 0);
        expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
        return encoder.encode(`${withoutProof},p=${proof.toString('base64')}`);
      }
      if (step === 2) {
        verify(text);
        return new Uint8Array(0);
      }
      throw new RangeError('SCRAM: unexpected extra challenge');
    },
    complete: () => {
      if (!verified) throw new RangeError('SCRAM: the server did not prove knowledge of the password');
    },
  };

  function verify(serverFinal: string): void {
    const attrs = attributes(serverFinal);
    const error = attrs.get('e');
    if (error !== undefined) throw new RangeError(`SCRAM: server error ${JSON.stringify(error)}`);
    const v = attrs.get('v');
    const got = v === undefined ? undefined : Buffer.from(v, 'base64');
    if (
      got === undefined ||
      expectedServerSignature === undefined ||
      got.length !== expectedServerSignature.length ||
      !timingSafeEqual(got, expectedServerSignature)
    ) {
      throw new RangeError('SCRAM: server signature mismatch');
    }
    verified = true;
  }
}
