import { type AddressOrder, type MxHost, type Resolver, resolveMx } from '@smtpkit/dns';
import pRetry from 'p-retry';
import { classifyFailure, classifyReply, type ReplyLike, type Verdict } from '../core/classify';
import type { AdmitResult, DestinationBackoff } from '../core/destination-backoff';
import type { DeliveryEvent } from '../core/events';
import { mxAllowedByPolicy } from '../core/mta-sts/policy';
import { normalizeTlsPolicy, type TlsPolicy } from '../core/tls-policy';
import type { MtaStsResolver } from './mta-sts';
import {
  classifyTransportError,
  type HostAttemptResult,
  type HostTlsOptions,
  type HostTransport,
  type TransportErrorClass,
  type TransportRecipient,
} from './transport';

/** One message's recipients at one domain, ready to send. */
export interface DomainJob {
  readonly domain: string;
  readonly from: string;
  readonly recipients: readonly TransportRecipient[];
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly bodyType?: '7BIT' | '8BITMIME' | 'BINARYMIME';
  readonly requireTls: boolean;
  readonly content: () => Uint8Array | AsyncIterable<Uint8Array>;
  readonly size?: number;
}

/** What a domain delivery needs from its surroundings. */
export interface DomainContext {
  readonly resolver: Resolver;
  readonly transport: HostTransport;
  readonly port: number;
  readonly tlsPolicy: TlsPolicy | ((domain: string) => TlsPolicy);
  readonly mtaSts?: MtaStsResolver;
  readonly backoff: DestinationBackoff;
  readonly now: () => number;
  readonly random?: () => number;
  readonly allowPrivate: boolean;
  readonly addressOrder?: AddressOrder;
  readonly emit: (event: DeliveryEvent) => void;
  readonly signal: AbortSignal;
}

/** The outcome of one domain delivery: a verdict per recipient, in job order. */
export interface DomainResult {
  readonly verdicts: readonly Verdict[];
  /** The MX host that gave the definitive answer. */
  readonly host?: string;
  readonly tls?: HostAttemptResult['tls'];
  /** Whether the next hop took the DSN parameters (else successes are `relayed`, RFC 3464 §2.3.3). */
  readonly dsnRelayed: boolean;
}

interface Candidate {
  readonly host: string;
  readonly address: string;
  readonly tls: HostTlsOptions;
}

/** A host-level failure carried through p-retry to the next candidate. */
class HostFailure extends Error {
  override readonly name = 'HostFailure';
  constructor(
    readonly candidate: Candidate,
    readonly info: TransportErrorClass & { scope: 'host' },
  ) {
    super(info.detail);
  }
}

const all = (job: DomainJob, verdict: Verdict): DomainResult => ({
  verdicts: job.recipients.map(() => verdict),
  dsnRelayed: false,
});

/**
 * Delivers one message's recipients at one domain: MX resolution (RFC 5321 §5.1), the TLS and
 * MTA-STS policy, the 421 pause, then each host's addresses in order until one gives a
 * definitive answer. p-retry walks the candidates within this one attempt; retries over hours
 * are the queue's business.
 */
