import { describe, expect, it } from 'vitest';
import { MAX_DETAILS_CHARS, markdownReport } from '../../../lib/platform/review/markdown-report';
import { reviewTemplates } from '../../../lib/platform/review/review';
import type { Template } from '../../../lib/platform/review/templates';

const options = { allowListPath: 'lib/platform/review/allow-replacements.json', allowListEntries: 0 };
const review = (before: Template, after: Template) =>
  reviewTemplates(
    { label: 'origin/main (abc1234)', templates: new Map([['s', before]]) },
    { label: 'working tree', templates: new Map([['s', after]]) },
    [],
  );

describe('the Markdown report', () => {
  it('says "No changes" for identical templates', () => {
    const t: Template = { Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: {} } } };
    expect(markdownReport(review(t, t), options)).toBe(
      '## Synth diff: `origin/main (abc1234)` -> `working tree`\n\n**No changes: every template matches the baseline.**\n\n### Stacks\n\n| Stack | Changes |\n| --- | --- |\n| `s` | no changes |\n',
    );
  });

  it('escapes table cells, so a value with a pipe cannot break the table', () => {
    const alarm = (description: string): Template => ({
      Resources: { Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmDescription: description } } },
    });
    const md = markdownReport(review(alarm('a'), alarm('a | b')), options);
    expect(md).toContain('| modified | `AWS::CloudWatch::Alarm` | `Alarm` |  | AlarmDescription "a" -> "a \\| b" |');
  });

  it(`cuts the full diffs to ${MAX_DETAILS_CHARS} characters, far below GitHub's comment limit`, () => {
    const big = (n: number): Template => ({
      Resources: Object.fromEntries(
        Array.from({ length: 400 }, (_, i) => [
          `Param${i}`,
          { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: `${n}-${'x'.repeat(200)}` } },
        ]),
      ),
    });
    const md = markdownReport(review(big(1), big(2)), options);
    expect(md).toContain('... (cut: run `npm run diff -- --details` for the rest)');
    expect(md.length).toBeLessThan(MAX_DETAILS_CHARS + 20_000);
    expect(md).toContain('... and 360 more (see the full diff below).');
  });
});
