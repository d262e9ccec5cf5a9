/**
 * Gates for tests that need something outside Node: a local service (PostgreSQL) or a
 * real peer program (Postfix, swaks, dkimpy, pyspf). Locally a missing one skips the
 * suite with a one-line reason; in CI (`SMTPKIT_REQUIRE_SERVICES=1` / `SMTPKIT_INTEROP=1`)
 * a missing one fails it, so a green CI always means the real peer was exercised.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

export interface Availability {
  readonly available: boolean;
  readonly reason: string;
}

/** True when `SMTPKIT_REQUIRE_SERVICES=1`: PostgreSQL and friends must be reachable. */
export const servicesRequired = process.env.SMTPKIT_REQUIRE_SERVICES === '1';
/** True when `SMTPKIT_INTEROP=1`: the Debian peers must be installed and used. */
export const interopRequired = process.env.SMTPKIT_INTEROP === '1';

/** Resolves whether a TCP port on loopback accepts connections within `timeoutMs`. */
export function tcpReachable(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether PostgreSQL answers on 127.0.0.1:5432 (or `PGHOST`/`PGPORT`). */
export async function postgresAvailability(): Promise<Availability> {
  const port = Number(process.env.PGPORT ?? 5432);
  const host = process.env.PGHOST ?? '127.0.0.1';
  const ok = await tcpReachable(port, host);
  return gate(
    ok,
    `PostgreSQL not reachable at ${host}:${port}`,
    servicesRequired,
    'SMTPKIT_REQUIRE_SERVICES',
  );
}

/** Debian's python3 (its dkim/spf modules load only under /usr/bin/python3). */
export const debianPython = '/usr/bin/python3';

/** Whether a program exists on this machine (an absolute path, or a name on PATH). */
export function programAvailability(program: string): Availability {
  const found = program.startsWith('/')
    ? existsSync(program)
    : (() => {
        try {
          execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
          return true;
        } catch {
          return false;
        }
      })();
  return gate(found, `${program} is not installed (see .ci/run)`, interopRequired, 'SMTPKIT_INTEROP');
}

/** Whether Debian's python3 can import the given modules (e.g. `dkim`, `spf`). */
export function pythonModuleAvailability(...modules: string[]): Availability {
  let ok = false;
  try {
    execFileSync(debianPython, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
    ok = true;
  } catch {
    ok = false;
  }
  return gate(
    ok,
    `python modules ${modules.join(', ')} missing under ${debianPython}`,
    interopRequired,
    'SMTPKIT_INTEROP',
  );
}

function gate(ok: boolean, reason: string, required: boolean, flag: string): Availability {
  if (ok) return { available: true, reason: '' };
  if (required) throw new Error(`${reason}, and ${flag}=1 requires it`);
  process.stderr.write(`skip: ${reason}\n`);
  return { available: false, reason };
}
