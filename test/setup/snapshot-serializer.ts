import { expect } from 'vitest';
import { maskVolatile, VOLATILE } from '../support/mask-volatile';

// Snapshot hygiene for inline snapshots; whole-template file snapshots call maskVolatile directly.
expect.addSnapshotSerializer({
  test: (value: unknown) => typeof value === 'string' && VOLATILE.test(value),
  serialize: (value: string) => JSON.stringify(maskVolatile(value)),
});
