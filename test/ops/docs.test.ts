import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinCommands } from '../../lib/ops/builtin-commands.js';
import { KEY_METRICS } from '../../lib/ops/report-metrics.js';
import { VERDICT_THRESHOLDS } from '../../lib/ops/verdicts.js';

const doc = readFileSync(path.join(__dirname, '../../docs/ops-cli.md'), 'utf8');

describe('docs/ops-cli.md', () => {
  it('has the verdict thresholds table exactly as VERDICT_THRESHOLDS', () => {
    const start = doc.indexOf('### Verdict thresholds');
    const section = doc.slice(start, doc.indexOf('\n## ', start));
    const rows = section.split('\n').filter((l) => /^\| `\w+` \|/.test(l));
    const expected = Object.entries(VERDICT_THRESHOLDS).map(
      ([key, t]) => `| \`${key}\` | ${t.metric} | ${t.when === 'above' ? '>=' : '<'} ${t.value} ${t.unit} | ${t.advice} |`,
    );
    expect(rows).toEqual(expected);
  });

  it('states the key metric counts the call formula is based on', () => {
    const n = (kind: keyof typeof KEY_METRICS) => KEY_METRICS[kind].length;
    const sentence =
      `${n('cdn')} per CloudFront distribution,\n  ${n('alb')} per ALB, ${n('fleet')} per fleet, ${n('dbWriter')} per DB writer, ` +
      `${n('dbReplica')} per replica, ${n('dbProxy')} per proxy, ${n('cache')} per cache\n  cluster`;
    expect(doc).toContain(sentence);
  });

  it('documents every command', () => {
    for (const command of builtinCommands().list()) expect(doc).toContain(`## \`${command.name}\``);
  });
});
