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

// The worked extension examples import the package by name, as a team does; in the unit tests
// the name is the source of its entry points (tsconfig.json maps it the same way for tsc). The
// built package itself is tested from a tarball in test/integration/consumer-package.test.ts.
const packageAlias = [
  { find: /^loadbearing\/platform$/, replacement: fileURLToPath(new URL('./lib/index.ts', import.meta.url)) },
  { find: /^loadbearing$/, replacement: fileURLToPath(new URL('./constructs/index.ts', import.meta.url)) },
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
          include: ['test/**/*.test.ts', 'service/test/**/*.test.ts'],
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
