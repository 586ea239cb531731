import type * as PlanModule from '../model/deploy/rollback-plan';
import type * as ReportModule from '../model/deploy/plan-report';
import { ExitCode, writeLine, type Command } from './command.js';
import { configFileOption, ENVIRONMENT_OPTIONS, loadEnvironment } from './environment-option.js';
import { readSynthesizedTemplate, TEMPLATE_OPTIONS } from './synthesized-template.js';

/** `loadbearing plan --env <name>`: the first create of a synthesized stack, and whether every failure in it rolls back. */
export const planCommand: Command = {
  name: 'plan',
  summary: "Order the first create of an environment's synthesized stack and prove every failure point rolls back",
  usage: '--env <name> [-c configFile=<file.json>] [--template-dir <dir>] [--json]',
  details: [
    'Reads the template `npm run synth` wrote for the environment (cdk.out/<stack>.template.json)',
    'and orders its resources the way CloudFormation creates them: by Ref, Fn::GetAtt, Fn::Sub and',
    'DependsOn, unrelated resources in parallel, with what a transform adds (the hosted rotation',
    'functions of AWS::SecretsManager-*). Each resource gets an estimated create time from a table',
    'with a source per row (docs/deploying.md): estimates, not measurements.',
    '',
    "Prints the critical path and its minutes, then one line per failure point: if that resource's",
    'create fails, what is complete and what is in flight, and whether the rollback can delete all',
    'of it. What stops a rollback or a retry: deletion protection without a guard sure to lift it,',
    'Retain resources with fixed names, buckets that may hold objects, Lambda@Edge functions, and',
    'custom resources whose handler may lose its permissions first. Makes no AWS calls.',
    '',
    'Also warns, without changing the exit code, where the rollback may reach an ElastiCache group',
    'still being created: ElastiCache refuses that delete, and whether CloudFormation waits for it',
    'is not verified ("may strand").',
    '',
    'Exit codes: 0 every failure point rolls back (warnings included), 1 some failure point strands',
    'the stack (named, with the fix), 2 unknown environment, invalid config or no synthesized template.',
  ].join('\n'),
  verdict: 'a failure point of the first create strands the stack',
  options: { ...ENVIRONMENT_OPTIONS, ...TEMPLATE_OPTIONS },
  async local(values, { stdout, stderr }) {
    const env = await loadEnvironment(values, 'plan', stderr);
    if (!env) return ExitCode.Error;
    const template = readSynthesizedTemplate(
      env,
      typeof values['template-dir'] === 'string' ? values['template-dir'] : undefined,
      configFileOption(values),
    );
    const { planFirstCreate }: typeof PlanModule = await import('../model/deploy/rollback-plan.js');
    const { planJson, planText }: typeof ReportModule = await import('../model/deploy/plan-report.js');
    const plan = planFirstCreate(template, { account: env.account, region: env.region, stackName: env.stackName });
    if (values.json === true) writeLine(stdout, JSON.stringify(planJson(env.stackName, plan), null, 2));
    else stdout.write(planText(env.stackName, template, plan));
    return plan.strands ? ExitCode.Alarm : ExitCode.Ok;
  },
};
