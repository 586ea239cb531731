import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-synth.ts'],
    setupFiles: ['test/setup/snapshot-serializer.ts', 'test/setup/count-synths.ts'],
    // aws-cdk-lib is large: separate processes keep memory bounded and use both cores.
    pool: 'forks',
    isolate: false,
    // vitest's default is one worker less than the CPUs: a single worker on a 2-CPU machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CDK_DISABLE_VERSION_CHECK: '1',
    },
  },
});
