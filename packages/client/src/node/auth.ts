/**
 * AUTH (RFC 4954) over a channel: picks the mechanism, runs the SASL exchange, renews an
 * XOAUTH2 token once when the server refuses it. Secrets never reach errors or events.
 */
import { randomBytes } from 'node:crypto';
import { type Reply, SmtpReplyError } from '@smtpkit/wire';
import { SmtpClientError } from '../core/errors';
import {
  type Credentials,
  createCramMd5Client,
  createLoginClient,
  createPlainClient,
  createScramSha256Client,
  createXoauth2Client,
  isPasswordCredentials,
  SASL_PREFERENCE,
  type SaslClient,
  type SaslMechanism,
} from '../core/sasl/index';
import type { Channel } from './channel';

/** Options for one authentication. */
export interface AuthOptions {
  /** Force a mechanism. */
  readonly method?: SaslMechanism | undefined;
  /** Allow credentials without TLS. */
  readonly allowInsecureAuth?: boolean | undefined;
  /** Aborts the exchange (and the token provider). */
  readonly signal?: AbortSignal | undefined;
  /** Random bytes for the SCRAM nonce. */
  readonly random?: ((size: number) => Uint8Array) | undefined;
}

function authError(message: string): SmtpClientError {
  return new SmtpClientError(message, 'ERR_SMTP_AUTH', 'auth');
}

/** The mechanism to use: the forced one, or the strongest offered that fits the credentials. */
export function chooseMechanism(
  offered: readonly string[],
  credentials: Credentials,
  forced?: SaslMechanism,
): SaslMechanism {
  const password = isPasswordCredentials(credentials);
  const fits = (m: SaslMechanism) => (m === 'XOAUTH2' ? !password : password);
  if (forced !== undefined) {
    if (!SASL_PREFERENCE.includes(forced)) throw new TypeError(`unknown AUTH mechanism ${String(forced)}`);
    if (!fits(forced)) throw new TypeError(`${forced} needs ${password ? 'an OAuth token' : 'a password'}`);
    if (!offered.includes(forced)) {
      throw new SmtpClientError(
        `the server does not offer AUTH ${forced} (offers: ${offered.join(' ') || 'none'})`,
        'ERR_SMTP_UNSUPPORTED',
        'auth',
      );
    }
    return forced;
  }
  const pick = SASL_PREFERENCE.find((m) => fits(m) && offered.includes(m));
  if (pick === undefined) {
    throw new SmtpClientError(
      `no usable AUTH mechanism (server offers: ${offered.join(' ') || 'none'})`,
      'ERR_SMTP_UNSUPPORTED',
      'auth',
    );
  }
  return pick;
}

const b64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** Runs AUTH on `channel`. Resolves with the 235 reply; throws SmtpReplyError (verb AUTH) on refusal. */
export async function authenticate(
  channel: Channel,
  credentials: Credentials,
  options: AuthOptions = {},
): Promise<Reply> {
  const caps = channel.capabilities;
  if (caps === undefined) throw authError('AUTH before EHLO');
  if (channel.tls === undefined && options.allowInsecureAuth !== true) {
    throw authError(
      `refusing to send credentials to ${channel.server} without TLS (set allowInsecureAuth to allow it)`,
    );
  }
  const mechanism = chooseMechanism(caps.auth, credentials, options.method);
  if (mechanism === 'XOAUTH2' && !isPasswordCredentials(credentials)) {
    const provider = credentials.tokenProvider;
    let token = credentials.accessToken;
    if (token === undefined) {
      if (provider === undefined) throw new TypeError('XOAUTH2 needs accessToken or tokenProvider');
      token = await provider({ user: credentials.user, renew: false, signal: options.signal });
    }
    try {
      return await exchange(channel, createXoauth2Client(credentials.user, token));
    } catch (error) {
      // The token expired or was revoked: ask the provider once for a fresh one.
      if (provider === undefined || !(error instanceof SmtpReplyError) || !error.permanent || channel.closed)
        throw error;
      const fresh = await provider({ user: credentials.user, renew: true, signal: options.signal });
      return exchange(channel, createXoauth2Client(credentials.user, fresh));
    }
  }
  if (!isPasswordCredentials(credentials)) throw new TypeError(`${mechanism} needs a password`);
  const client =
    mechanism === 'SCRAM-SHA-256'
      ? createScramSha256Client(credentials, { nonce: b64((options.random ?? randomBytes)(18)) })
      : mechanism === 'CRAM-MD5'
        ? createCramMd5Client(credentials)
        : mechanism === 'PLAIN'
          ? createPlainClient(credentials)
          : createLoginClient(credentials);
  return exchange(channel, client);
}

async function exchange(channel: Channel, sasl: SaslClient): Promise<Reply> {
  const initial = sasl.initialResponse();
  const start = channel.prepare(
    (s) =>
      s.auth(sasl.mechanism, initial === undefined ? undefined : initial.length === 0 ? '=' : b64(initial)),
    'auth',
  );
  channel.writeCommands(start.bytes, false);
  let reply = await (start.replies[0] as Promise<Reply>);
  for (let steps = 0; reply.code === 334; steps++) {
    if (steps > 8) throw authError(`AUTH ${sasl.mechanism}: too many challenges`);
    let answer: string;
    try {
      answer = b64(sasl.respond(Buffer.from(reply.lines[0] ?? '', 'base64')));
    } catch (cause) {
      // RFC 4954 §4: "*" cancels the exchange; the server answers 501.
      const cancel = channel.prepare((s) => s.authResponse('*'), 'auth');
      channel.writeCommands(cancel.bytes, true);
      await (cancel.replies[0] as Promise<Reply>).catch(() => undefined);
      throw new SmtpClientError(
        `AUTH ${sasl.mechanism}: ${cause instanceof Error ? cause.message : 'bad challenge'}`,
        'ERR_SMTP_AUTH',
        'auth',
        { cause },
      );
    }
    const next = channel.prepare((s) => s.authResponse(answer), 'auth');
    channel.writeCommands(next.bytes, true);
    reply = await (next.replies[0] as Promise<Reply>);
  }
  if (reply.code !== 235) throw new SmtpReplyError(reply, { verb: 'AUTH' });
  try {
    sasl.complete();
  } catch (cause) {
    throw new SmtpClientError(
      `AUTH ${sasl.mechanism}: ${(cause as Error).message}`,
      'ERR_SMTP_AUTH',
      'auth',
      { cause },
    );
  }
  return reply;
}
