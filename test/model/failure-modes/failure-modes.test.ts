import { z } from 'zod';
import { describe, expect, inject, it } from 'vitest';
import { environmentSchema } from '../../../lib/model/config/environment-schema';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import {
  alarmKeyMatches,
  catalogueText,
  drillApplicability,
  drillConfigProblems,
  DRILL_TAGS,
  DRILLS,
  FAILURE_MODE_IDS,
  FAILURE_MODES,
  failureMode,
  failureModeCatalogue,
  failureModesReference,
  isNoDrill,
  LOCAL_REHEARSALS,
  minutesBeyond,
  stopRules,
  subnetCutLeftOut,
} from '../../../lib/model/failure-modes';
import { INVARIANT_RULES } from '../../../lib/model/invariants/rules';
import { readTemplate } from '../../support/assembly';
import { environment } from '../../support/platform-variants';

type JsonSchema = { properties?: Record<string, JsonSchema> };
const schema = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** True when `path` (dot-separated) names a field or section of the environment schema. */
function isConfigPath(path: string): boolean {
  let node: JsonSchema | undefined = schema;
  for (const segment of path.split('.')) node = node?.properties?.[segment];
  return node !== undefined;
}

describe('failure modes', () => {
  it('defines every ID once, in catalogue order', () => {
    expect([...FAILURE_MODES.keys()]).toEqual([...FAILURE_MODE_IDS]);
    expect(failureMode('az-loss')?.title).toBe('One Availability Zone lost');
    expect(failureMode('no-such-mode')).toBeUndefined();
  });

  it.each([...FAILURE_MODES.values()].map((m) => [m.id, m] as const))('%s has every part, and its references resolve', (_id, mode) => {
    expect(mode.title).not.toBe('');
    expect(mode.failure).not.toBe('');
    expect(mode.mitigation.summary).not.toBe('');
    expect(mode.runbook.length).toBeGreaterThan(0);
    expect(mode.invariants.length).toBeGreaterThan(0);
    const ruleIds = new Set(INVARIANT_RULES.map((r) => r.id));
    expect(mode.invariants.filter((id) => !ruleIds.has(id))).toEqual([]);
    expect(mode.mitigation.configKeys.length).toBeGreaterThan(0);
    expect(mode.mitigation.configKeys.filter((k) => !isConfigPath(k))).toEqual([]);
    for (const config of builtinEnvironments()) {
      const applicability = mode.applies(config);
      expect(applicability.reason).not.toBe('');
      const budget = mode.impactBudget(config);
      expect(budget.max5xxRatePercent).toBeGreaterThan(0);
      expect(budget.max5xxRatePercent).toBeLessThanOrEqual(100);
      expect(budget.recoverySeconds).toBeGreaterThanOrEqual(0);
      expect(budget.derivation).not.toBe('');
    }
  });

  it('names only alarms that the stack creates where the mode applies', () => {
    for (const config of builtinEnvironments()) {
      const template = readTemplate(inject('assemblyDir'), config.stackName);
      const keys = Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
        .map((r) => String((r.Properties as { AlarmName?: string }).AlarmName ?? '').replace(`${config.stackName}-`, ''));
      for (const mode of FAILURE_MODES.values()) {
        if (!mode.applies(config).applies) continue;
        const missing = mode.expectedAlarms.filter((pattern) => !keys.some((k) => alarmKeyMatches(pattern, k)));
        expect(missing, `${mode.id} in ${config.name}`).toEqual([]);
      }
    }
  });

  it('matches alarm-key patterns one segment at a time', () => {
    expect(alarmKeyMatches('db-replica-*-lag', 'db-replica-2-lag')).toBe(true);
    expect(alarmKeyMatches('db-replica-*-lag', 'db-replica-2-cpu')).toBe(false);
    expect(alarmKeyMatches('db-replica-*-lag', 'db-replica-lag')).toBe(false);
    expect(alarmKeyMatches('alb-unhealthy-hosts', 'alb-unhealthy-hosts')).toBe(true);
  });

  it('applies by config: spot-interruption only with Spot at the minimum size, instance-loss only with two or more instances', () => {
    const spot = failureMode('spot-interruption')!;
    expect(spot.applies(environment('prod')).applies).toBe(false);
    expect(spot.applies(environment('prod', { fleet: { spotPercentAboveBase: 50, onDemandBaseCapacity: 4 } })).applies).toBe(true);
    expect(spot.applies(environment('staging', { fleet: { spotPercentAboveBase: 50 } })).reason).toMatch(/covers fleet.minCapacity/);
    const instance = failureMode('instance-loss')!;
    const dev = environment('dev');
    // One instance is valid config only with invariants opted out; applicability reads fleet.minCapacity alone.
    expect(instance.applies({ ...dev, fleet: { ...dev.fleet, minCapacity: 1 } }).applies).toBe(false);
    expect(instance.applies(dev).applies).toBe(true);
  });

  it('derives budgets from config: the AZ-loss floor and the health-check detection time', () => {
    const prod = environment('prod');
    const az = failureMode('az-loss')!.impactBudget(prod);
    expect(az.minHealthyHosts).toBe(4); // 6 instances over 3 AZs, one AZ lost
    expect(az.max5xxRatePercent).toBe(34);
    const hc = prod.loadBalancer.healthCheck;
    expect(failureMode('instance-loss')!.impactBudget(prod).recoverySeconds).toBe(
      hc.intervalSeconds * hc.unhealthyThresholdCount + hc.timeoutSeconds,
    );
  });
});

