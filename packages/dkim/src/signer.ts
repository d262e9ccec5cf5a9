/**
 * The DKIM signer (RFC 6376 §5, RFC 8463): streaming, several signatures in one pass, the
 * body canonicalised and hashed once per body canonicalisation.
 */
import { createHash, sign } from 'node:crypto';
import { BodyHash } from './body-hash';
import { BodyCanonicalizer, type Canonicalization } from './core/body-canonicalizer';
import { concatBytes, utf8 } from './core/bytes';
import {
  DEFAULT_OVERSIGNED_HEADERS,
  DEFAULT_SIGNED_HEADERS,
  defaultHeaderList,
  headerHashInput,
} from './core/header-list';
import { DEFAULT_MAX_HEADER_BYTES, HeaderSectionDecoder } from './core/header-section';
import { normalizeLineEnds } from './core/line-ends';
import { appendSignature, formatSignatureField, type SignatureFields } from './core/signature-header';
import { type DkimAlgorithm, importSigningKey, type PrivateKeyInput, type SigningKey } from './keys';
import { type MessageInput, messageChunks } from './message-input';

/** `header/body` canonicalisation (RFC 6376 §3.4, the c= tag). */
export type CanonicalizationPair = `${Canonicalization}/${Canonicalization}`;

/** One signature to add. */
export interface DkimSignatureOptions {
  /** The SDID (d=), e.g. `example.com`. */
  readonly domain: string;
  /** The selector (s=): the key is published at `<selector>._domainkey.<domain>`. */
  readonly selector: string;
  /** PEM (PKCS#1/PKCS#8), a `KeyObject` or a WebCrypto `CryptoKey`; parsed once, at creation. */
  readonly privateKey: PrivateKeyInput;
  /** Defaults to the key's: `rsa-sha256` for RSA, `ed25519-sha256` (RFC 8463) for Ed25519. */
  readonly algorithm?: DkimAlgorithm;
  /** Default `relaxed/relaxed`. */
  readonly canonicalization?: CanonicalizationPair;
  /**
   * The exact h= list, in order (repeat a name to sign several instances or to oversign).
   * Default: RFC 6376 §5.4.1's recommended fields that are present, plus Message-ID and the
   * MIME fields, each oversigned per `oversign`. Must include `from`.
   */
  readonly headers?: readonly string[];
  /**
   * With the default header list: `true` (default) signs From, To, Cc, Subject, Date,
   * Reply-To, Message-ID and the MIME fields once more than they occur, so another
   * instance cannot be added later (§5.4.2); `false` turns it off; a list replaces the set.
   */
  readonly oversign?: boolean | readonly string[];
  /** The AUID (i=): `[local-part]@domain` where domain is `domain` or a subdomain of it. */
  readonly auid?: string;
  /** Write t= (signing time). Default `true`. */
  readonly timestamp?: boolean;
  /** Seconds until the signature expires (x= = t + expiresIn). Default: no x=. */
  readonly expiresIn?: number;
  /**
   * Write l= (the canonical body length). Off by default: it lets anyone append content
   * under a valid signature (RFC 6376 §8.2). Only for lists that append footers.
   */
  readonly bodyLength?: boolean;
}

/** Options shared by all signatures of a signer. */
export interface DkimSignerCommonOptions {
  /** Clock in milliseconds since the epoch (t=, x=). Default `Date.now`. */
  readonly now?: () => number;
  /** Bound on the header section kept in memory. Default 1 MiB. */
  readonly maxHeaderBytes?: number;
}

/** Options for a signer making one signature. */
export interface DkimSignOptions extends DkimSignatureOptions, DkimSignerCommonOptions {}

/** Options for a signer making several signatures (e.g. RSA and Ed25519, or two domains) in one pass. */
export interface DkimMultiSignOptions extends DkimSignerCommonOptions {
  /** The signatures, written top to bottom in this order. */
  readonly signatures: readonly DkimSignatureOptions[];
}