export async function deliverToDomain(job: DomainJob, ctx: DomainContext): Promise<DomainResult> {
  const { signal } = ctx;
  signal.throwIfAborted();
  const mx = await resolveMx(job.domain, {
    resolver: ctx.resolver,
    allowPrivate: ctx.allowPrivate,
    signal,
    ...(ctx.random && { random: ctx.random }),
    ...(ctx.addressOrder && { addressOrder: ctx.addressOrder }),
  });
  if (mx.status === 'transient') return all(job, classifyFailure('dns-tempfail', mx.message));
  if (mx.status === 'permanent') {
    if (mx.reason === 'null-mx') return all(job, classifyFailure('null-mx'));
    return all(job, { kind: 'failed', status: mx.enhancedCode, reason: mx.message });
  }
  let hosts: readonly MxHost[] = mx.hosts;

  // TLS requirements: the configured policy, tightened by MTA-STS and REQUIRETLS.
  const policy = normalizeTlsPolicy(
    typeof ctx.tlsPolicy === 'function' ? ctx.tlsPolicy(job.domain) : ctx.tlsPolicy,
  );
  let tls: HostTlsOptions =
    policy.mode === 'required'
      ? { mode: 'required', verify: policy.verify }
      : policy.mode === 'none'
        ? { mode: 'none', verify: false }
        : { mode: 'opportunistic', verify: false };
  let allowPlaintextFallback = policy.allowPlaintextFallback;
  let stsTesting = false;
  if (policy.mode === 'mta-sts' && ctx.mtaSts) {
    const sts = await ctx.mtaSts.lookup(job.domain, { signal });
    if (sts.status === 'policy' && sts.policy.mode !== 'none') {
      const mode = sts.policy.mode;
      const unlisted = hosts.filter((h) => !mxAllowedByPolicy(sts.policy, h.exchange));
      for (const h of unlisted) {
        ctx.emit({
          type: 'mta-sts',
          domain: job.domain,
          mode,
          result: 'violation',
          detail: `MX ${h.exchange} not listed in the policy`,
        });
      }
      if (mode === 'enforce') {
        // RFC 8461 §5: only listed MX hosts, only over TLS with a valid certificate for them.
        hosts = hosts.filter((h) => mxAllowedByPolicy(sts.policy, h.exchange));
        if (hosts.length === 0) {
          return all(job, classifyFailure('mta-sts', 'no MX host matches the enforce policy'));
        }
        tls = { mode: 'required', verify: true };
        allowPlaintextFallback = false;
      } else {
        stsTesting = true;
        if (unlisted.length === 0) {
          ctx.emit({
            type: 'mta-sts',
            domain: job.domain,
            mode,
            result: 'ok',
            detail: 'all MX hosts listed',
          });
        }
      }
    }
  }
  if (job.requireTls) {
    // RFC 8689 §4.2: REQUIRETLS mail goes only over TLS with a verified certificate.
    tls = { mode: 'required', verify: true };
    allowPlaintextFallback = false;
  }

  // Hosts paused after a 421 are not contacted (the pause belongs to the host, not the message).
  const now = ctx.now();
  const admitted = hosts.map((h) => ctx.backoff.admit(h.exchange, now));
  const candidates: Candidate[] = hosts.flatMap((h, i) =>
    admitted[i]?.ok ? h.addresses.map((a) => ({ host: h.exchange, address: a.address, tls })) : [],
  );
  try {
    const result = await tryCandidates(job, ctx, candidates, admitted, allowPlaintextFallback);
    if (stsTesting && result.host !== undefined && !result.tls?.authorized) {
      // RFC 8461 §5 testing mode: what enforce would have refused is reported, not acted on.
      ctx.emit({
        type: 'mta-sts',
        domain: job.domain,
        mode: 'testing',
        result: 'violation',
        detail: result.tls
          ? `certificate of ${result.host} not valid for its name`
          : `delivered to ${result.host} without TLS`,
      });
    }
    return result;
  } finally {
    hosts.forEach((h, i) => {
      if (admitted[i]?.ok) ctx.backoff.endProbe(h.exchange);
    });
  }
}

