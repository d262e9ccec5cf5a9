import { createHash, generateKeyPair, type KeyObject, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { parseIp } from '@smtpkit/dns';
import {
  bitString,
  context,
  integer,
  namedBits,
  nullValue,
  octetString,
  oid,
  sequence,
  set,
  time,
  trueValue,
  utf8String,
} from './der';

/** Key algorithm for generated certificates. ECDSA P-256 is fast to generate; RSA suits old peers. */
export type TestKeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

/** A certificate and its private key, both PEM. */
export interface PemPair {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM PKCS#8 private key. */
  readonly key: string;
}

/** Options for one leaf certificate issued by {@link TestCertificates.issue}. */
export interface IssueOptions {
  /** Subject alternative names: DNS names and IP addresses. The first is also the CN. */
  readonly names: readonly string[];
  /** Validity start. Default: one hour before now. */
  readonly notBefore?: Date;
  /** Validity end. Default: one day after now. Pass a past date for an expired certificate. */
  readonly notAfter?: Date;
  /** Extended key usage. Default both `serverAuth` and `clientAuth`. */
  readonly usage?: 'server' | 'client' | 'both';
}

/** Options for {@link createTestCertificates}. */
export interface TestCertificatesOptions {
  /** Extra SAN names for the host certificate, besides localhost, 127.0.0.1 and ::1. */
  readonly names?: readonly string[];
  /** Default `'ecdsa-p256'`. */
  readonly keyAlgorithm?: TestKeyAlgorithm;
  /** Subject common name of the CA. Default `smtpkit test CA`. */
  readonly caName?: string;
}

/** A throw-away CA and a host certificate signed by it. */
export interface TestCertificates {
  /** The CA: trust `ca.cert` in clients (`tls.connect({ ca })`). */
  readonly ca: PemPair;
  /** Host certificate for localhost, 127.0.0.1, ::1 and the names asked for. */
  readonly server: PemPair;
  /** The SAN names on `server`. */
  readonly names: readonly string[];
  /** `{ key, cert, ca }` for `tls.createServer` / `tls.createSecureContext`. */
  readonly serverOptions: { readonly key: string; readonly cert: string; readonly ca: string };
  /** Issues another leaf from the same CA (client certificates, other hosts, expired ones). */
  issue(options: IssueOptions): Promise<PemPair>;
}

const DEFAULT_NAMES = ['localhost', '127.0.0.1', '::1'];
const HOUR = 3_600_000;

// RFC 5280 / RFC 5758 / RFC 4055 object identifiers.
const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// RFC 5280 §4.2.1.3 KeyUsage bit numbers.
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

const generate = promisify(generateKeyPair);

interface KeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

function newKeys(algorithm: TestKeyAlgorithm): Promise<KeyPair> {
  return algorithm === 'rsa-2048'
    ? generate('rsa', { modulusLength: 2048 })
    : generate('ec', { namedCurve: 'P-256' });
}

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(oid(id), trueValue(), octetString(value))
    : sequence(oid(id), octetString(value));
}

/** RFC 5280 §4.2.1.2 allows any method; SHA-1 over the whole SPKI is unique enough here. */
function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

interface CertificateSpec {
  readonly subject: string;
  readonly issuer: string;
  readonly publicKey: KeyObject;
  readonly signingKey: KeyObject;
  readonly issuerKeyId: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly Buffer[];
}

