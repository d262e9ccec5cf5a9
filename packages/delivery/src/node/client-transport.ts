import { type ConnectOptions, connect, type RecipientSpec, type SecurityMode } from '@smtpkit/client';
import type { HostAttemptResult, HostTransport } from './transport';

/** Options of {@link createClientTransport}. */
export interface ClientTransportOptions {
  /** The EHLO name. */
  readonly heloName: string;
  /** Local address to connect from. */
  readonly localAddress?: string;
  /**
   * Passed to `@smtpkit/client`'s `connect`: timeouts, extra TLS settings (`ca` for a private
   * CA, `minVersion`, ...), logger, events. Host, port, security and verification are set per
   * attempt by the TLS policy.
   */
  readonly client?: Pick<
    ConnectOptions,
    'timeouts' | 'tls' | 'logger' | 'onEvent' | 'pipelining' | 'chunking'
  >;
}

/**
 * The default {@link HostTransport}: one `@smtpkit/client` connection per attempt (connect by
 * address, TLS server name and certificate name = the MX host), one transaction, QUIT.
 */
export function createClientTransport(options: ClientTransportOptions): HostTransport {
  return async (attempt) => {
    const security: SecurityMode =
      attempt.tls.mode === 'none' ? 'none' : attempt.tls.mode === 'required' ? 'starttls' : 'opportunistic';
    const client = await connect({
      ...options.client,
      host: attempt.address,
      port: attempt.port,
      security,
      // RFC 7672/8461: the certificate must name the MX host, not the address we dialled.
      tls: {
        ...options.client?.tls,
        servername: attempt.host,
        rejectUnauthorized: attempt.tls.mode === 'required' && attempt.tls.verify,
      },
      name: options.heloName,
      ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
      signal: attempt.signal,
    });
    try {
      const to: RecipientSpec[] = attempt.recipients.map((r) => ({
        address: r.address,
        ...(r.notify !== undefined && { notify: r.notify === 'NEVER' ? ['NEVER' as const] : [...r.notify] }),
        ...(r.orcpt && { orcpt: { addrType: r.orcpt.type, address: r.orcpt.address } }),
      }));
      const dsnRelayed = client.capabilities?.dsn === true;
      const result = await client.sendMail(
        {
          from: attempt.from,
          to,
          ...((attempt.ret !== undefined || attempt.envid !== undefined) && {
            dsn: { ret: attempt.ret, envid: attempt.envid },
          }),
        },
        attempt.content(),
        {
          ...(attempt.bodyType && { bodyType: attempt.bodyType }),
          requireTls: attempt.requireTls,
          ...(attempt.size !== undefined && { size: attempt.size }),
          signal: attempt.signal,
        },
      );
      const out: HostAttemptResult = {
        replies: result.recipients.map((r) => r.reply),
        ...(result.tls && {
          tls: {
            authorized: result.tls.authorized,
            ...(result.tls.protocol && { protocol: result.tls.protocol }),
          },
        }),
        dsnRelayed,
      };
      await client.quit().catch(() => client.close());
      return out;
    } catch (error) {
      client.close();
      throw error;
    }
  };
}
