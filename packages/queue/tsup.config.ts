import { packageConfig } from '../../tsup.base';

export default packageConfig(
  { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  { external: ['vitest'] },
);
