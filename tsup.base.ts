import { defineConfig, type Options } from 'tsup';

/** The one build shape every package shares: ESM + CJS + .d.ts, Node 20, tree-shakeable. */
export function packageConfig(
  entry: Record<string, string> = { index: 'src/index.ts' },
  extra: Options = {},
) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...extra,
  });
}
