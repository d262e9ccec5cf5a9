/**
 * @packageDocumentation
 * RFC 6376 / RFC 8463 DKIM: a streaming signer (RSA and Ed25519 in one pass) and a verifier.
 */
export { formatAuthenticationResults } from './authentication-results';
export type { ByteSink, Canonicalization, RewindableSink } from './core/body-canonicalizer';
export { BodyCanonicalizer, canonicalizeBody } from './core/body-canonicalizer';
export { canonicalizeHeader } from './core/header-canonicalization';
export { DEFAULT_OVERSIGNED_HEADERS, DEFAULT_SIGNED_HEADERS } from './core/header-list';
export type { KeyRecord, KeyRecordResult } from './core/key-record';
export { parseKeyRecord } from './core/key-record';
export type { DkimAlgorithm, PrivateKeyInput } from './keys';
export { formatKeyRecord } from './keys';
export type { MessageInput } from './message-input';
export type { DkimSignTransform } from './node/sign-transform';
export { createDkimSignTransform } from './node/sign-transform';
export type {
  CanonicalizationPair,
  DkimMultiSignOptions,
  DkimSignatureOptions,
  DkimSigner,
  DkimSignerCommonOptions,
  DkimSignOptions,
  SignMessageOptions,
  SignOutput,
} from './signer';
export { createDkimSigner, signMessage } from './signer';
export type {
  DkimRisk,
  DkimStatus,
  DkimVerification,
  TxtResolver,
  VerifyMessageOptions,
} from './verify';
export { verifyMessage } from './verify';
