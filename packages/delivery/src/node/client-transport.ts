import {
  type ConnectOptions,
  connect,
  createPool,
  type RecipientSpec,
  type SecurityMode,
  type SendResult,
  type SmtpPool,
} from '@smtpkit/client';
import type { HostAttempt, HostAttemptResult, HostTransport } from './transport';

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
  /**
   * Keep connections open and reuse them for later messages to the same MX address (with the
   * same TLS settings), through `@smtpkit/client`'s pool. Default `true`; `false` opens one
   * connection per transaction.
   */
  readonly reuseConnections?: boolean;
  /** Connections kept per MX address. Default 5. */
  readonly maxConnectionsPerHost?: number;
  /** Transactions per connection before it is replaced. Default 100. */
  readonly maxMessagesPerConnection?: number;
  /** Milliseconds an idle connection stays open. Default 5000 (don't hog other people's servers). */
  readonly idleTimeout?: number;
}

/** A {@link HostTransport} that holds connections: `close()` QUITs them. */
export interface ClosableHostTransport extends HostTransport {
  /** QUITs every kept connection. */
  close(): Promise<void>;
}

/**
 * The default {@link HostTransport}: `@smtpkit/client` connections (connect by address, TLS
 * server name and certificate name = the MX host), reused per MX address and TLS setting
 * unless `reuseConnections` is `false`.
 * @example
 * ```ts
 * const transport = createClientTransport({ heloName: 'mx.example.net', maxConnectionsPerHost: 2 });
 * const worker = createDeliveryWorker({ queue, resolver, heloName: 'mx.example.net', transport });
 * // ... after worker.stop():
 * await transport.close();
 * ```
 */
export function createClientTransport(options: ClientTransportOptions): ClosableHostTransport {
  const pools = new Map<string, SmtpPool>();
  const reuse = options.reuseConnections !== false;

  const connectOptions = (attempt: HostAttempt) => {
    const security: SecurityMode =
      attempt.tls.mode === 'none' ? 'none' : attempt.tls.mode === 'required' ? 'starttls' : 'opportunistic';
    return {
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
    };
  };

  const send = async (attempt: HostAttempt): Promise<HostAttemptResult> => {
    const to: RecipientSpec[] = attempt.recipients.map((r) => ({
      address: r.address,
      ...(r.notify !== undefined && { notify: r.notify === 'NEVER' ? ['NEVER' as const] : [...r.notify] }),
      ...(r.orcpt && { orcpt: { addrType: r.orcpt.type, address: r.orcpt.address } }),
    }));
    const envelope = {
      from: attempt.from,
      to,
      ...((attempt.ret !== undefined || attempt.envid !== undefined) && {
        dsn: { ret: attempt.ret, envid: attempt.envid },
      }),
    };
    const sendOptions = {
      ...(attempt.bodyType && { bodyType: attempt.bodyType }),
      requireTls: attempt.requireTls,
      ...(attempt.size !== undefined && { size: attempt.size }),
      signal: attempt.signal,
    };
    let result: SendResult;
    if (reuse) {
      const o = connectOptions(attempt);
      const key = `${o.host}|${o.port}|${o.security}|${o.tls.rejectUnauthorized}|${attempt.host}`;
      let pool = pools.get(key);
      if (!pool) {
        pool = createPool({
          ...o,
          maxConnections: options.maxConnectionsPerHost ?? 5,
          maxMessagesPerConnection: options.maxMessagesPerConnection ?? 100,
          idleTimeout: options.idleTimeout ?? 5000,
        });
        pools.set(key, pool);
      }
      result = await pool.sendMail(envelope, attempt.content(), sendOptions);
    } else {
      const client = await connect({ ...connectOptions(attempt), signal: attempt.signal });
      try {
        result = await client.sendMail(envelope, attempt.content(), sendOptions);
      } catch (error) {
        client.close();
        throw error;
      }
      await client.quit().catch(() => client.close());
    }
    return {
      replies: result.recipients.map((r) => r.reply),
      ...(result.tls && {
        tls: {
          authorized: result.tls.authorized,
          ...(result.tls.protocol && { protocol: result.tls.protocol }),
        },
      }),
      // DSN parameters are only sent when a recipient asked for them; `dsnDropped` says the
      // server lacked DSN (RFC 3461 §4), which is when NOTIFY=SUCCESS earns a "relayed" report.
      dsnRelayed: !result.dsnDropped,
    };
  };

  return Object.assign(send, {
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  });
}
