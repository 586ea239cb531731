import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { selectEnvironments } from '../../../lib/model/config/select-environments';
import { assemblySummary, writtenTemplates } from '../../../tools/synth/assembly-summary';
import { validationCacheIsCold } from '../../../tools/synth/first-run';
import { parseSynthArgs } from '../../../tools/synth/synth-args';

describe('npm run synth arguments', () => {
  it('turns stack names into the stacks context, keeps -c pairs, passes bare flags through', () => {
    expect(parseSynthArgs(['loadbearing-dev', 'prod', '-c', 'configFile=envs.json', '--no-validation'])).toEqual({
      stacks: ['loadbearing-dev', 'prod'],
      context: ['configFile=envs.json', 'stacks=loadbearing-dev,prod'],
      output: 'cdk.out',
      passThrough: ['--no-validation'],
    });
  });

  it('builds every stack without arguments, and takes --output and --app', () => {
    expect(parseSynthArgs(['-o', 'out', '--app', 'node x.js'])).toEqual({
      stacks: [],
      context: [],
      output: 'out',
      app: 'node x.js',
      passThrough: [],
    });
    expect(parseSynthArgs(['--help'])).toBeUndefined();
  });

  it.each([
    [['-c', 'configFile'], /-c configFile is not key=value\. Fix: write it as -c key=value/],
    [['dev', '-c', 'stacks=prod'], /-c stacks=prod and stack arguments \(dev\) both select stacks\. Fix: use one of them/],
    [['--profile=x'], /--profile=x: only flags without a value pass through to cdk synth\. Fix: run `npx cdk synth --profile x` directly/],
    [['--output'], /--output needs a value/],
  ])('rejects %j with the argument and the fix', (argv, message) => {
    expect(() => parseSynthArgs(argv)).toThrow(message);
  });
});

describe('selecting environments (-c stacks=...)', () => {
  const all = builtinEnvironments();

  it('keeps every environment when nothing is selected', () => {
    expect(selectEnvironments(all, undefined).map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(selectEnvironments(all, '').map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
  });

  it('selects by stack name or environment name, in config order', () => {
    expect(selectEnvironments(all, 'loadbearing-prod,dev').map((e) => e.stackName)).toEqual(['loadbearing-dev', 'loadbearing-prod']);
  });

  it('names an unknown stack, the stacks there are, and the fix', () => {
    expect(() => selectEnvironments(all, 'loadbearing-qa')).toThrow(
      /context\.stacks = "loadbearing-qa"\n +rule: names no stack of this config \(its stacks: loadbearing-dev, loadbearing-staging, loadbearing-prod\)\n +fix: +name one of those stacks/,
    );
  });
});

describe('what a synth wrote', () => {
  const dir = mkdtempSync(join(tmpdir(), 'summary-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists the manifest's templates with resource counts, and older templates as not part of this synth", () => {
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        artifacts: {
          'loadbearing-dev': { type: 'aws:cloudformation:stack', properties: { templateFile: 'loadbearing-dev.template.json' } },
          Tree: { type: 'cdk:tree' },
        },
      }),
    );
    writeFileSync(join(dir, 'loadbearing-dev.template.json'), JSON.stringify({ Resources: { A: {}, B: {} } }));
    writeFileSync(join(dir, 'loadbearing-prod.template.json'), '{}');
    expect(writtenTemplates(dir).map((t) => [t.stack, t.resources])).toEqual([['loadbearing-dev', 2]]);
    expect(assemblySummary(dir, dir)).toEqual([
      'wrote loadbearing-dev.template.json: loadbearing-dev, 2 resources, 0 KiB',
      '(. also holds loadbearing-prod.template.json from an earlier synth: not part of this one)',
    ]);
  });
});

describe('the first-run notice', () => {
  const cache = mkdtempSync(join(tmpdir(), 'cache-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('is due while any gate has no stored report, and not after', () => {
    expect(validationCacheIsCold(join(cache, 'missing'))).toBe(true);
    for (const gate of ['AwsSolutions', 'NIST.800.53.R5', 'cdk-validator-cfnguard']) {
      mkdirSync(join(cache, gate));
      writeFileSync(join(cache, gate, 'x.json'), '{}');
    }
    expect(validationCacheIsCold(cache)).toBe(true);
    mkdirSync(join(cache, 'CloudFormation-Validate'));
    writeFileSync(join(cache, 'CloudFormation-Validate', 'y.json'), '{}');
    expect(validationCacheIsCold(cache)).toBe(false);
  });
});
