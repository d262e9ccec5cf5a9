export { createCramMd5Client } from './cram-md5';
export { createLoginClient } from './login';
export { createPlainClient } from './plain';
export { createScramSha256Client, type ScramOptions } from './scram-sha-256';
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

/** Mechanisms this client implements, strongest first (the default preference order). */
export const SASL_PREFERENCE = ['SCRAM-SHA-256', 'CRAM-MD5', 'XOAUTH2', 'PLAIN', 'LOGIN'] as const;

/** A SASL mechanism this client implements. */
export type SaslMechanism = (typeof SASL_PREFERENCE)[number];
