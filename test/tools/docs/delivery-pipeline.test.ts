import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../lib/model/config/load-config';
import { PIPELINE_STACK_NAME, STAGE_CONDITION_LIMITS } from '../../../lib/model/config/pipeline-settings';
import { PlatformApp } from '../../../lib/platform/platform-app';
import { readValidationReport, resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { docExamples } from '../../support/doc-examples';
import { VALIDATION_CACHE } from '../../support/test-app';

/**
 * The pipeline config of docs/delivering.md ("The delivery pipeline"), synthesized as `npm run
 * synth` does (PlatformApp.run: a policy finding or a config error is exit 1), with the policy
 * gates on: cdk-nag AwsSolutions and NIST 800-53, the Control Tower controls, CloudFormation's
 * validator.
 */
const example = docExamples('docs/delivering.md').get('pipeline.json');
const dir = mkdtempSync(join(tmpdir(), 'loadbearing-pipeline-doc-'));

interface Synth {
  readonly code: number;
  readonly stderr: string;
  readonly outdir: string;
}

function synth(config: unknown, context: Record<string, string> = {}, policies = true): Synth {
  const file = join(mkdtempSync(join(dir, 'cfg-')), 'pipeline.json');
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  const outdir = mkdtempSync(join(dir, 'out-'));
  let stderr = '';
  const code = PlatformApp.run(
    (app) => app.addEnvironments(),
    {
      outdir,
      policies,
      validationCacheDirectory: VALIDATION_CACHE,
      policyProgress: () => {},
      context: { configFile: file, ...context },
    },
    { stderr: (t) => (stderr += t) },
  );
  process.exitCode = 0;
  return { code, stderr, outdir };
}

type Stage = {
  Name: string;
  Actions: { ActionTypeId: { Provider: string } }[];
  BeforeEntry?: { Conditions: { Result: string; Rules: Rule[] }[] };
  OnSuccess?: { Conditions: { Result: string; Rules: Rule[] }[] };
  OnFailure?: { Result: string };
};
type Rule = { Name: string; RuleTypeId: { Provider: string }; Configuration: Record<string, string>; RoleArn?: string; Region?: string };

function stagesOf(template: CfnTemplate): Stage[] {
  const [pipeline] = Object.values(resourcesOfType(template, 'AWS::CodePipeline::Pipeline'));
  expect(pipeline!.Properties!.PipelineType).toBe('V2');
  return pipeline!.Properties!.Stages as Stage[];
}

describe('the pipeline config of docs/delivering.md', () => {
  let gated: Synth;
  let template: CfnTemplate;
  beforeAll(() => {
    expect(example, 'docs/delivering.md has a <!-- example: pipeline.json --> block').toBeDefined();
    writeFileSync(join(dir, 'doc.json'), example!);
    gated = synth(example!, { stacks: PIPELINE_STACK_NAME });
    template = JSON.parse(readFileSync(join(gated.outdir, `${PIPELINE_STACK_NAME}.template.json`), 'utf8')) as CfnTemplate;
  }, 180_000);

  it('synthesizes loadbearing-delivery and passes the policy gates (exit 0: an unacknowledged finding fails synth)', () => {
    expect(gated.stderr).toBe('');
    expect(gated.code).toBe(0);
    const reports = readValidationReport(gated.outdir);
    expect(reports.map((r) => [r.pluginName, r.conclusion]).sort()).toEqual([
      ['AwsSolutions', 'success'],
      ['NIST.800.53.R5', 'success'],
      ['cdk-validator-cfnguard', 'success'],
    ]);
  });

  it('has the stages in order: source, build, the conditional approval, then one per environment in config order', () => {
    expect(stagesOf(template).map((s) => [s.Name, s.Actions.map((a) => a.ActionTypeId.Provider)])).toEqual([
      ['Source', ['CodeStarSourceConnection']],
      ['Build', ['CodeBuild']],
      ['ApproveStateful', ['Manual']],
      ['Deploy-staging', ['CodeBuild']],
      ['Deploy-prod', ['CodeBuild']],
    ]);
  });

  it('skips the approval by its entry condition unless the diff guard flagged a stateful change (SKIP needs a VariableCheck or LambdaInvoke rule)', () => {
    const approve = stagesOf(template).find((s) => s.Name === 'ApproveStateful')!;
    const [condition] = approve.BeforeEntry!.Conditions;
    expect(condition!.Result).toBe('SKIP');
    expect(condition!.Rules.map((r) => [r.RuleTypeId.Provider, r.Configuration])).toEqual([
      ['VariableCheck', { Variable: '#{Build.STATEFUL_CHANGE}', Value: 'true', Operator: 'EQ' }],
    ]);
    expect(STAGE_CONDITION_LIMITS.skipRules).toContain(condition!.Rules[0]!.RuleTypeId.Provider);
    // The build exports the variable the rule reads.
    const builds = Object.values(resourcesOfType(template, 'AWS::CodeBuild::Project')).map(
      (p) => JSON.parse((p.Properties!.Source as { BuildSpec: string }).BuildSpec) as { env?: { 'exported-variables'?: string[] } },
    );
    expect(builds.filter((b) => b.env?.['exported-variables']?.includes('STATEFUL_CHANGE')).length).toBe(1);
  });

  it('fails closed when a deployed template cannot be read (only a stack not created yet is new), and runs the tests with their servers (CI=true)', () => {
    const build = Object.values(resourcesOfType(template, 'AWS::CodeBuild::Project'))
      .map((p) => JSON.parse((p.Properties!.Source as { BuildSpec: string }).BuildSpec) as Record<string, any>)
      .find((b) => b.env?.['exported-variables']?.includes('STATEFUL_CHANGE'))!;
    const fetches = (build.phases.build.commands as string[]).filter((c) => c.includes('get-template'));
    expect(fetches.length).toBeGreaterThan(0);
    for (const f of fetches) {
      expect(f).not.toContain('2>/dev/null');
      expect(f).toMatch(/\*"does not exist"\*\) echo .+not created yet.+;; \*\) echo "cannot read the deployed template of .+"; exit 2 ;;/);
    }
    expect(build.env.variables.CI).toBe('true');
    expect(build.phases.install.commands).toContain('npm run --if-present prereqs -- --install');
  });

  it('gates each environment: entry FAIL on its alarms, on success ROLLBACK after its bake, on failure ROLLBACK, within 5 rules per condition', () => {
    const envs = new Map(loadConfigFile(join(dir, 'doc.json')).map((e) => [e.name, e]));
    for (const name of ['staging', 'prod']) {
      const env = envs.get(name)!;
      const stage = stagesOf(template).find((s) => s.Name === `Deploy-${name}`)!;
      const entry = stage.BeforeEntry!.Conditions;
      const success = stage.OnSuccess!.Conditions;
      expect([entry.length, success.length]).toEqual([1, 1]);
      expect(entry[0]!.Result).toBe('FAIL');
      expect(success[0]!.Result).toBe('ROLLBACK');
      expect(stage.OnFailure).toEqual({ Result: 'ROLLBACK' });
      const alarms = env.delivery.rollbackTriggers.map((k) => `${env.stackName}-${k}`);
      for (const [condition, wait] of [
        [entry[0]!, undefined],
        [success[0]!, String(env.delivery.bakeMinutes)],
      ] as const) {
        expect(condition.Rules.length).toBeLessThanOrEqual(STAGE_CONDITION_LIMITS.maxRulesPerCondition);
        expect(condition.Rules.map((r) => r.RuleTypeId.Provider)).toEqual(alarms.map(() => 'CloudWatchAlarm'));
        expect(condition.Rules.map((r) => r.Configuration.AlarmName)).toEqual(alarms);
        expect(condition.Rules.map((r) => r.Configuration.WaitTime)).toEqual(alarms.map(() => wait));
        // Another account's alarms are read through its bootstrap lookup role.
        expect(new Set(condition.Rules.map((r) => r.RoleArn))).toEqual(
          new Set([`arn:aws:iam::${env.account}:role/cdk-hnb659fds-lookup-role-${env.account}-${env.region}`]),
        );
      }
      expect(alarms).toContain(`${env.stackName}-canary-failures`);
    }
    expect(stagesOf(template).find((s) => s.Name === 'Deploy-prod')!.OnSuccess!.Conditions[0]!.Rules[0]!.Configuration.WaitTime).toBe('15');
  });

  it('lets each deploy project assume only the bootstrap roles of its own environment', () => {
    const policies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).map((p) => JSON.stringify(p.Properties));
    const assumes = (account: string) => policies.filter((p) => p.includes(`cdk-hnb659fds-deploy-role-${account}`));
    expect(assumes('222222222222').length).toBe(1);
    expect(assumes('333333333333').length).toBe(1);
    expect(assumes('222222222222')[0]).not.toContain('333333333333');
  });

  it('takes the gate alarms from the environment stacks when they are synthesized too', () => {
    const all = synth(example!, {}, false);
    expect(all.code).toBe(0);
    const t = JSON.parse(readFileSync(join(all.outdir, `${PIPELINE_STACK_NAME}.template.json`), 'utf8')) as CfnTemplate;
    const prod = JSON.parse(readFileSync(join(all.outdir, 'loadbearing-prod.template.json'), 'utf8')) as CfnTemplate;
    const names = new Set(Object.values(resourcesOfType(prod, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!.AlarmName));
    const rules = stagesOf(t).find((s) => s.Name === 'Deploy-prod')!.BeforeEntry!.Conditions[0]!.Rules;
    for (const r of rules) expect(names.has(r.Configuration.AlarmName), r.Configuration.AlarmName).toBe(true);
  }, 180_000);
});

