/**
 * AUTH (RFC 4954) over a channel: picks the mechanism, runs the SASL exchange, renews an
 * XOAUTH2 token once when the server refuses it. Secrets never reach errors or events.
 */
import { randomBytes } from 'node:crypto';
import { type Reply, SmtpReplyError } from '@smtpkit/wire';
import { SmtpClientError } from '../core/errors';
import {
  type ChannelBinding,
  type Credentials,
  createCramMd5Client,
  createLoginClient,
  createPlainClient,
  createScramSha256Client,
  createScramSha256PlusClient,
  createXoauth2Client,
  isPasswordCredentials,
  type PasswordCredentials,
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

/**
 * The mechanism to use: the forced one, or the strongest offered that fits the credentials
 * (and, for SCRAM-SHA-256-PLUS, a connection that `canBind`: TLS 1.3).
 */
export function chooseMechanism(
  offered: readonly string[],
  credentials: Credentials,
  forced?: SaslMechanism,
  canBind = false,
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
    if (forced === 'SCRAM-SHA-256-PLUS' && !canBind) {
      throw new SmtpClientError(
        'SCRAM-SHA-256-PLUS needs channel binding, which this connection lacks (it needs TLS 1.3)',
        'ERR_SMTP_UNSUPPORTED',
        'auth',
      );
    }
    return forced;
  }
  const pick = SASL_PREFERENCE.find(
    (m) => fits(m) && offered.includes(m) && (m !== 'SCRAM-SHA-256-PLUS' || canBind),
  );
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
  const binding = channel.channelBinding();
  const mechanism = chooseMechanism(caps.auth, credentials, options.method, binding !== undefined);
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
  const nonce = () => b64((options.random ?? randomBytes)(18));
  return exchange(channel, passwordClient(mechanism, credentials, nonce, binding, caps.auth));
}

/** The SASL client for a password mechanism (XOAUTH2 is handled apart). */
function passwordClient(
  mechanism: SaslMechanism,
  credentials: PasswordCredentials,
  nonce: () => string,
  binding: ChannelBinding | undefined,
  offered: readonly string[],
): SaslClient {
  switch (mechanism) {
    case 'SCRAM-SHA-256-PLUS':
      // chooseMechanism picks -PLUS only with binding data.
      if (binding === undefined) throw authError('SCRAM-SHA-256-PLUS without channel binding');
      return createScramSha256PlusClient(credentials, { nonce: nonce(), channelBinding: binding });
    case 'SCRAM-SHA-256':
      // RFC 5802 §6: we could bind but no -PLUS was offered: "y" lets a server that does
      // offer it notice that the offer was stripped on the way.
      return createScramSha256Client(credentials, {
        nonce: nonce(),
        couldBind: binding !== undefined && !offered.includes('SCRAM-SHA-256-PLUS'),
      });
    case 'CRAM-MD5':
      return createCramMd5Client(credentials);
    case 'PLAIN':
      return createPlainClient(credentials);
    case 'LOGIN':
      return createLoginClient(credentials);
    case 'XOAUTH2':
      throw new TypeError('XOAUTH2 needs an OAuth token');
  }
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