describe('failure-mode catalogue', () => {
  it.each(builtinEnvironments().map((c) => [c.name, c] as const))(
    '%s: every mode has every part, and every scenario and drill name resolves',
    (_name, config) => {
      const rows = failureModeCatalogue(config);
      expect(rows.map((r) => r.mode)).toEqual([...FAILURE_MODE_IDS]);
      const template = readTemplate(inject('assemblyDir'), config.stackName);
      const drilled = new Set(
        Object.values(template.Resources)
          .filter((r) => r.Type === 'AWS::FIS::ExperimentTemplate')
          .map((r) => (r.Properties as { Tags: Record<string, string> }).Tags[DRILL_TAGS.drill]),
      );
      for (const row of rows) {
        const where = `${config.name} ${row.mode}`;
        for (const part of [
          row.title,
          row.failure,
          row.mitigation.summary,
          row.budget.derivation,
          row.appliesReason,
          row.scenario.detail,
          row.drill.detail,
          row.drill.why,
        ])
          expect(part, where).not.toBe('');
        expect(row.mitigation.configKeys.length, where).toBeGreaterThan(0);
        expect(row.invariants.length, where).toBeGreaterThan(0);
        expect(row.runbook.length, where).toBeGreaterThan(0);
        // The scenario is the mode's own (the proving ground names scenarios by mode ID), or none with a reason.
        expect(['none', row.mode], where).toContain(row.scenario.name);
        expect(LOCAL_REHEARSALS[row.mode].scenario, where).toBe(row.scenario.name);
        // The drill is DRILLS' name; where the catalogue says it is here, the template exists, with its stop alarm.
        expect(row.drill.name, where).toBe(DRILLS[row.mode].drill);
        expect(drilled.has(row.mode), where).toBe(row.drill.inThisEnvironment);
        if (row.drill.inThisEnvironment) {
          const alarms = Object.values(template.Resources).map((r) => (r.Properties as { AlarmName?: string } | undefined)?.AlarmName);
          expect(alarms, where).toContain(row.drill.stopAlarm);
          expect(row.drill.stopRules.length, where).toBeGreaterThan(0);
        }
      }
    },
  );

  it('has a drill or a reason for none for every mode; traffic-spike and client-retries have none; cache-loss is cache-primary-failover', () => {
    expect(Object.keys(DRILLS).sort()).toEqual([...FAILURE_MODE_IDS].sort());
    expect(isNoDrill(DRILLS['traffic-spike'])).toBe(true);
    expect(isNoDrill(DRILLS['client-retries'])).toBe(true);
    expect(DRILLS['cache-loss'].drill).toBe('cache-primary-failover');
    for (const d of Object.values(DRILLS)) {
      if (isNoDrill(d)) expect(d.reason.length).toBeGreaterThan(20);
      else expect(d.summary.length).toBeGreaterThan(20);
    }
    const staging = failureModeCatalogue(environment('staging'));
    expect(staging.filter((r) => r.drill.inThisEnvironment).map((r) => r.mode)).toEqual([
      'instance-loss',
      'az-loss',
      'gray-az',
      'capacity-shortage-in-an-az',
      'cpu-stress',
      'db-failover',
      'replica-loss',
      'dependency-latency',
      'cache-loss',
    ]);
  });

  it('derives the stop rules from the impact budget', () => {
    const staging = environment('staging');
    const az = stopRules(failureMode('az-loss')!, staging);
    expect(az.map((r) => [r.id, r.threshold, r.minutes])).toEqual([
      ['error-ceiling', 34, 2],
      ['errors-too-long', 1, minutesBeyond(120)],
      ['healthy-hosts', 2, 2],
    ]);
    expect(minutesBeyond(120)).toBe(4);
    expect(minutesBeyond(0)).toBe(2);
    // A budget that bounds only the duration (db-failover: 100% may fail) gets no ceiling.
    expect(stopRules(failureMode('db-failover')!, staging).map((r) => r.id)).toEqual(['errors-too-long']);
    // A ceiling at the steady state already says it sooner than "too long".
    expect(stopRules(failureMode('cache-loss')!, staging).map((r) => r.id)).toEqual(['error-ceiling', 'p99']);
    // p99 is bounded while the mode lasts (2 minutes, not a transient), not only after the recovery time:
    // cpu-stress's 960 s recovery would otherwise need 18 minutes, longer than its 10-minute fault.
    expect(stopRules(failureMode('cpu-stress')!, staging).find((r) => r.id === 'p99')).toMatchObject({ threshold: 2, minutes: 2 });
    // dependency-latency: the steady p99 + the pool wait bound + 5 round trips x 200 ms, below the 30 s request timeout.
    expect(stopRules(failureMode('dependency-latency')!, staging).find((r) => r.id === 'p99')).toMatchObject({
      threshold: 2 + 2 * 0.5 + 5 * 0.2,
      minutes: 2,
    });
    expect(drillConfigProblems(staging)).toEqual([]);
  });

  it("renders the catalogue for the docs: a summary row and a section with every field per mode, each environment's budget and drill", () => {
    const page = failureModesReference();
    expect(page).toContain('| Mode | Failure | Expected cause alarms | Proving-ground scenario | Drill in AWS, in |');
    for (const mode of FAILURE_MODE_IDS) {
      expect(page).toContain(`| \`${mode}\` | ${failureMode(mode)!.title} |`);
      const section = page.slice(page.indexOf(`### \`${mode}\``)).split('\n### ')[0];
      for (const label of [
        'Built-in mitigation',
        'Config',
        'Invariants',
        'Expected cause alarms',
        'Impact budget',
        'Proving-ground scenario',
        'Drill in AWS',
        'Runbook',
      ])
        expect(section, `${mode}: ${label}`).toContain(`- **${label}:**`);
    }
    // Budgets differ by environment: one line each. The drill runs only where failureDrills.enabled.
    const azLoss = page.slice(page.indexOf('### `az-loss`')).split('\n### ')[0];
    expect(azLoss).toMatch(/- \*\*Impact budget:\*\*\n {2}- dev: 5xx <= .*\n {2}- staging: .*\n {2}- prod: /);
    expect(azLoss).toContain('stop alarm `loadbearing-staging-drill-az-loss-stop`');
    expect(azLoss).toMatch(/- dev: `az-loss` \(not here: failureDrills\.enabled is false for dev\)/);
  });
});

