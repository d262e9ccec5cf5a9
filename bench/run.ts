/**
 * `npm run bench`: runs every side-by-side benchmark in bench/*.bench.ts, one after another
 * (each in its own process so one's heap doesn't skew the next), and writes bench/RESULTS.md
 * with each benchmark's output, the machine and the versions compared.
 * Pass names to run a subset: `npm run bench -- wire dkim`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.includes(f.replace('.bench.ts', '')))
  .sort();

function version(pkg: string): string {
  try {
    return JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8'))
      .version;
  } catch {
    return 'not installed';
  }
}

function postfixVersion(): string {
  try {
    return execFileSync('postconf', ['-d', '-h', 'mail_version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not installed';
  }
}

const sections: string[] = [];
let failures = 0;
for (const file of files) {
  const name = file.replace('.bench.ts', '');
  process.stdout.write(`\n=== ${name} ===\n`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${benchDir}${file}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(run.stdout ?? '');
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) failures += 1;
  sections.push(
    `## ${name}\n\n\`bench/${file}\`, ${seconds} s${run.status === 0 ? '' : ` — exited with ${run.status}`}\n\n\`\`\`\n${(run.stdout ?? '').trim()}\n\`\`\`\n`,
  );
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = `# Benchmark results

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Each benchmark runs ours and the
tool users would pick instead in the same process run, so compare the **ratios**; absolute numbers
depend on the machine and its load.

Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.
Compared with: nodemailer ${version('nodemailer')}, smtp-server ${version('smtp-server')}, mailauth ${version('mailauth')}, Postfix ${postfixVersion()}.

`;
if (only.length === 0) writeFileSync(`${benchDir}RESULTS.md`, header + sections.join('\n'));
process.exit(failures > 0 ? 1 : 0);
