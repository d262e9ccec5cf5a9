/**
 * TLS policy per destination (RFC 7435 opportunistic security, RFC 8461 MTA-STS, RFC 8689
 * REQUIRETLS). Strings are shorthands for the object forms with their defaults.
 */
export type TlsPolicy =
  | 'opportunistic'
  | 'required'
  | 'none'
  | 'mta-sts'
  /**
   * STARTTLS when offered, certificate not checked. After a failed handshake the host counts
   * as failed unless `allowPlaintextFallback` (ZoneMTA falls back to plaintext; we do not by default).
   */
  | { readonly mode: 'opportunistic'; readonly allowPlaintextFallback?: boolean }
  /** STARTTLS must succeed; `verify` (default true) also checks the certificate and host name. */
  | { readonly mode: 'required'; readonly verify?: boolean }
  /** Never STARTTLS (e.g. a trusted internal relay on a private link). */
  | { readonly mode: 'none' }
  /**
   * RFC 8461: a domain's `enforce` policy makes TLS required and verified and restricts the MX
   * hosts; `testing` and domains without a policy fall back to opportunistic.
   */
  | { readonly mode: 'mta-sts'; readonly allowPlaintextFallback?: boolean };

/** A policy with every default filled in. */
export interface NormalizedTlsPolicy {
  readonly mode: 'opportunistic' | 'required' | 'none' | 'mta-sts';
  readonly verify: boolean;
  readonly allowPlaintextFallback: boolean;
}

/**
 * Fills in the defaults of a {@link TlsPolicy}; an unknown mode is a `TypeError`.
 * @example
 * ```ts
 * normalizeTlsPolicy('required'); // { mode: 'required', verify: true, allowPlaintextFallback: false }
 * normalizeTlsPolicy({ mode: 'opportunistic', allowPlaintextFallback: true });
 * // { mode: 'opportunistic', verify: false, allowPlaintextFallback: true }
 * ```
 */
export function normalizeTlsPolicy(policy: TlsPolicy): NormalizedTlsPolicy {
  const p = typeof policy === 'string' ? { mode: policy } : policy;
  switch (p.mode) {
    case 'opportunistic':
    case 'mta-sts':
      return {
        mode: p.mode,
        verify: false,
        allowPlaintextFallback: 'allowPlaintextFallback' in p ? p.allowPlaintextFallback === true : false,
      };
    case 'required':
      return {
        mode: 'required',
        verify: 'verify' in p ? p.verify !== false : true,
        allowPlaintextFallback: false,
      };
    case 'none':
      return { mode: 'none', verify: false, allowPlaintextFallback: false };
    default:
      throw new TypeError(`unknown TLS policy ${JSON.stringify(policy)}`);
  }
}
