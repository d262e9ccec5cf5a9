/**
 * Sends one question to name servers over UDP (and TCP when the answer is truncated) with the
 * codec in `core/wire-message.ts`. `createNodeResolver` uses it for the names c-ares refuses
 * to send (EBADNAME); it is not a general stub resolver (no search list, no caching).
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import {
  decodeResponse,
  encodeQuery,
  matchesQuery,
  responseOutcome,
  type WireQueryType,
  type WireRecordOf,
  type WireResponse,
} from '../core/wire-message';
import type { DnsOutcome, TemporaryFailureReason } from '../resolver';

/** Options for {@link createWireLookup}. */
export interface WireLookupOptions {
  /** `'192.0.2.53'`, `'127.0.0.1:5353'`, `'::1'`, `'[::1]:53'` (node:dns `getServers()` form). */
  readonly servers: () => readonly string[];
  /** Milliseconds to wait for each attempt. */
  readonly timeout: number;
  /** Rounds over the server list. */
  readonly tries: number;
}

/** One lookup of `name`/`type`; rejects only with an aborted signal's reason. */
export type WireLookup = <T extends WireQueryType>(
  name: string,
  type: T,
  signal?: AbortSignal,
) => Promise<DnsOutcome<WireRecordOf[T]>>;

interface Server {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** Parses node:dns's server notation (`host`, `host:port`, `[v6]:port`); `undefined` for anything else. */
export function parseServer(text: string): Server | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const hostPort = /^([^:]+):(\d+)$/.exec(text);
  const [host, port] = bracketed
    ? [bracketed[1] ?? '', bracketed[2] ?? '53']
    : hostPort
      ? [hostPort[1] ?? '', hostPort[2] ?? '53']
      : [text, '53'];
  const family = isIP(host);
  const portNumber = Number(port);
  if ((family !== 4 && family !== 6) || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535)
    return undefined;
  return { host, port: portNumber, family };
}

type Attempt =
  | { readonly kind: 'response'; readonly response: WireResponse }
  | { readonly kind: 'failure'; readonly reason: TemporaryFailureReason; readonly message: string };

/** Runs `start` until it settles, `timeout` passes or `signal` aborts; `cleanup` always runs. */
function attempt(
  timeout: number,
  signal: AbortSignal | undefined,
  start: (settle: (result: Attempt) => void) => () => void,
): Promise<Attempt> {
  return new Promise<Attempt>((resolve, reject) => {
    let cleanup: () => void = () => {};
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup();
      fn();
    };
    const onAbort = () => finish(() => reject(signal?.reason));
    const timer = setTimeout(
      () => finish(() => resolve({ kind: 'failure', reason: 'timeout', message: 'DNS query timed out' })),
      timeout,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = start((result) => finish(() => resolve(result)));
  });
}

function networkFailure(error: unknown): Attempt {
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'failure', reason: 'network', message };
}

function overUdp(
  server: Server,
  query: Uint8Array,
  accept: (r: WireResponse) => boolean,
  timeout: number,
  signal?: AbortSignal,
) {
  return attempt(timeout, signal, (settle) => {
    const socket = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    socket.on('error', (error) => settle(networkFailure(error)));
    // Datagrams that are not the answer (wrong ID, question or source) are ignored, not
    // fatal: RFC 5452 §9.1 — a spoofer must not be able to end the wait.
    socket.on('message', (message, from) => {
      if (from.port !== server.port || from.address.toLowerCase() !== server.host.toLowerCase()) return;
      const response = decodeResponse(message);
      if (response && accept(response)) settle({ kind: 'response', response });
    });
    socket.send(query, server.port, server.host, (error) => {
      if (error) settle(networkFailure(error));
    });
    return () => socket.close();
  });
}

function overTcp(
  server: Server,
  query: Uint8Array,
  accept: (r: WireResponse) => boolean,
  timeout: number,
  signal?: AbortSignal,
) {
  return attempt(timeout, signal, (settle) => {
    const socket = connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    socket.on('error', (error) => settle(networkFailure(error)));
    socket.on('connect', () => {
      // RFC 1035 §4.2.2: a two-octet length prefix.
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(query.length);
      socket.write(Buffer.concat([prefix, query]));
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const response = decodeResponse(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        if (response && accept(response)) return settle({ kind: 'response', response });
      }
    });
    socket.on('end', () =>
      settle({ kind: 'failure', reason: 'network', message: 'TCP connection closed before the answer' }),
    );
    return () => socket.destroy();
  });
}

/**
 * A lookup function over the wire: `tries` rounds over the servers, `timeout` ms per attempt,
 * a fresh random ID per attempt (RFC 5452 §9.2), a truncated UDP answer asked again over TCP
 * (RFC 7766 §5). SERVFAIL and REFUSED move on to the next server, as c-ares does; the last
 * failure is the outcome when none answers.
 */
export function createWireLookup(options: WireLookupOptions): WireLookup {
  return async <T extends WireQueryType>(name: string, type: T, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    const servers = options.servers().map(parseServer);
    let last: DnsOutcome<WireRecordOf[T]> = {
      status: 'tempfail',
      reason: 'network',
      message: 'no usable name server configured',
    };
    for (let round = 0; round < options.tries; round++) {
      for (const server of servers) {
        if (!server) continue;
        const id = randomInt(0, 0x10000);
        const query = encodeQuery(name, type, { id });
        const accept = (r: WireResponse) => matchesQuery(r, id, name, type);
        let result = await overUdp(server, query, accept, options.timeout, signal);
        if (result.kind === 'response' && result.response.rcode === 1) {
          // RFC 6891 §7: a server that does not know EDNS may answer FORMERR; ask it plainly.
          const plain = encodeQuery(name, type, { id, edns: false });
          result = await overUdp(server, plain, accept, options.timeout, signal);
        }
        if (result.kind === 'response' && result.response.truncated) {
          const tcpQuery = encodeQuery(name, type, { id, edns: false });
          result = await overTcp(server, tcpQuery, accept, options.timeout, signal);
        }
        if (result.kind === 'failure') {
          last = { status: 'tempfail', reason: result.reason, message: result.message };
          continue;
        }
        const outcome = responseOutcome(result.response, name, type);
        if (
          outcome.status === 'tempfail' &&
          (outcome.reason === 'servfail' || outcome.reason === 'refused')
        ) {
          last = outcome;
          continue;
        }
        return outcome;
      }
    }
    return last;
  };
}