describe("the other source and a pipeline in an environment's own account", () => {
  it('takes an S3 source (a .zip in a versioned bucket), reads same-account alarms with its own role, and passes the policy gates', () => {
    const c = JSON.parse(example!) as { delivery: { pipeline: Record<string, unknown> } };
    c.delivery.pipeline.source = { type: 's3', bucket: 'acme-releases', key: 'platform/main.zip' };
    c.delivery.pipeline.account = '222222222222';
    const r = synth(c, { stacks: PIPELINE_STACK_NAME });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const t = JSON.parse(readFileSync(join(r.outdir, `${PIPELINE_STACK_NAME}.template.json`), 'utf8')) as CfnTemplate;
    const stages = stagesOf(t);
    expect(stages[0]!.Actions.map((a) => a.ActionTypeId.Provider)).toEqual(['S3']);
    // staging is in the pipeline's account: no role on its rules, a grant on its alarms instead.
    const staging = stages.find((s) => s.Name === 'Deploy-staging')!.BeforeEntry!.Conditions[0]!.Rules;
    expect(staging.map((r) => r.RoleArn)).toEqual(staging.map(() => undefined));
    const prod = stages.find((s) => s.Name === 'Deploy-prod')!.BeforeEntry!.Conditions[0]!.Rules;
    expect(prod.every((r) => r.RoleArn?.includes(':role/cdk-hnb659fds-lookup-role-333333333333-'))).toBe(true);
    const policies = Object.values(resourcesOfType(t, 'AWS::IAM::Policy')).map((p) => JSON.stringify(p.Properties));
    expect(policies.some((p) => p.includes('cloudwatch:DescribeAlarms') && p.includes(':alarm:loadbearing-staging-*'))).toBe(true);
  }, 180_000);
});

