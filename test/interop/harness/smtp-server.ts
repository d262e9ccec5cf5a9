/**
 * Our @smtpkit/server on a free loopback port with an in-memory recording backend, for interop
 * tests that point real clients (swaks, smtp-source, Postfix) at it.
 */
import { type AuthRequest, type CreateServerOptions, createServer, type SmtpServer } from '@smtpkit/server';
import { formatPath, SmtpReplyError } from '@smtpkit/wire';

/** A message the backend stored. */
export interface ReceivedMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly body: string;
  readonly authenticatedAs: string | undefined;
  readonly tls: boolean;
}

/** A running server and what it received. */
export interface RecordingServer {
  readonly server: SmtpServer;
  readonly port: number;
  readonly messages: ReceivedMessage[];
  /** Resolves once `count` messages have arrived. */
  waitForMessages(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Credentials the recording backend accepts for every mechanism. */
export const TEST_USER = { username: 'alice', password: 'secret' } as const;

function checkAuth(request: AuthRequest): void {
  const ok =
    request.username === TEST_USER.username &&
    (request.mechanism === 'PLAIN' || request.mechanism === 'LOGIN'
      ? request.password === TEST_USER.password
      : request.mechanism === 'CRAM-MD5'
        ? request.verify(TEST_USER.password)
        : false);
  if (!ok)
    throw new SmtpReplyError({ code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] });
}

/** Starts our server with a backend that keeps every message in memory. */
export async function startRecordingServer(
  options: Omit<CreateServerOptions, 'backend' | 'hostname'> & { hostname?: string } = {},
): Promise<RecordingServer> {
  const messages: ReceivedMessage[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer({
    hostname: 'smtpkit.test',
    ...options,
    backend: {
      openSession() {
        let from = '';
        let to: string[] = [];
        return {
          mail(path) {
            from = formatPath(path);
            to = [];
          },
          rcpt(path) {
            to.push(formatPath(path));
          },
          async data(body, context) {
            const chunks: Buffer[] = [];
            for await (const chunk of body) chunks.push(Buffer.from(chunk));
            messages.push({
              from,
              to,
              body: Buffer.concat(chunks).toString('latin1'),
              authenticatedAs: context.authenticatedAs,
              tls: context.tls !== undefined,
            });
            for (const w of waiters.splice(0)) w();
          },
          auth: checkAuth,
        };
      },
    },
  });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    server,
    port,
    messages,
    async waitForMessages(count, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > end) throw new Error(`only ${messages.length} of ${count} messages arrived`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => server.close({ deadline: 1000 }),
  };
}
