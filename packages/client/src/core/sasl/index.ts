export { createCramMd5Client } from './cram-md5';
export { createLoginClient } from './login';
export { createPlainClient } from './plain';
export {
  type ChannelBinding,
  createScramSha256Client,
  createScramSha256PlusClient,
  type ScramOptions,
  type ScramPlusOptions,
} from './scram-sha-256';
export {
  type Credentials,
  isPasswordCredentials,
  type OAuth2Credentials,
  type PasswordCredentials,
  type SaslClient,
  type TokenProvider,
  type TokenRequest,
} from './types';
export { createXoauth2Client } from './xoauth2';

/**
 * Mechanisms this client implements, strongest first (the default preference order).
 * SCRAM-SHA-256-PLUS is chosen only on a connection that can be bound (TLS 1.3).
 */
export const SASL_PREFERENCE = [
  'SCRAM-SHA-256-PLUS',
  'SCRAM-SHA-256',
  'CRAM-MD5',
  'XOAUTH2',
  'PLAIN',
  'LOGIN',
] as const;

/** A SASL mechanism this client implements. */
export type SaslMechanism = (typeof SASL_PREFERENCE)[number];
