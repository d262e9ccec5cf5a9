// Checks what we would publish: publint (package.json, exports, files) and
// @arethetypeswrong/cli (types resolve for ESM and CJS consumers under node16).
import { execFileSync } from 'node:child_process';
import { listPackages } from './workspace.mjs';

let failed = 0;
for (const pkg of listPackages()) {
  for (const [tool, args] of [
    ['publint', ['publint', '--strict', pkg.dir]],
    ['attw', ['attw', '--pack', pkg.dir, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync('npx', args, { stdio: 'pipe' });
      process.stdout.write(`ok   ${tool} ${pkg.name}\n`);
    } catch (error) {
      failed += 1;
      process.stdout.write(`FAIL ${tool} ${pkg.name}\n${error.stdout ?? ''}${error.stderr ?? ''}\n`);
    }
  }
}
if (failed > 0) {
  process.stdout.write(`${failed} package check(s) failed\n`);
  process.exit(1);
}