/** RFC 5280 §4.1: builds the TBSCertificate, signs it, and wraps both as a Certificate. */
function certificate(spec: CertificateSpec): string {
  const rsa = spec.signingKey.asymmetricKeyType === 'rsa';
  // RFC 5758 §3.2: ECDSA AlgorithmIdentifiers omit parameters; RFC 4055 §5: RSA has NULL.
  const algorithm = rsa ? sequence(oid(OID.sha256WithRsa), nullValue()) : sequence(oid(OID.ecdsaWithSha256));
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; the leading 0x01 keeps it positive.
  const serial = Buffer.concat([Buffer.from([0x01]), randomBytes(15)]);
  const tbs = sequence(
    context(0, integer(2), true), // version v3
    integer(serial),
    algorithm,
    name(spec.issuer),
    sequence(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    context(
      3,
      sequence(
        ...spec.extensions,
        extension(OID.subjectKeyIdentifier, false, octetString(keyId(spec.publicKey))),
        extension(OID.authorityKeyIdentifier, false, sequence(context(0, spec.issuerKeyId, false))),
      ),
      true,
    ),
  );
  const signature = sign('sha256', tbs, rsa ? spec.signingKey : { key: spec.signingKey, dsaEncoding: 'der' });
  return pem('CERTIFICATE', sequence(tbs, algorithm, bitString(signature)));
}

function subjectAltNames(names: readonly string[]): Buffer {
  // RFC 5280 §4.2.1.6: dNSName is [2] IA5String, iPAddress is [7] with 4 or 16 octets.
  return sequence(
    ...names.map((n) => {
      const ip = parseIp(n);
      return ip ? context(7, ip, false) : context(2, Buffer.from(n, 'ascii'), false);
    }),
  );
}

function privatePem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Generates, at run time, a throw-away CA and a host certificate for TLS tests (STARTTLS,
 * implicit TLS, certificate verification failures), with SANs `localhost`, `127.0.0.1`, `::1`
 * and any names given. Keys never touch the disk. Built on node:crypto alone (key generation
 * and signing) with a minimal DER writer for the RFC 5280 structures.
 * @example
 * const certs = await createTestCertificates({ names: ['mx.example.test'] });
 * const server = tls.createServer(certs.serverOptions, onSecureConnection);
 * tls.connect({ port, host: '127.0.0.1', ca: certs.ca.cert, servername: 'localhost' });
 * const expired = await certs.issue({ names: ['localhost'], notAfter: new Date(Date.now() - 1000) });
 */
export async function createTestCertificates(
  options: TestCertificatesOptions = {},
): Promise<TestCertificates> {
  const algorithm = options.keyAlgorithm ?? 'ecdsa-p256';
  if (algorithm !== 'ecdsa-p256' && algorithm !== 'rsa-2048')
    throw new RangeError('keyAlgorithm must be ecdsa-p256 or rsa-2048');
  const caName = options.caName ?? 'smtpkit test CA';
  const caKeys = await newKeys(algorithm);
  const caKeyId = keyId(caKeys.publicKey);
  const now = Date.now();
  const caCert = certificate({
    subject: caName,
    issuer: caName,
    publicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    issuerKeyId: caKeyId,
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 24 * HOUR),
    extensions: [
      extension(OID.basicConstraints, true, sequence(trueValue(), integer(0))),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
    ],
  });
  const ca: PemPair = { cert: caCert, key: privatePem(caKeys.privateKey) };

  async function issue(issueOptions: IssueOptions): Promise<PemPair> {
    const names = issueOptions?.names;
    if (!Array.isArray(names) || names.length === 0) throw new TypeError('issue() needs at least one name');
    for (const n of names) {
      if (typeof n !== 'string' || (!parseIp(n) && !/^[\x21-\x7e]+$/.test(n))) {
        throw new TypeError(`not a DNS name or IP address: ${JSON.stringify(n)}`);
      }
    }
    const keys = await newKeys(algorithm);
    const usage = issueOptions.usage ?? 'both';
    const purposes = [
      ...(usage !== 'client' ? [oid(OID.serverAuth)] : []),
      ...(usage !== 'server' ? [oid(OID.clientAuth)] : []),
    ];
    const cert = certificate({
      subject: names[0] ?? 'localhost',
      issuer: caName,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      issuerKeyId: caKeyId,
      notBefore: issueOptions.notBefore ?? new Date(Date.now() - HOUR),
      notAfter: issueOptions.notAfter ?? new Date(Date.now() + 24 * HOUR),
      extensions: [
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment])),
        extension(OID.extKeyUsage, false, sequence(...purposes)),
        // RFC 6125 §6.4.4: clients match the SANs, not the CN.
        extension(OID.subjectAltName, false, subjectAltNames(names)),
      ],
    });
    return { cert, key: privatePem(keys.privateKey) };
  }

  const names = [...new Set([...DEFAULT_NAMES, ...(options.names ?? [])])];
  const server = await issue({ names });
  return { ca, server, names, serverOptions: { key: server.key, cert: server.cert, ca: ca.cert }, issue };
}
