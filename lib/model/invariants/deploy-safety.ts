import { alarmDeliveryProblems } from '../deploy/alarm-delivery';
import { planFirstCreate } from '../deploy/rollback-plan';
import { detectionBoundSeconds } from '../deploy/release-alarms';
import { refreshPlan } from '../deploy/release-rollout';
import { ALL_POLICY_PACKS } from '../config/policy-settings';
import type { InvariantRule } from './invariant-rule';

/** Rules on the synthesized template that decide whether a deploy works and can be undone. */
export const DEPLOY_SAFETY_RULES: readonly InvariantRule[] = [
  {
    id: 'DS-1',
    group: 'deploy-safety',
    phase: 'template',
    severity: 'error',
    title: 'Every alarm action and Auto Scaling notification can reach its topic',
    rationale:
      'A topic policy replaces the default one: unless it lets cloudwatch.amazonaws.com publish (and the key policy lets it encrypt), every page and warning is dropped, and only the alarm history says so.',
    checkTemplate({ stackName, template, environment }) {
      if (!template || !environment) return [];
      const problems = alarmDeliveryProblems(template, environment);
      if (problems.length === 0) return [];
      const first = problems[0]!;
      const topics = [...new Set(problems.map((p) => p.topic))];
      return [
        {
          path: '(template)',
          value: `${problems.length} route(s) to ${topics.join(', ')}`,
          message: `${stackName}: ${problems.length} notification route(s) cannot deliver, e.g. ${first.source} ${first.kind} -> ${first.topic} as ${first.publisher}: ${first.detail}`,
          fix: 'let the publisher through the topic policy (allowAlarmsToPublish(topic, alarmNamePrefix) for alarms) and, for an encrypted topic, the key policy.',
        },
      ];
    },
  },
  {
    id: 'DS-2',
    group: 'deploy-safety',
    phase: 'template',
    severity: 'error',
    title: 'A failed first create always rolls back, and can be retried',
    rationale:
      'A create can fail at any resource (an unverified account refuses CloudFront, a quota, a certificate). If its rollback meets a protected DB, a bucket with objects or a retained fixed name, the stack ends in ROLLBACK_FAILED and the retry collides with the leftovers. The `plan` command prints the same analysis.',
    checkTemplate({ stackName, template, environment }) {
      if (!template) return [];
      const plan = planFirstCreate(template, environment);
      if (!plan.strands) return [];
      const stranding = plan.failurePoints.filter((f) => f.blockers.length > 0);
      const first = stranding[0]!;
      const blocker = first.blockers[0]!;
      return [
        {
          path: '(template)',
          value: `${stranding.length} of ${plan.failurePoints.length} failure points`,
          message: `${stackName}: if ${first.failing} fails, the rollback strands on ${blocker.logicalId} (${blocker.type}): ${blocker.reason}`,
          fix: `${blocker.fix} (\`npx loadbearing plan --env <name>\` lists every failure point).`,
        },
      ];
    },
  },
  {
    id: 'DS-3',
    group: 'deploy-safety',
    phase: 'config',
    severity: 'error',
    title: 'A release alarm can fire before the refresh leaves its first checkpoint',
    rationale:
      "The release alarms judge a release while it holds one checkpoint's share of the fleet: if they need longer than the checkpoint delay to fire, a bad release reaches the next share (or everyone) before anything stops it.",
    check(c) {
      const plan = refreshPlan(c.fleet, c.availabilityZones.length);
      if (plan.checkpointPercentages.length < 2) return [];
      const r = c.delivery.releaseAlarms;
      const bound = detectionBoundSeconds(r);
      if (plan.checkpointDelaySeconds >= bound) return [];
      return [
        {
          path: 'fleet.instanceRefresh.checkpointDelaySeconds',
          value: plan.checkpointDelaySeconds,
          message: `a release alarm needs up to (delivery.releaseAlarms.datapointsToAlarm ${r.datapointsToAlarm} + 1) x periodSeconds ${r.periodSeconds} = ${bound} s to fire (the first period may be partial), longer than the checkpoint delay (${plan.checkpointDelaySeconds} s): a bad release would pass its first checkpoint undetected`,
          fix: `raise fleet.instanceRefresh.checkpointDelaySeconds to ${bound} or more, or lower delivery.releaseAlarms.datapointsToAlarm.`,
        },
      ];
    },
  },
  {
    id: 'DS-4',
    group: 'deploy-safety',
    phase: 'config',
    severity: 'error',
    title: 'Production is checked by every policy pack',
    rationale:
      'A finding a smaller environment may skip (policies.packs) is one production still has to answer: prod deploys only what every pack has seen, unless an opt-out says why not.',
    check(c) {
      if (c.stage !== 'prod') return [];
      const missing = ALL_POLICY_PACKS.filter((p) => !c.policies.packs.includes(p));
      if (missing.length === 0) return [];
      return [
        {
          path: 'policies.packs',
          value: c.policies.packs,
          message: `leaves out ${missing.join(', ')} in a prod environment`,
          fix: `leave policies.packs out (all of them), or opt out of DS-4 with the reason (invariants.optOut).`,
        },
      ];
    },
  },
];
