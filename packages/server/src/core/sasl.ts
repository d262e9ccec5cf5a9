/**
 * Server side of the SASL mechanisms SMTP AUTH (RFC 4954) uses, sans-I/O: each exchange takes
 * the client's decoded responses and answers with a challenge or the credentials for the
 * backend to judge. Hashing is pure; the only randomness (challenges, nonces) is injected.
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { saslprep } from '@mongodb-js/saslprep';

/** SASL mechanisms the server implements. */
export type AuthMechanism =
  | 'PLAIN'
  | 'LOGIN'
  | 'CRAM-MD5'
  | 'XOAUTH2'
  | 'SCRAM-SHA-256'
  | 'SCRAM-SHA-256-PLUS';

/**
 * Every mechanism the server implements, strongest first (the order they are advertised in).
 * `SCRAM-SHA-256-PLUS` is offered only where there is channel binding data: on TLS 1.3.
 */
export const AUTH_MECHANISMS: readonly AuthMechanism[] = [
  'SCRAM-SHA-256-PLUS',
  'SCRAM-SHA-256',
  'CRAM-MD5',
  'PLAIN',
  'LOGIN',
  'XOAUTH2',
];

/**
 * What a client proved, handed to the backend's `auth`. For the challenge-response mechanisms
 * the backend looks up the user's secret and calls `verify`, so the password never crosses the
 * wire.
 */
export type AuthRequest =
  | {
      readonly mechanism: 'PLAIN';
      readonly username: string;
      readonly password: string;
      /** The authorization identity when it differs from the username (RFC 4616 §2). */
      readonly authorizationId?: string;
    }
  | { readonly mechanism: 'LOGIN'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'XOAUTH2'; readonly username: string; readonly token: string }
  | {
      readonly mechanism: 'CRAM-MD5';
      readonly username: string;
      /** True when `password` is the one the client's digest was made with (RFC 2195). */
      readonly verify: (password: string) => boolean;
    }
  | {
      /**
       * Sent only after the client's proof verified against the backend's `scramCredentials`
       * (and, for `-PLUS`, after the client proved it sees the same TLS channel).
       */
      readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS';
      readonly username: string;
      /** The authorization identity when given (RFC 5802 §5.1 `a=`). */
      readonly authorizationId?: string;
    };

/**
 * The TLS channel's binding data for SCRAM-SHA-256-PLUS (RFC 5802 §6): `tls-exporter`
 * (RFC 9266), 32 octets exported with the label "EXPORTER-Channel-Binding" and no context.
 * RFC 9266 defines it for TLS 1.3 only; the Node layer supplies it there and nowhere else.
 */
export interface ChannelBinding {
  readonly type: 'tls-exporter';
  readonly data: Uint8Array;
}

/** Stored SCRAM-SHA-256 credentials (RFC 5802 §3), so a server need not store the password. */
export interface ScramCredentials {
  /** The salt. */
  readonly salt: Uint8Array;
  /** The PBKDF2 iteration count (RFC 7677 recommends at least 4096). */
  readonly iterations: number;
  /** H(ClientKey). */
  readonly storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key"). */
  readonly serverKey: Uint8Array;
}

/**
 * Derives stored SCRAM-SHA-256 credentials from a password, for a backend that keeps only
 * these (RFC 5802 §3). The password is prepared with SASLprep first (RFC 5802 §2.2
 * `Normalize`, RFC 4013, as a stored string), as every SCRAM client does before hashing, so
 * "I\u00ADX" and "\u2168" give the same credentials as "IX".
 *
 * @param password - The password as the user chose it.
 * @param salt - Random salt, at least 16 bytes.
 * @param iterations - PBKDF2 iterations (default 4096, RFC 7677 §4).
 * @throws RangeError when SASLprep refuses the password (a control or other prohibited
 * character, an unassigned code point, mixed-direction text): no client could log in with it.
 * @example
 * ```ts
 * const stored = deriveScramCredentials('pencil', randomBytes(16));
 * ```
 */
