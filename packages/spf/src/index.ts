/**
 * @packageDocumentation
 * RFC 7208 SPF evaluation (check_host) with exact lookup limits, macros and Received-SPF formatting.
 */
export { checkHost, DEFAULT_LIMITS } from './check-host';
export type {
  CheckHostInput,
  CheckHostOptions,
  CheckHostResult,
  SpfIdentity,
  SpfLimits,
  SpfResult,
} from './types';