/**
 * A reusable streaming signer. Feed one message with {@link DkimSigner.update}, get its
 * DKIM-Signature field(s) from {@link DkimSigner.final}; the signer is then ready for the
 * next message. Keys are parsed once, when the signer is created.
 */
export interface DkimSigner {
  /** Feeds the next chunk of the message (headers first, then the body, in any split). */
  update(chunk: Uint8Array): void;
  /**
   * Ends the message and returns the DKIM-Signature header field(s), each ending with
   * CRLF, to put at the top of the message. Resets the signer for the next message.
   */
  final(): string;
  /** Signs a whole message (in memory or streamed) and returns the field(s) as `final` does. */
  sign(message: MessageInput, options?: { readonly signal?: AbortSignal }): Promise<string>;
}

interface Plan {
  readonly key: SigningKey;
  readonly domain: string;
  readonly selector: string;
  readonly headerCanon: Canonicalization;
  readonly bodyCanon: Canonicalization;
  readonly headers?: readonly string[];
  readonly oversigned: readonly string[];
  readonly auid?: string;
  readonly timestamp: boolean;
  readonly expiresIn?: number;
  readonly bodyLength: boolean;
}

const DOMAIN =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;
const FIELD_NAME = /^[!-9;-~]+$/;
const PAIRS = new Set(['simple/simple', 'simple/relaxed', 'relaxed/simple', 'relaxed/relaxed']);

function checkedPlan(options: DkimSignatureOptions): Plan {
  if (options === null || typeof options !== 'object')
    throw new TypeError('signature options must be an object');
  const { domain, selector } = options;
  if (typeof domain !== 'string') throw new TypeError('domain must be a string');
  if (typeof selector !== 'string') throw new TypeError('selector must be a string');
  if (!DOMAIN.test(domain)) throw new RangeError(`domain is not a valid domain name: ${domain}`);
  if (!DOMAIN.test(selector)) throw new RangeError(`selector is not a valid selector: ${selector}`);
  const key = importSigningKey(options.privateKey, options.algorithm);
  const pair = options.canonicalization ?? 'relaxed/relaxed';
  if (!PAIRS.has(pair)) throw new RangeError(`canonicalization must be one of ${[...PAIRS].join(', ')}`);
  const [headerCanon, bodyCanon] = pair.split('/') as [Canonicalization, Canonicalization];
  let headers: string[] | undefined;
  if (options.headers !== undefined) {
    if (!Array.isArray(options.headers)) throw new TypeError('headers must be an array of field names');
    headers = options.headers.map((name: unknown) => {
      if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
        throw new RangeError(`invalid header field name: ${String(name)}`);
      }
      return name.toLowerCase();
    });
    // RFC 6376 §5.4: the From field MUST be signed.
    if (!headers.includes('from')) throw new RangeError('headers must include From (RFC 6376 §5.4)');
  }
  const oversign = options.oversign ?? true;
  const oversigned =
    oversign === true
      ? DEFAULT_OVERSIGNED_HEADERS
      : oversign === false
        ? []
        : oversign.map((h) => h.toLowerCase());
  const auid = options.auid;
  if (auid !== undefined) {
    if (typeof auid !== 'string') throw new TypeError('auid must be a string');
    const at = auid.lastIndexOf('@');
    const auidDomain = auid.slice(at + 1).toLowerCase();
    const sdid = domain.toLowerCase();
    // §3.5 i=: the domain part must be the SDID or a subdomain of it.
    if (at === -1 || /[\s;]/.test(auid) || (auidDomain !== sdid && !auidDomain.endsWith(`.${sdid}`))) {
      throw new RangeError(`auid ${auid} is not within ${domain} (RFC 6376 §3.5 i=)`);
    }
  }
  const expiresIn = options.expiresIn;
  if (expiresIn !== undefined && (!Number.isSafeInteger(expiresIn) || expiresIn <= 0)) {
    throw new RangeError('expiresIn must be a positive whole number of seconds');
  }
  return {
    key,
    domain,
    selector,
    headerCanon,
    bodyCanon,
    ...(headers === undefined ? {} : { headers }),
    oversigned,
    ...(auid === undefined ? {} : { auid }),
    timestamp: options.timestamp ?? true,
    ...(expiresIn === undefined ? {} : { expiresIn }),
    bodyLength: options.bodyLength === true,
  };
}

