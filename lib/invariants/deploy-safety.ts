import { alarmDeliveryProblems } from '../deploy/alarm-delivery';
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
];
