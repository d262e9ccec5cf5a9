/**
 * @packageDocumentation
 * RFC 7208 SPF evaluation (check_host) with exact lookup limits, macros and Received-SPF formatting.
 */
export { checkHost, DEFAULT_LIMITS, isValidSpfDomain } from './check-host';
export type { CheckSpfInput, CheckSpfOptions, CheckSpfResult } from './check-spf';
export { checkSpf } from './check-spf';
export type { SpfReportContext } from './core/format';
export { formatReceivedSpf, formatSpfAuthenticationResult } from './core/format';
export type { ParsedIp } from './core/ip';
export type { MacroExpand, MacroLetter, MacroString, MacroToken } from './core/macro';
export type { Directive, Mechanism, ParseResult, Qualifier, SpfRecord } from './core/record-parser';
export { isSpfRecord, parseSpfRecord } from './core/record-parser';
export type {
  CheckHostInput,
  CheckHostOptions,
  CheckHostResult,
  SpfIdentity,
  SpfLimits,
  SpfResult,
} from './types';