async function tryCandidates(
  job: DomainJob,
  ctx: DomainContext,
  candidates: readonly Candidate[],
  admitted: readonly AdmitResult[],
  allowPlaintextFallback: boolean,
): Promise<DomainResult> {
  const { signal } = ctx;
  if (candidates.length === 0) {
    const until = Math.min(...admitted.map((a) => (a.ok ? Number.POSITIVE_INFINITY : a.until)));
    const base = classifyFailure('no-reachable-host', 'every MX host is pausing after 421 replies');
    return all(
      job,
      base.kind === 'deferred' && Number.isFinite(until) ? { ...base, notBefore: until } : base,
    );
  }

  const failures: HostFailure[] = [];
  const tryCandidate = async (candidate: Candidate): Promise<HostAttemptResult> => {
    ctx.emit({ type: 'connect', domain: job.domain, host: candidate.host, address: candidate.address });
    return ctx.transport({
      host: candidate.host,
      address: candidate.address,
      port: ctx.port,
      tls: candidate.tls,
      requireTls: job.requireTls,
      from: job.from,
      recipients: job.recipients,
      ...(job.ret && { ret: job.ret }),
      ...(job.envid !== undefined && { envid: job.envid }),
      ...(job.bodyType && { bodyType: job.bodyType }),
      ...(job.size !== undefined && { size: job.size }),
      content: job.content,
      signal,
    });
  };

  type Answer =
    | { readonly kind: 'result'; readonly candidate: Candidate; readonly result: HostAttemptResult }
    | {
        readonly kind: 'message';
        readonly candidate: Candidate;
        readonly info: TransportErrorClass & { scope: 'message' };
      };

  const attemptOne = async (candidate: Candidate): Promise<Answer> => {
    try {
      return { kind: 'result', candidate, result: await tryCandidate(candidate) };
    } catch (error) {
      signal.throwIfAborted();
      const info = classifyTransportError(error);
      if (info.scope === 'message') return { kind: 'message', candidate, info };
      // Opportunistic TLS that failed may retry in plaintext only where the policy allows it.
      if (info.failure === 'tls' && candidate.tls.mode === 'opportunistic' && allowPlaintextFallback) {
        const plain = { ...candidate, tls: { mode: 'none', verify: false } as const };
        try {
          return { kind: 'result', candidate: plain, result: await tryCandidate(plain) };
        } catch (again) {
          signal.throwIfAborted();
          const second = classifyTransportError(again);
          if (second.scope === 'message') return { kind: 'message', candidate: plain, info: second };
          throw new HostFailure(plain, second);
        }
      }
      throw new HostFailure(candidate, info);
    }
  };

  let answer: Answer | undefined;
  try {
    answer = await pRetry((n) => attemptOne(candidates[n - 1]!), {
      retries: candidates.length - 1,
      minTimeout: 0,
      maxTimeout: 0,
      factor: 1,
      randomize: false,
      signal,
      onFailedAttempt: ({ error }) => {
        if (!(error instanceof HostFailure)) return;
        failures.push(error);
        const { candidate, info } = error;
        ctx.emit({
          type: 'host-failed',
          domain: job.domain,
          host: candidate.host,
          address: candidate.address,
          failure: info.failure,
          detail: info.detail,
        });
        if (info.unavailable) {
          const until = ctx.backoff.recordUnavailable(candidate.host, ctx.now());
          ctx.emit({ type: 'host-paused', domain: job.domain, host: candidate.host, until });
        }
      },
      shouldRetry: ({ error }) => error instanceof HostFailure,
    });
  } catch (error) {
    signal.throwIfAborted();
    if (!(error instanceof HostFailure)) throw error;
  }

  if (answer === undefined) return all(job, exhausted(failures, ctx));
  const host = answer.candidate.host;
  if (answer.kind === 'message') {
    const { info } = answer;
    if (info.lostAfterDot) {
      ctx.emit({
        type: 'possible-duplicate',
        domain: job.domain,
        host,
        recipients: job.recipients.map((r) => r.address),
      });
      return all(job, classifyFailure('lost-after-dot', info.detail, host));
    }
    return all(
      job,
      info.reply ? classifyReply(info.reply, host) : classifyFailure('protocol', info.detail, host),
    );
  }
  ctx.backoff.recordSuccess(host);
  const { result } = answer;
  return {
    verdicts: job.recipients.map((_, i) => {
      const reply: ReplyLike = result.replies[i] ?? {
        code: 451,
        enhanced: '4.5.0',
        lines: ['no reply for recipient'],
      };
      return classifyReply(reply, host);
    }),
    host,
    ...(result.tls && { tls: result.tls }),
    dsnRelayed: result.dsnRelayed,
  };
}

/** The verdict when no candidate gave a definitive answer. */
function exhausted(failures: readonly HostFailure[], ctx: DomainContext): Verdict {
  const last = failures.at(-1);
  if (!last) return classifyFailure('no-reachable-host');
  const { info, candidate } = last;
  const summary = failures
    .map((f) => `${f.candidate.host}[${f.candidate.address}]: ${f.info.detail}`)
    .join('; ');
  // A 421 or other reply keeps its own code in the verdict; connection failures become 4.4.1.
  if (info.reply && info.reply.code >= 400) {
    const v = classifyReply(info.reply, candidate.host);
    const pause = ctx.backoff.pausedUntil(candidate.host, ctx.now());
    if (v.kind === 'deferred' && pause !== undefined) return { ...v, notBefore: pause };
    // A 5yz greeting/EHLO from every host: RFC 5321 §3.1 lets a server refuse service; retry later.
    return v.kind === 'failed' ? { ...v, kind: 'deferred', status: v.status.replace(/^5/, '4') } : v;
  }
  if (info.failure === 'refused' || info.failure === 'timeout' || info.failure === 'network') {
    return classifyFailure('no-reachable-host', summary, candidate.host);
  }
  return classifyFailure(info.failure, summary, candidate.host);
}