export function deriveScramCredentials(
  password: string,
  salt: Uint8Array,
  iterations = 4096,
): ScramCredentials {
  const prepared = prepare(password, 'stored');
  if (typeof prepared !== 'string') {
    throw new RangeError(`deriveScramCredentials: SASLprep refuses the password: ${prepared.refused}`);
  }
  return saltedCredentials(prepared, salt, iterations);
}

/** RFC 5802 §3 from an already prepared password. */
function saltedCredentials(password: string, salt: Uint8Array, iterations: number): ScramCredentials {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    salt,
    iterations,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** One step of a SASL exchange. */
export type SaslStep =
  | { readonly type: 'challenge'; readonly data: string }
  | { readonly type: 'done'; readonly request: AuthRequest }
  | { readonly type: 'malformed' }
  /**
   * The proof did not verify, or SASLprep refused the username (SCRAM): fails like a wrong
   * password, without the backend.
   */
  | { readonly type: 'rejected'; readonly username: string }
  /** SCRAM needs the user's stored credentials: call `supply` with them. */
  | { readonly type: 'lookup'; readonly username: string };

/** A running exchange: feed it each decoded client response. @internal */
export interface SaslExchange {
  /** The challenge sent when AUTH came without an initial response. */
  readonly first: string;
  /** Whether the mechanism lets the client speak first (RFC 4954 §4 initial response). */
  readonly clientFirst: boolean;
  step(response: string): SaslStep;
  /** Answers a `lookup` step with the stored credentials; returns the next challenge. */
  supply?(credentials: ScramCredentials | undefined): string;
  /** Data for the `334` that must precede `235` (SCRAM's server-final), once verified. */
  final?(): string | undefined;
}

/**
 * Starts `mechanism`'s exchange. `seed` is injected randomness for challenges and nonces;
 * `binding` is the connection's channel binding, when it has one (SCRAM checks it or, for
 * a client that could bind but did not, refuses the downgrade). @internal
 */
export function startSasl(
  mechanism: AuthMechanism,
  hostname: string,
  seed: string,
  binding?: ChannelBinding,
): SaslExchange {
  switch (mechanism) {
    case 'PLAIN':
      return { first: '', clientFirst: true, step: plainStep };
    case 'LOGIN':
      return login();
    case 'CRAM-MD5':
      return cramMd5(`<${seed}@${hostname}>`);
    case 'XOAUTH2':
      return { first: '', clientFirst: true, step: xoauth2Step };
    case 'SCRAM-SHA-256':
      return scram(seed, false, binding);
    case 'SCRAM-SHA-256-PLUS':
      return scram(seed, true, binding);
  }
}

function plainStep(response: string): SaslStep {
  // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
  const parts = response.split('\0');
  if (parts.length !== 3 || parts[1] === '') return { type: 'malformed' };
  const [authzid, username, password] = parts as [string, string, string];
  return {
    type: 'done',
    request:
      authzid !== '' && authzid !== username
        ? { mechanism: 'PLAIN', username, password, authorizationId: authzid }
        : { mechanism: 'PLAIN', username, password },
  };
}

function login(): SaslExchange {
  // draft-murchison-sasl-login-00: prompts "Username:" then "Password:"; an initial
  // response, when sent, is the username.
  let username: string | undefined;
  return {
    first: 'Username:',
    clientFirst: true,
    step(response) {
      if (username === undefined) {
        username = response;
        return { type: 'challenge', data: 'Password:' };
      }
      return { type: 'done', request: { mechanism: 'LOGIN', username, password: response } };
    },
  };
}

function cramMd5(challenge: string): SaslExchange {
  return {
    first: challenge,
    clientFirst: false,
    step(response) {
      // RFC 2195 §2: "user SP digest", digest = 32 lowercase hex of HMAC-MD5(secret, challenge).
      const at = response.lastIndexOf(' ');
      const username = response.slice(0, at);
      const digest = response.slice(at + 1);
      if (at <= 0 || !/^[0-9a-f]{32}$/.test(digest)) return { type: 'malformed' };
      const given = Buffer.from(digest, 'hex');
      return {
        type: 'done',
        request: {
          mechanism: 'CRAM-MD5',
          username,
          verify: (password) =>
            timingSafeEqual(createHmac('md5', password).update(challenge).digest(), given),
        },
      };
    },
  };
}

function xoauth2Step(response: string): SaslStep {
  // Google's XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A
  const fields = response.split('\x01');
  let username: string | undefined;
  let token: string | undefined;
  for (const field of fields) {
    if (field.startsWith('user=')) username = field.slice(5);
    else if (field.startsWith('auth=')) {
      const m = /^auth=Bearer\s+(.+)$/i.exec(field);
      if (m) token = m[1];
    }
  }
  if (!username || !token) return { type: 'malformed' };
  return { type: 'done', request: { mechanism: 'XOAUTH2', username, token } };
}

/**
 * RFC 5802 §5 with SHA-256 (RFC 7677). The gs2 header's channel binding flag (§6, §7):
 * `-PLUS` takes only `p=tls-exporter` and checks the binding data in `c=`; plain SCRAM
 * takes `n`, and `y` (the client could bind but saw no -PLUS offered) only where we offer
 * none: on a connection with binding data, `y` means someone removed -PLUS from our EHLO,
 * and §6 says the server MUST fail the authentication.
 */
function scram(nonceSeed: string, plus: boolean, binding: ChannelBinding | undefined): SaslExchange {
  let stage: 'client-first' | 'lookup' | 'client-final' | 'done' = 'client-first';
  let clientFirstBare = '';
  let serverFirst = '';
  let gs2Header = '';
  /** What `c=` must carry: the gs2 header, then the binding data when `p=` was used. */
  let expectedBinding: Buffer = Buffer.alloc(0);
  let nonce = '';
  let username = '';
  let authorizationId: string | undefined;
  let credentials: ScramCredentials | undefined;
  let serverFinal: string | undefined;
  return {
    first: '',
    clientFirst: true,
    step(response) {
      if (stage === 'client-first') {
        const m =
          /^(n|y|p=[A-Za-z0-9.-]+),(?:a=([^,]*))?,(n=([^,]*),r=([\x21-\x2b\x2d-\x7e]+)(?:,.*)?)$/.exec(
            response,
          );
        if (!m) return { type: 'malformed' };
        const flag = m[1]!;
        const authzid = m[2] === undefined ? undefined : unescapeSaslName(m[2]);
        const received = unescapeSaslName(m[4]!);
        if (received === undefined || (m[2] !== undefined && authzid === undefined)) {
          return { type: 'malformed' };
        }
        if (plus ? flag !== 'p=tls-exporter' || binding === undefined : flag.startsWith('p=')) {
          return { type: 'malformed' };
        }
        if (flag === 'y' && binding !== undefined) return { type: 'rejected', username: received };
        gs2Header = `${flag},${m[2] === undefined ? '' : `a=${m[2]}`},`;
        expectedBinding =
          plus && binding !== undefined
            ? Buffer.concat([Buffer.from(gs2Header, 'latin1'), binding.data])
            : Buffer.from(gs2Header, 'latin1');
        authorizationId = authzid;
        clientFirstBare = m[3]!;
        // RFC 5802 §5.1: the server MUST prepare the username with SASLprep as a query string
        // (or compare SASLprep-aware), and SHOULD abort when that fails or leaves it empty.
        // Preparing here gives the backend the same name the client prepared.
        const prepared = prepare(received, 'query');
        if (typeof prepared !== 'string' || prepared === '') {
          return { type: 'rejected', username: received };
        }
        username = prepared;
        nonce = m[5]! + nonceSeed;
        stage = 'lookup';
        return { type: 'lookup', username };
      }
      if (stage === 'client-final' && credentials) {
        stage = 'done';
        const m = /^(c=([A-Za-z0-9+/=]*),r=([^,]*)(?:,.*)?),p=([A-Za-z0-9+/=]+)$/.exec(response);
        if (!m || m[3] !== nonce) return { type: 'malformed' };
        // §6: a `c=` that is not the header (and binding data) sent is a failed authentication:
        // with -PLUS, the client is on another TLS channel than ours.
        const bound = Buffer.from(m[2]!, 'base64');
        if (bound.length !== expectedBinding.length || !timingSafeEqual(bound, expectedBinding)) {
          return { type: 'rejected', username };
        }
        const authMessage = `${clientFirstBare},${serverFirst},${m[1]}`;
        const proof = Buffer.from(m[4]!, 'base64');
        const signature = createHmac('sha256', credentials.storedKey).update(authMessage).digest();
        if (proof.length !== signature.length) return { type: 'rejected', username };
        const clientKey = Buffer.alloc(proof.length);
        for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
        const computed = createHash('sha256').update(clientKey).digest();
        if (
          computed.length !== credentials.storedKey.length ||
          !timingSafeEqual(computed, credentials.storedKey)
        ) {
          return { type: 'rejected', username };
        }
        serverFinal = `v=${createHmac('sha256', credentials.serverKey).update(authMessage).digest('base64')}`;
        return {
          type: 'done',
          request: {
            mechanism: plus ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256',
            username,
            ...(authorizationId === undefined ? {} : { authorizationId }),
          },
        };
      }
      return { type: 'malformed' };
    },
    supply(found) {
      // An unknown user gets made-up credentials so the exchange runs to the end and fails
      // like a wrong password does (RFC 5802 §9: do not reveal which users exist).
      credentials = found ?? saltedCredentials(nonceSeed, Buffer.from(nonceSeed), 4096);
      serverFirst = `r=${nonce},s=${Buffer.from(credentials.salt).toString('base64')},i=${credentials.iterations}`;
      stage = 'client-final';
      return serverFirst;
    },
    final: () => serverFinal,
  };
}

/**
 * RFC 5802 §5.1 saslname: "=2C" is ",", "=3D" is "="; any other "=" means the server "MUST fail
 * the authentication" (`undefined`).
 */
function unescapeSaslName(text: string): string | undefined {
  if (/=(?!2C|3D)/.test(text)) return undefined;
  return text.replace(/=2C|=3D/g, (sequence) => (sequence === '=2C' ? ',' : '='));
}

/**
 * SASLprep (RFC 4013) of a username (`query`: unassigned code points allowed) or password
 * (`stored`: refused), RFC 3454 §7; on refusal, the rule the string broke.
 */
function prepare(text: string, kind: 'query' | 'stored'): string | { readonly refused: string } {
  const options = { allowUnassigned: kind === 'query' };
  try {
    return saslprep(text, options);
  } catch (error) {
    // @mongodb-js/saslprep 1.6 reads the first character of its output for the bidi check and
    // throws a TypeError when every character maps to nothing (RFC 4013 §2.1, e.g. U+00AD
    // alone). That string prepares to "": a trailing "x" confirms it before the crash is trusted.
    try {
      if (error instanceof TypeError && saslprep(`${text}x`, options) === 'x') return '';
    } catch {
      // The confirmation refused the string too: report the first error.
    }
    const message = error instanceof Error ? error.message : String(error);
    if (/prohibited/i.test(message)) return { refused: 'a prohibited character (RFC 4013 §2.3)' };
    if (/unassigned/i.test(message)) return { refused: 'an unassigned code point (RFC 4013 §2.5)' };
    if (/RandALCat/i.test(message)) {
      return { refused: 'right-to-left text that breaks RFC 4013 §2.4 (RFC 3454 §6)' };
    }
    return { refused: message };
  }
}