describe("drills in the network team's VPC (network.existingVpc)", () => {
  const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const id = (prefix: string, n: number, i: number) => `${prefix}-0${n}${i}${'0'.repeat(14)}`;
  const tier = (n: number) => Object.fromEntries(AZS.map((az, i) => [az, { subnetId: id('subnet', n, i), routeTableId: id('rtb', n, i) }]));
  const existingVpc = {
    vpcId: 'vpc-0123456789abcdef0',
    subnets: { public: tier(1), app: tier(2), data: tier(3) },
    appEgress: { kind: 'nat' as const, natGatewayIds: Object.fromEntries(AZS.map((az, i) => [az, id('nat', 4, i)])) },
  };

  it('az-loss applies but leaves the subnet cut out, and says why; every other drill is whole', () => {
    const config = environment('staging', { network: { existingVpc } } as never);
    const azLoss = drillApplicability('az-loss', config);
    expect(azLoss.applies).toBe(true);
    expect(azLoss.leftOut).toEqual([subnetCutLeftOut(config)]);
    expect(azLoss.reason).toMatch(
      /^3 AZs; left out here: the app-subnet cut \(aws:network:disrupt-connectivity\): network\.existingVpc vpc-0123456789abcdef0/,
    );
    for (const mode of FAILURE_MODE_IDS.filter((m) => m !== 'az-loss')) expect(drillApplicability(mode, config).leftOut, mode).toEqual([]);
    const row = failureModeCatalogue(config).find((r) => r.mode === 'az-loss')!;
    expect(row.drill.leftOut).toEqual(azLoss.leftOut);
    expect(catalogueText(config, failureModeCatalogue(config))).toContain(
      'Left out in this environment: the app-subnet cut (aws:network:disrupt-connectivity)',
    );
  });

  it('keeps the cut with failureDrills.disruptSharedSubnets, and in every built-in environment', () => {
    const optedIn = environment('staging', {
      network: { existingVpc },
      failureDrills: { disruptSharedSubnets: { reason: 'the network team gave these app subnets to this stack alone' } },
    } as never);
    expect(subnetCutLeftOut(optedIn)).toBeUndefined();
    expect(drillApplicability('az-loss', optedIn)).toEqual({ applies: true, reason: '3 AZs', leftOut: [] });
    for (const env of builtinEnvironments()) expect(subnetCutLeftOut(env), env.name).toBeUndefined();
  });
});