/** One body canonicalisation in progress, and its result once the body has ended. */
interface BodyHasher {
  readonly canon: Canonicalization;
  readonly canonicalizer: BodyCanonicalizer;
  readonly hash: BodyHash;
  /** bh= (base64), set at the end of the body. */
  digest: string;
}

class StreamingSigner implements DkimSigner {
  readonly #plans: readonly Plan[];
  readonly #bodyCanons: readonly Canonicalization[];
  readonly #now: () => number;
  readonly #decoder: HeaderSectionDecoder;
  /** One per body canonicalisation the plans use (one or two), once the body has begun. */
  #bodies: BodyHasher[] | undefined;

  constructor(plans: readonly Plan[], now: () => number, maxHeaderBytes: number) {
    this.#plans = plans;
    this.#bodyCanons = [...new Set(plans.map((p) => p.bodyCanon))];
    this.#now = now;
    this.#decoder = new HeaderSectionDecoder(maxHeaderBytes);
  }

  update(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('update() takes a Uint8Array');
    let bodies = this.#bodies;
    if (bodies === undefined) {
      const at = this.#decoder.feed(chunk);
      if (at === -1) return;
      bodies = this.#startBody();
      chunk = chunk.subarray(at);
    }
    if (chunk.byteLength === 0) return;
    for (let i = 0; i < bodies.length; i++) bodies[i]!.canonicalizer.write(chunk);
  }

  final(): string {
    try {
      return this.#final();
    } finally {
      this.#decoder.reset();
      this.#bodies = undefined;
    }
  }

  async sign(message: MessageInput, options?: { readonly signal?: AbortSignal }): Promise<string> {
    try {
      for await (const chunk of messageChunks(message, options?.signal)) this.update(chunk);
    } catch (error) {
      this.#decoder.reset();
      this.#bodies = undefined;
      throw error;
    }
    return this.final();
  }

  #startBody(): BodyHasher[] {
    const bodies = this.#bodyCanons.map((canon): BodyHasher => {
      const hash = new BodyHash();
      const canonicalizer = new BodyCanonicalizer(canon, hash);
      return { canon, canonicalizer, hash, digest: '' };
    });
    this.#bodies = bodies;
    return bodies;
  }

  #final(): string {
    this.#decoder.finish();
    const bodies = this.#bodies ?? this.#startBody();
    for (const body of bodies) {
      body.canonicalizer.end();
      body.digest = body.hash.digest();
    }
    const headerFields = this.#decoder.fields();
    const seconds = Math.floor(this.#now() / 1000);
    let out = '';
    for (const plan of this.#plans) {
      const body = bodies.find((b) => b.canon === plan.bodyCanon)!;
      const fields: { -readonly [K in keyof SignatureFields]: SignatureFields[K] } = {
        algorithm: plan.key.algorithm,
        headerCanonicalization: plan.headerCanon,
        bodyCanonicalization: plan.bodyCanon,
        sdid: plan.domain,
        selector: plan.selector,
        headerNames: plan.headers ?? defaultHeaderList(headerFields, DEFAULT_SIGNED_HEADERS, plan.oversigned),
        bodyHash: body.digest,
      };
      if (plan.auid !== undefined) fields.auid = plan.auid;
      if (plan.bodyLength) fields.bodyLength = body.canonicalizer.length;
      if (plan.timestamp) fields.timestamp = seconds;
      if (plan.expiresIn !== undefined) fields.expiration = seconds + plan.expiresIn;
      const unsigned = formatSignatureField(fields);
      const input = headerHashInput(headerFields, fields.headerNames, plan.headerCanon, unsigned);
      const signature = (
        plan.key.algorithm === 'rsa-sha256'
          ? sign('sha256', input, plan.key.key)
          : // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the header data ("PureEdDSA" over it).
            sign(null, createHash('sha256').update(input).digest(), plan.key.key)
      ).toString('base64');
      out += appendSignature(unsigned, signature) ?? formatSignatureField(fields, signature);
    }
    return out;
  }
}

