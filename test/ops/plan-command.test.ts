import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { runCli } from '../../lib/ops/cli';

const assemblyDir = inject('assemblyDir');

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (c: string) => (stdout += c) },
    stderr: { write: (c: string) => (stderr += c) },
    createClient: () => {
      throw new Error('plan makes no AWS calls');
    },
  });
  return { code, stdout, stderr };
}

describe('loadbearing plan', () => {
  it.each(['dev', 'staging', 'prod'])('exits 0 for %s: the critical path, a line per failure point, and the verdict', async (env) => {
    const result = await run(['plan', '--env', env, '--template-dir', assemblyDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^loadbearing plan: loadbearing-${env}, first create: \\d+ resources`));
    expect(result.stdout).toMatch(/^Critical path: ~\d+ min\. Estimated create times, not measurements/m);
    expect(result.stdout).toMatch(/^ +\d+\.\d - +\d+\.\d min {2}(Database\/Writer \()?DatabaseWriter7794273E\)? {2}AWS::RDS::DBInstance$/m);
    expect(result.stdout).toMatch(/^Verdict: every one of the \d+ failure points rolls back/m);
    const points = result.stdout.split('\n').filter((l) => / min {2}if .* fails: \d+ complete, \d+ in flight/.test(l));
    const resources = Number(/first create: (\d+) resources/.exec(result.stdout)![1]);
    expect(resources).toBeGreaterThanOrEqual(
      Object.keys(JSON.parse(readFileSync(join(assemblyDir, `loadbearing-${env}.template.json`), 'utf8')).Resources).length,
    );
    expect(points.length).toBe(resources);
  });

  it('prints every failure point with what is complete and in flight as JSON', async () => {
    const result = await run(['plan', '--env', 'prod', '--template-dir', assemblyDir, '--json']);
    const json = JSON.parse(result.stdout) as {
      estimated: boolean;
      strands: boolean;
      criticalMinutes: number;
      failurePoints: { failing: string; created: string[]; inFlight: string[] }[];
    };
    expect(json).toMatchObject({ estimated: true, strands: false });
    expect(json.criticalMinutes).toBeGreaterThan(30);
    const cache = json.failurePoints.find((f) => f.failing === 'Cache18F6EE16')!;
    expect(cache.inFlight).toContain('Cache18F6EE16');
    expect(cache.created).toContain('NetworkVpc7FB7348F');
  });

  it('exits 1 naming the resource, the reason and the fix when a failure point strands the stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-broken-'));
    const template = JSON.parse(readFileSync(join(assemblyDir, 'loadbearing-staging.template.json'), 'utf8')) as {
      Resources: Record<string, { Properties?: Record<string, unknown> }>;
    };
    template.Resources.DatabaseWriter7794273E!.Properties!.DeletionProtection = true;
    writeFileSync(join(dir, 'loadbearing-staging.template.json'), JSON.stringify(template));
    const result = await run(['plan', '--env', 'staging', '--template-dir', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^ {2}DatabaseWriter7794273E: DeletionProtection is true: RDS refuses to delete it, and no rollback guard that lifts it is sure to exist by then \(first when .* fails at ~[\d.]+ min; \d+ failure points\); fix: leave deletion protection out of the template/m,
    );
  });

  it.each([
    [
      ['plan', '--env', 'qa', '--template-dir', 'x'],
      /^loadbearing: error: unknown environment "qa" \(known: dev, staging, prod\); fix: pass one of them to --env\n$/,
    ],
    [['plan'], /^loadbearing: error: missing --env <name>; see: loadbearing plan --help\n$/],
    [
      ['plan', '--env', 'prod', '--template-dir', '/nonexistent'],
      /^loadbearing: error: --template-dir \/nonexistent: no synthesized template \/nonexistent\/loadbearing-prod\.template\.json; fix: run `npx cdk synth loadbearing-prod` first \(or pass --template-dir <dir>\)\n$/,
    ],
    [
      ['plan', '--env', 'prod', '-c', 'stacks=x'],
      /^loadbearing: error: -c "stacks=x" is not configFile=<file.json>; loadbearing reads only that context key \(or use --config <file.json>\)\n$/,
    ],
  ])('exits 2 with one line for bad input: %j', async (argv, expected) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(expected);
    expect(result.stdout).toBe('');
  });

  it('exits 2 with the config problems for a bad config file, and reads -c configFile= like cdk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-config-'));
    const file = join(dir, 'envs.json');
    writeFileSync(
      file,
      JSON.stringify({ environments: { prod: { ...BUILTIN_ENVIRONMENTS.prod, fleet: { minCapacity: 30, maxCapacity: 10 } } } }),
    );
    const bad = await run(['plan', '--env', 'prod', '-c', `configFile=${file}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/environments\.prod\.fleet\.minCapacity = 30/);
    writeFileSync(file, JSON.stringify({ environments: { prod: BUILTIN_ENVIRONMENTS.prod } }));
    cpSync(join(assemblyDir, 'loadbearing-prod.template.json'), join(dir, 'loadbearing-prod.template.json'));
    const good = await run(['plan', '--env', 'prod', '-c', `configFile=${file}`, '--template-dir', dir]);
    expect(good.code).toBe(0);
  });
});
