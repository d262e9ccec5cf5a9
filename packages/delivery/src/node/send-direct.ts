import { createNodeResolver, type Resolver } from '@smtpkit/dns';
import { createBackoffSchedule, type EnvelopeRecipient, type RetrySchedule } from '@smtpkit/queue';
import type { ReplyLike } from '../core/classify';
import { DestinationBackoff } from '../core/destination-backoff';
import type { DeliveryEventListener } from '../core/events';
import type { TlsPolicy } from '../core/tls-policy';
import { type ClientTransportOptions, createClientTransport } from './client-transport';
import { deliverToDomain } from './deliver-domain';
import { createMtaStsResolver, type MtaStsResolver } from './mta-sts';
import type { HostTransport } from './transport';

/** A message for {@link sendDirect}. */
export interface DirectMessage {
  /** The reverse-path (`''` for a null reverse-path). */
  readonly from: string;
  /** Recipients: addresses, or with RFC 3461 NOTIFY/ORCPT. */
  readonly to: readonly (string | EnvelopeRecipient)[];
  /**
   * The message. A stream can be read only once but may be needed once per domain and host,
   * so pass bytes or a function that opens the content afresh.
   */
  readonly content: Uint8Array | (() => Uint8Array | AsyncIterable<Uint8Array>);
  /** Size in octets (for SIZE), when `content` is a function. */
  readonly size?: number;
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  /** RFC 8689 REQUIRETLS. */
  readonly requireTls?: boolean;
  readonly body?: '7BIT' | '8BITMIME' | 'BINARYMIME';
}

/** Options of {@link sendDirect}. */
export interface SendDirectOptions {
  /** The EHLO name. */
  readonly heloName: string;
  /** DNS; default `createNodeResolver()`. */
  readonly resolver?: Resolver;
  /** Default `'opportunistic'`. */
  readonly tlsPolicy?: TlsPolicy | ((domain: string) => TlsPolicy);
  /** For `mta-sts` policies; default one over `resolver`. */
  readonly mtaSts?: MtaStsResolver;
  /** `@smtpkit/client` options. */
  readonly client?: ClientTransportOptions['client'];
  readonly localAddress?: string;
  /** Replaces the `@smtpkit/client` transport. */
  readonly transport?: HostTransport;
  /** Default 25. */
  readonly port?: number;
  /** Used for `retryAfter`; default `createBackoffSchedule()`. */
  readonly retrySchedule?: RetrySchedule;
  /** Allow loopback/private MX addresses. Default false. */
  readonly allowPrivateAddresses?: boolean;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  readonly onEvent?: DeliveryEventListener;
}

/** One recipient's result from {@link sendDirect}. */
export interface DirectRecipientResult {
  readonly address: string;
  /** `deferred` means nothing was delivered: try again after `retryAfter`. */
  readonly status: 'delivered' | 'failed' | 'deferred';
  /** RFC 3463 status, e.g. `2.0.0`, `5.1.1`, `4.4.1`. */
  readonly enhancedStatus: string;
  /** Why it was not delivered. */
  readonly reason?: string;
  /** The remote reply, when there was one. */
  readonly reply?: ReplyLike;
  /** The MX host that answered. */
  readonly host?: string;
  /** TLS state of the delivering connection. */
  readonly tls?: { readonly protocol?: string; readonly authorized: boolean };
  /** For `deferred`: when a retry makes sense. */
  readonly retryAfter?: Date;
  /** The connection was lost after the final dot: the recipient may already have the message. */
  readonly possibleDuplicate?: boolean;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

/**
 * Delivers one message straight to the recipients' MX hosts, without a queue: resolves MX,
 * applies the TLS policy, tries hosts in order, and returns a result per recipient, in order.
 * It never retries later by itself: a `deferred` result says so, with `retryAfter`.
 *
 * @example
 * ```ts
 * const results = await sendDirect(
 *   { from: 'app@example.com', to: ['user@example.org'], content: bytes },
 *   { heloName: 'app.example.com' },
 * );
 * for (const r of results) if (r.status === 'deferred') console.log(`retry after ${r.retryAfter}`);
 * ```
 */
export async function sendDirect(
  message: DirectMessage,
  options: SendDirectOptions,
): Promise<DirectRecipientResult[]> {
  if (message.to.length === 0) throw new TypeError('sendDirect: no recipients');
  const now = options.now ?? Date.now;
  const resolver = options.resolver ?? createNodeResolver();
  const schedule = options.retrySchedule ?? createBackoffSchedule();
  const signal = options.signal ?? new AbortController().signal;
  const recipients: EnvelopeRecipient[] = message.to.map((r) => (typeof r === 'string' ? { address: r } : r));
  const content = message.content;
  const open = typeof content === 'function' ? content : () => content;
  const size = message.size ?? (content instanceof Uint8Array ? content.length : undefined);
  const transport: HostTransport =
    options.transport ??
    createClientTransport({
      heloName: options.heloName,
      ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
      ...(options.client && { client: options.client }),
      reuseConnections: false,
    });
  const mtaSts = options.mtaSts ?? createMtaStsResolver({ resolver, now });
  const backoff = new DestinationBackoff();
  const byDomain = new Map<string, number[]>();
  recipients.forEach((r, i) => {
    const d = domainOf(r.address);
    byDomain.set(d, [...(byDomain.get(d) ?? []), i]);
  });
  const results: DirectRecipientResult[] = new Array(recipients.length);
  await Promise.all(
    [...byDomain].map(async ([domain, indexes]) => {
      if (domain === '') {
        for (const i of indexes) {
          results[i] = {
            address: recipients[i]!.address,
            status: 'failed',
            enhancedStatus: '5.1.2',
            reason: 'no domain',
          };
        }
        return;
      }
      const r = await deliverToDomain(
        {
          domain,
          from: message.from,
          recipients: indexes.map((i) => recipients[i]!),
          ...(message.ret && { ret: message.ret }),
          ...(message.envid !== undefined && { envid: message.envid }),
          ...(message.body && { bodyType: message.body }),
          requireTls: message.requireTls === true,
          content: open,
          ...(size !== undefined && { size }),
        },
        {
          resolver,
          transport,
          port: options.port ?? 25,
          tlsPolicy: options.tlsPolicy ?? 'opportunistic',
          mtaSts,
          backoff,
          now,
          ...(options.random && { random: options.random }),
          allowPrivate: options.allowPrivateAddresses === true,
          emit: (e) => options.onEvent?.(e),
          signal,
        },
      );
      indexes.forEach((recipientIndex, k) => {
        const v = r.verdicts[k]!;
        const address = recipients[recipientIndex]!.address;
        options.onEvent?.({ type: 'recipient', domain, recipient: address, verdict: v });
        results[recipientIndex] = {
          address,
          status: v.kind,
          enhancedStatus: v.status,
          ...(v.kind !== 'delivered' && { reason: v.reason }),
          ...(v.reply && { reply: v.reply }),
          ...(v.host !== undefined && { host: v.host }),
          ...(v.kind === 'delivered' && r.tls && { tls: r.tls }),
          ...(v.kind === 'deferred' && {
            retryAfter: new Date(Math.max(now() + schedule.delayMs(1), v.notBefore ?? 0)),
            ...(v.possibleDuplicate && { possibleDuplicate: true }),
          }),
        };
      });
    }),
  );
  return results;
}
