/** Turning user keys and DNS key records into `KeyObject`s, once. */
import { createPrivateKey, createPublicKey, KeyObject, type webcrypto } from 'node:crypto';
import type { KeyRecord } from './core/key-record';

/** The signing algorithms we produce and accept (RFC 6376 §3.3, RFC 8463 §3). */
export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

/** A private key: PEM text or bytes (PKCS#1, PKCS#8), a `KeyObject`, or a WebCrypto `CryptoKey`. */
export type PrivateKeyInput = string | Uint8Array | KeyObject | webcrypto.CryptoKey;

/** RFC 8301 §3.2: signers MUST use RSA keys of at least 1024 bits. */
export const MIN_RSA_BITS = 1024;

/** A parsed signing key with the algorithm it implies. */
export interface SigningKey {
  readonly key: KeyObject;
  readonly algorithm: DkimAlgorithm;
  /** RSA modulus length, for the record users publish. */
  readonly bits?: number;
}

function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  return CryptoKeyClass !== undefined && value instanceof CryptoKeyClass;
}

/**
 * Parses a private key once (at signer creation). Throws `TypeError` for something that
 * is not a usable private key or does not match `algorithm`, `RangeError` for an RSA key
 * below 1024 bits.
 */
export function importSigningKey(input: PrivateKeyInput, algorithm?: DkimAlgorithm): SigningKey {
  let key: KeyObject;
  if (input instanceof KeyObject) {
    key = input;
  } else if (isCryptoKey(input)) {
    key = KeyObject.from(input);
  } else if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      key = createPrivateKey({ key: Buffer.from(input), format: 'pem' });
    } catch (cause) {
      throw new TypeError('privateKey is not a PEM private key', { cause });
    }
  } else {
    throw new TypeError('privateKey must be PEM, a KeyObject or a CryptoKey');
  }
  if (key.type !== 'private') throw new TypeError(`privateKey is a ${key.type} key, not a private key`);
  const type = key.asymmetricKeyType;
  let implied: DkimAlgorithm;
  let bits: number | undefined;
  if (type === 'rsa') {
    implied = 'rsa-sha256';
    bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new RangeError(`RSA key of ${bits} bits is below the ${MIN_RSA_BITS} RFC 8301 requires`);
    }
  } else if (type === 'ed25519') {
    implied = 'ed25519-sha256';
  } else {
    throw new TypeError(`unsupported key type ${type ?? 'unknown'}: DKIM signs with RSA or Ed25519`);
  }
  if (algorithm !== undefined && algorithm !== implied) {
    throw new TypeError(`algorithm ${algorithm} does not match the ${type} private key`);
  }
  return bits === undefined ? { key, algorithm: implied } : { key, algorithm: implied, bits };
}

// SubjectPublicKeyInfo prefix for a raw 32-byte Ed25519 key (RFC 8410 §4).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The public key of a key record, or why it cannot be used. */
export type PublicKeyResult =
  | { readonly ok: true; readonly key: KeyObject; readonly bits?: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Builds the verification key from a record's p=. RSA keys are SubjectPublicKeyInfo
 * (§3.6.1), but a bare PKCS#1 RSAPublicKey is accepted too, as dkimpy and go-msgauth do.
 * Ed25519 keys are the raw 32 bytes (RFC 8463 §4.2).
 */
export function importPublicKey(record: KeyRecord): PublicKeyResult {
  const der = Buffer.from(record.publicKey);
  if (record.keyType === 'ed25519') {
    if (der.byteLength !== 32) return { ok: false, reason: 'ed25519 key is not 32 bytes' };
    try {
      const key = createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, der]),
        format: 'der',
        type: 'spki',
      });
      return { ok: true, key };
    } catch {
      return { ok: false, reason: 'unparsable ed25519 key' };
    }
  }
  let key: KeyObject | undefined;
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      key = createPublicKey({ key: der, format: 'der', type });
      break;
    } catch {
      // try the next encoding
    }
  }
  if (key === undefined || key.asymmetricKeyType !== 'rsa')
    return { ok: false, reason: 'unparsable RSA key' };
  return { ok: true, key, bits: key.asymmetricKeyDetails?.modulusLength ?? 0 };
}

/**
 * The TXT record to publish at `<selector>._domainkey.<domain>` for a key (RFC 6376
 * §3.6.1; RFC 8463 §4 for Ed25519, whose p= is the raw 32-byte key). Accepts the private
 * key (its public half is used) or the public key, as PEM or `KeyObject`. Long RSA records
 * must be split into 255-byte strings when entered in a zone file.
 *
 * @example
 * ```ts
 * formatKeyRecord(privateKeyPem); // 'v=DKIM1; k=rsa; p=MIIBIjANBgkqh...'
 * ```
 */
export function formatKeyRecord(key: string | Uint8Array | KeyObject): string {
  let publicKey: KeyObject;
  try {
    publicKey =
      key instanceof KeyObject
        ? key.type === 'private'
          ? createPublicKey(key)
          : key
        : createPublicKey({ key: Buffer.from(key), format: 'pem' });
  } catch (cause) {
    throw new TypeError('key is not a PEM key or KeyObject', { cause });
  }
  if (publicKey.type !== 'public') throw new TypeError('key must be an asymmetric key');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  if (publicKey.asymmetricKeyType === 'ed25519') {
    return `v=DKIM1; k=ed25519; p=${spki.subarray(ED25519_SPKI_PREFIX.byteLength).toString('base64')}`;
  }
  if (publicKey.asymmetricKeyType === 'rsa') return `v=DKIM1; k=rsa; p=${spki.toString('base64')}`;
  throw new TypeError(`unsupported key type ${publicKey.asymmetricKeyType ?? 'unknown'}`);
}
