// Creates packages/<name> with the shared layout: package.json (exports for ESM + CJS
// with their own .d.ts), tsconfig.json, tsup.config.ts, README.md, src/index.ts.
// Usage: node scripts/new-package.mjs <name> "<description>" [@smtpkit/dep ...]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description, ...deps] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>" [@smtpkit/dep ...]');
  process.exit(2);
}
const dir = join(new URL('..', import.meta.url).pathname, 'packages', name);
if (existsSync(join(dir, 'package.json'))) {
  console.error(`packages/${name} exists`);
  process.exit(1);
}
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
const entry = (sub) => ({
  import: { types: `./dist/${sub}.d.ts`, default: `./dist/${sub}.js` },
  require: { types: `./dist/${sub}.d.cts`, default: `./dist/${sub}.cjs` },
});
const manifest = {
  name: `@smtpkit/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  exports: { '.': entry('index'), './package.json': './package.json' },
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  files: ['dist', 'README.md'],
  engines: { node: '>=20.19' },
  scripts: { build: 'tsup' },
  keywords: ['smtp', 'email'],
  dependencies: Object.fromEntries(deps.map((d) => [d, d.startsWith('@smtpkit/') ? '0.1.0' : '*'])),
};
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src'] }, null, 2)}\n`,
);
writeFileSync(
  join(dir, 'tsup.config.ts'),
  "import { packageConfig } from '../../tsup.base';\n\nexport default packageConfig();\n",
);
writeFileSync(join(dir, 'README.md'), `# @smtpkit/${name}\n\n${description}\n`);
writeFileSync(join(dir, 'src', 'index.ts'), `/** @packageDocumentation ${description} */\nexport {};\n`);
console.log(`created packages/${name}`);
