import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../../lib/model/config/config-error';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { pipelineSettingsSchema, planPipeline, STAGE_CONDITION_LIMITS } from '../../../lib/model/config/pipeline-settings';

const SOURCE = { type: 's3', bucket: 'acme-releases', key: 'platform/main.zip' };
const envs = builtinEnvironments().map((e) => (e.name === 'dev' ? { ...e, delivery: { ...e.delivery, bakeMinutes: 5 } } : e));

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (isConfigError(e)) return e.problems.map((p) => `${p.path} = ${p.value}: ${p.rule}`);
    throw e;
  }
  return [];
}

describe('delivery.pipeline', () => {
  it('is off by default, and off it plans nothing', () => {
    const s = pipelineSettingsSchema.parse(undefined);
    expect(s.enabled).toBe(false);
    expect(planPipeline(s, envs, 'test')).toBeUndefined();
  });

  it('plans a stage per environment in config order by default, each gated by its rollback triggers and baking its bakeMinutes', () => {
    const plan = planPipeline(pipelineSettingsSchema.parse({ enabled: true, source: SOURCE }), envs, 'test')!;
    expect(plan.stages.map((s) => [s.environment, s.bakeMinutes, s.alarmKeys.length])).toEqual([
      ['dev', 5, 5],
      ['staging', envs[1]!.delivery.bakeMinutes, 5],
      ['prod', envs[2]!.delivery.bakeMinutes, 5],
    ]);
    expect(plan.account).toBe(envs[0]!.account);
    expect(plan.stages.every((s) => s.alarmKeys.length <= STAGE_CONDITION_LIMITS.maxRulesPerCondition)).toBe(true);
  });

  it('refuses every problem at once: a duplicate, an unknown environment, a bake of 0 (the dev preset)', () => {
    const s = pipelineSettingsSchema.parse({ enabled: true, source: SOURCE, environments: ['staging', 'staging', 'qa', 'dev'] });
    const found = problems(() => planPipeline(s, builtinEnvironments(), 'test'));
    expect(found).toEqual([
      expect.stringMatching(/^delivery\.pipeline\.environments\[1\] = "staging": names an environment twice/),
      expect.stringMatching(/^delivery\.pipeline\.environments\[2\] = "qa": names no environment of this file/),
      expect.stringMatching(/^environments\.dev\.delivery\.bakeMinutes = 0: is the WaitTime .* from 1 to 1440/),
    ]);
  });

  it('refuses a malformed source naming its field', () => {
    const bad = pipelineSettingsSchema.safeParse({
      enabled: true,
      source: { type: 'codeconnections', connectionArn: 'arn:aws:iam::1:role/x', repository: 'acme' },
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['source.connectionArn', 'source.repository']);
    const zip = pipelineSettingsSchema.safeParse({ enabled: true, source: { ...SOURCE, key: 'platform.tar' } });
    expect(zip.error!.issues.map((i) => i.path.join('.'))).toEqual(['source.key']);
  });
});
