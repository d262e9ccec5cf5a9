// The one list of test projects. vitest.config.ts hands it to `test.projects`
// (Vitest 3.2 deprecates workspace files, so it is not loaded as one).
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProjectConfiguration } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Every @smtpkit import resolves to its source, so tests never need a build. */
export const sourceAliases = [
  { find: '@smtpkit/queue/testing', replacement: `${root}packages/queue/src/testing/index.ts` },
  { find: '@smtpkit/server/policy', replacement: `${root}packages/server/src/policy/index.ts` },
  { find: /^@smtpkit\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
];

const packageProjects: TestProjectConfiguration[] = readdirSync(`${root}packages`)
  .filter((name) => existsSync(`${root}packages/${name}/test`))
  .map((name) => ({
    resolve: { alias: sourceAliases },
    test: {
      name,
      root: `${root}packages/${name}`,
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }));

export default [
  ...packageProjects,
  {
    resolve: { alias: sourceAliases },
    test: {
      name: 'interop',
      root: `${root}test/interop`,
      include: ['**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
    },
  },
  {
    resolve: { alias: sourceAliases },
    test: { name: 'examples', root: `${root}examples`, include: ['**/*.test.ts'], testTimeout: 60_000 },
  },
] satisfies TestProjectConfiguration[];
