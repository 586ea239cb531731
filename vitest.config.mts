import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-synth.ts'],
    setupFiles: ['test/setup/snapshot-serializer.ts'],
    // aws-cdk-lib is large: separate processes keep memory bounded and use both cores.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CDK_DISABLE_VERSION_CHECK: '1',
    },
  },
});
