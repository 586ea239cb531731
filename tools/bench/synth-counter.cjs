'use strict';
// Counts real syntheses (not cached re-reads of an assembly) by appending a line per synthesis to
// a log file. `npm run bench` sets LOADBEARING_SYNTH_LOG to report how many synths the test suite
// performs; the test setups and the repository's CDK launcher (tools/launch.cjs) install it. Plain
// JavaScript, so the launcher can load it without a TypeScript runner, and the library's own entry
// points never import tooling.
function countSynths(logFile, label) {
  const { appendFileSync } = require('node:fs');
  const { Stage } = require('aws-cdk-lib');
  const original = Stage.prototype.synth;
  if (original.counted) return;
  const counted = function (...args) {
    const before = this.assembly;
    const assembly = original.apply(this, args);
    if (assembly !== before) appendFileSync(logFile, `${label} ${process.pid}\n`);
    return assembly;
  };
  Stage.prototype.synth = Object.assign(counted, { counted: true });
}

module.exports = { countSynths };
