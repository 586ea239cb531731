import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Two projects, one command (`npm test` runs both):
// - unit: CDK synth, template assertions, pure logic, mocked SDK clients; in process, no servers.
// - integration: real processes on loopback (moto, PostgreSQL, the cache, HAProxy, the built CLI).
// `npm run test:unit` and `npm run test:integration` run one of them.
const env = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  CDK_DISABLE_VERSION_CHECK: '1',
};

// The packages import each other by name, as a team's code imports them; in the tests the names
// are the sources (tsconfig.json maps them the same way for tsc). The built packages themselves
// are tested from tarballs in test/integration/consumer-package.test.ts.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const packageAlias = [
  { find: /^loadbearing\/platform$/, replacement: source('./lib/index.ts') },
  { find: /^loadbearing\/model$/, replacement: source('./lib/model/index.ts') },
  { find: /^loadbearing\/ops$/, replacement: source('./lib/ops/index.ts') },
  { find: /^loadbearing$/, replacement: source('./constructs/index.ts') },
  { find: /^@loadbearing\/contract$/, replacement: source('./contract/src/index.ts') },
  { find: /^@loadbearing\/proving-ground\/local-stack$/, replacement: source('./proving-ground/src/local-stack/index.ts') },
  { find: /^@loadbearing\/proving-ground$/, replacement: source('./proving-ground/src/index.ts') },
];

export default defineConfig({
  test: {
    // aws-cdk-lib is large: separate processes keep memory bounded and use both cores.
    pool: 'forks',
    // vitest's default is one worker less than the CPUs: a single worker on a 2-CPU machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        resolve: { alias: packageAlias },
        test: {
          name: 'unit',
          // The unit project runs first and the integration project after it (vitest's
          // sequence.groupOrder, https://vitest.dev/config/sequence): the integration tests
          // assert the bounds a behaviour promises (a shed answer in < 50 ms, an open-loop p99),
          // and on 2 cores a synth running beside them measured the synth, not the behaviour.
          sequence: { groupOrder: 0 },
          include: [
            'test/**/*.test.ts',
            'service/test/**/*.test.ts',
            'rotation/test/**/*.test.ts',
            'proving-ground/test/**/*.test.ts',
            'contract/test/**/*.test.ts',
          ],
          exclude: ['test/integration/**'],
          globalSetup: ['test/setup/global-synth.ts'],
          setupFiles: ['test/setup/snapshot-serializer.ts', 'test/setup/count-synths.ts'],
          pool: 'forks',
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env,
        },
      },
      {
        resolve: { alias: packageAlias },
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/integration-setup.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          env,
        },
      },
    ],
  },
});
