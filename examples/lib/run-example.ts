// For the examples' tests: runs a script the way a user would, from source through tsx.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `node --import tsx <args>` from the repository root with tsx; resolves with its exit code and output. */
export function runExample(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: repo, env: process.env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** A long-running example started by {@link startExample}. */
export interface RunningExample {
  /** Everything it printed so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node --import tsx <args>` and resolves once its output matches `ready`. */
export function startExample(args: readonly string[], ready: RegExp): Promise<RunningExample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: repo, env: process.env });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('close', done));
    const running: RunningExample = {
      output: () => output,
      stop: () => {
        child.kill('SIGTERM');
        return exited;
      },
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve(running);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    void exited.then((code) => reject(new Error(`exited with ${code} before ready:\n${output}`)));
  });
}
