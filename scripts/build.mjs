// Builds every package with tsup, dependencies first, so each package's .d.ts can
// import the built types of the packages it depends on.
import { execFileSync } from 'node:child_process';
import { listPackages } from './workspace.mjs';

const only = process.argv.slice(2);
for (const pkg of listPackages()) {
  if (only.length > 0 && !only.some((name) => pkg.name.endsWith(`/${name}`))) continue;
  process.stdout.write(`build ${pkg.name}\n`);
  execFileSync('npx', ['tsup', '--silent'], { cwd: pkg.dir, stdio: 'inherit' });
}
