import { appendFileSync } from 'node:fs';
import { Stage } from 'aws-cdk-lib';

/**
 * Counts real syntheses (not cached re-reads of an assembly) by appending a line per synthesis
 * to `logFile`. The bench sets it (through LOADBEARING_SYNTH_LOG) to report how many synths the
 * test suite performs.
 */
export function countSynths(logFile: string, label: string): void {
  const original = Stage.prototype.synth;
  if ((original as { counted?: boolean }).counted) return;
  const counted = function (this: Stage, ...args: Parameters<Stage['synth']>) {
    const before = (this as unknown as { assembly?: unknown }).assembly;
    const assembly = original.apply(this, args);
    if (assembly !== before) appendFileSync(logFile, `${label} ${process.pid}\n`);
    return assembly;
  };
  Stage.prototype.synth = Object.assign(counted, { counted: true });
}