/**
 * Creates a streaming signer. Keys and options are checked here: a bad key throws
 * `TypeError`, an unusable value (RSA under 1024 bits, an AUID outside the domain, h=
 * without From) throws `RangeError`.
 *
 * @example
 * ```ts
 * const signer = createDkimSigner({ domain: 'example.com', selector: 'mail', privateKey: pem });
 * for await (const chunk of messageStream) signer.update(chunk);
 * const signed = signer.final() + originalMessage; // prepend the field(s)
 * ```
 */
export function createDkimSigner(options: DkimSignOptions | DkimMultiSignOptions): DkimSigner {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const list: readonly DkimSignatureOptions[] = 'signatures' in options ? options.signatures : [options];
  if (!Array.isArray(list) || list.length === 0) throw new RangeError('at least one signature is required');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('now must be a function');
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 1) {
    throw new RangeError('maxHeaderBytes must be a positive integer');
  }
  return new StreamingSigner(list.map(checkedPlan), now, maxHeaderBytes);
}

/** What {@link signMessage} returns: the whole signed message, or only the new header field(s). */
export type SignOutput = 'message' | 'headers';

/** Options for {@link signMessage}. */
export interface SignMessageOptions {
  /** `'message'` (default): the signed message. `'headers'`: just the DKIM-Signature field(s). */
  readonly output?: SignOutput;
  /** Aborts reading a streamed message. */
  readonly signal?: AbortSignal;
}

function isSigner(value: unknown): value is DkimSigner {
  return value instanceof StreamingSigner;
}

/**
 * Signs a message. With `output: 'headers'` the message is streamed through (never held
 * whole) and the DKIM-Signature field(s) are returned as text. Otherwise the signed
 * message is returned: the field(s) followed by the message with bare CR/LF normalised
 * to CRLF, which is what was signed (a streamed message is then necessarily collected).
 * Pass a signer from {@link createDkimSigner} to reuse parsed keys across messages.
 *
 * @example
 * ```ts
 * const signed = await signMessage(message, { domain: 'example.com', selector: 'mail', privateKey: pem });
 * ```
 */
export function signMessage(
  message: MessageInput,
  signer: DkimSigner | DkimSignOptions | DkimMultiSignOptions,
  options: SignMessageOptions & { readonly output: 'headers' },
): Promise<string>;
export function signMessage(
  message: MessageInput,
  signer: DkimSigner | DkimSignOptions | DkimMultiSignOptions,
  options?: SignMessageOptions & { readonly output?: 'message' },
): Promise<Uint8Array>;
export async function signMessage(
  message: MessageInput,
  signer: DkimSigner | DkimSignOptions | DkimMultiSignOptions,
  options: SignMessageOptions = {},
): Promise<string | Uint8Array> {
  const instance = isSigner(signer) ? signer : createDkimSigner(signer);
  const signal = options.signal;
  if (options.output === 'headers') return instance.sign(message, { ...(signal ? { signal } : {}) });
  let whole: Uint8Array;
  if (message instanceof Uint8Array) {
    whole = message;
  } else {
    const parts: Uint8Array[] = [];
    for await (const chunk of messageChunks(message, signal)) parts.push(chunk);
    whole = concatBytes(parts);
  }
  const normalized = normalizeLineEnds(whole);
  instance.update(normalized);
  const fields = utf8(instance.final());
  return concatBytes([fields, normalized]);
}