describe('bad pipeline input, refused at synth naming the field and the limit', () => {
  const base = () =>
    JSON.parse(example!) as { environments: Record<string, Record<string, unknown>>; delivery: { pipeline: Record<string, unknown> } };

  it('refuses a pipeline enabled without a source', () => {
    const c = base();
    delete c.delivery.pipeline.source;
    const r = synth(c, { stacks: PIPELINE_STACK_NAME }, false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/delivery\.pipeline\.source/);
    expect(r.stderr).toMatch(/is required when delivery\.pipeline\.enabled is true/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an environment order naming an unknown environment', () => {
    const c = base();
    c.delivery.pipeline.environments = ['staging', 'production'];
    const r = synth(c, { stacks: PIPELINE_STACK_NAME }, false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/delivery\.pipeline\.environments\[1\] = "production"/);
    expect(r.stderr).toMatch(/names no environment of this file \(its environments: staging, prod\)/);
  });

  it('refuses a bake outside the WaitTime limits of the on-success rule (the dev preset bakes 0 minutes)', () => {
    const c = base();
    c.environments.dev = { stage: 'dev', account: '444444444444', region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'] };
    c.delivery.pipeline.environments = ['dev', 'staging', 'prod'];
    const r = synth(c, { stacks: PIPELINE_STACK_NAME }, false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/environments\.dev\.delivery\.bakeMinutes = 0/);
    expect(r.stderr).toMatch(/WaitTime .* whole minutes from 1 to 1440/);
    expect(r.stderr).toMatch(/rule-reference-CloudWatchAlarm\.html/);
  });

  it('has no pipeline stack when delivery.pipeline is off', () => {
    const c = base();
    c.delivery.pipeline.enabled = false;
    const r = synth(c, { stacks: 'staging' }, false);
    expect(r.code).toBe(0);
    expect(existsSync(join(r.outdir, `${PIPELINE_STACK_NAME}.template.json`))).toBe(false);
  });
});
