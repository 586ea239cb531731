import { launchTemplatesWithUserData, USER_DATA_LIMIT_BYTES, userDataScript } from '../deploy/user-data-size';
import type { InvariantRule } from './invariant-rule';

/** CloudFormation's per-stack limits, and the share of them the platform allows itself. */
export const CFN_MAX_RESOURCES = 500;
export const CFN_MAX_TEMPLATE_BYTES = 1_000_000;
export const LIMIT_SHARE = 0.8;

export const HARD_LIMIT_RULES: readonly InvariantRule[] = [
  {
    id: 'HL-1',
    group: 'hard-limits',
    phase: 'schema',
    severity: 'error',
    title: 'RDS read replicas <= 15',
    rationale: 'RDS for PostgreSQL allows at most 15 read replicas per source; more fails at deploy time.',
    fields: ['database.readReplicas'],
  },
  {
    id: 'HL-2',
    group: 'hard-limits',
    phase: 'schema',
    severity: 'error',
    title: 'ElastiCache replicas <= 5 per shard',
    rationale: 'A node group holds a primary and at most 5 replicas.',
    fields: ['cache.replicasPerShard'],
  },
  {
    id: 'HL-3',
    group: 'hard-limits',
    phase: 'schema',
    severity: 'error',
    title: 'Instance class and engine version are supported together',
    rationale:
      'RDS runs each PostgreSQL major only on some instance families; an unsupported pair fails at deploy time, after minutes of waiting.',
    fields: ['database.engineVersion', 'database.instanceClass', 'database.replicaInstanceClass', 'cache.engineVersion', 'cache.nodeType'],
  },
  {
    id: 'HL-4',
    group: 'hard-limits',
    phase: 'template',
    severity: 'error',
    title: `Stack resources < ${LIMIT_SHARE * 100}% of ${CFN_MAX_RESOURCES}`,
    rationale: 'A stack that reaches the resource limit cannot take the next fix during an incident; the headroom is for that day.',
    checkTemplate(stats) {
      const limit = CFN_MAX_RESOURCES * LIMIT_SHARE;
      if (stats.resources < limit) return [];
      return [
        {
          path: '(template)',
          value: stats.resources,
          message: `${stats.stackName} has ${stats.resources} resources, ${Math.round((stats.resources / CFN_MAX_RESOURCES) * 100)}% of CloudFormation's ${CFN_MAX_RESOURCES} (the platform allows < ${limit})`,
          fix: 'reduce replicas or alarms, or split a component into a nested stack.',
        },
      ];
    },
  },
  {
    id: 'HL-5',
    group: 'hard-limits',
    phase: 'template',
    severity: 'error',
    title: `Template size < ${LIMIT_SHARE * 100}% of 1 MB`,
    rationale: 'CloudFormation rejects templates over 1 MB; headroom keeps the next change deployable.',
    checkTemplate(stats) {
      const limit = CFN_MAX_TEMPLATE_BYTES * LIMIT_SHARE;
      if (stats.bytes < limit) return [];
      return [
        {
          path: '(template)',
          value: stats.bytes,
          message: `${stats.stackName} template is ${stats.bytes} bytes, ${Math.round((stats.bytes / CFN_MAX_TEMPLATE_BYTES) * 100)}% of CloudFormation's 1 MB (the platform allows < ${limit})`,
          fix: 'reduce repeated resources (alarms, replicas), or split a component into a nested stack.',
        },
      ];
    },
  },
  {
    id: 'HL-6',
    group: 'hard-limits',
    phase: 'template',
    severity: 'error',
    title: 'Launch template user data within 16 KB',
    rationale:
      "EC2 refuses user data over 16 KB (before base64): the fleet's launch template fails at deploy time, after the VPC, the database and the cache were created. Boot commands a subclass adds (AppFleet.bootCommands) count.",
    checkTemplate(stats) {
      if (!stats.template) return [];
      return launchTemplatesWithUserData(stats.template).flatMap(([id, input]) => {
        const bytes = Buffer.byteLength(userDataScript(stats.template!, input));
        if (bytes <= USER_DATA_LIMIT_BYTES) return [];
        return [
          {
            path: `${id} (AppFleet.bootCommands() and the app's boot steps)`,
            value: bytes,
            message: `the user data of ${id} is up to ${bytes} bytes with its deploy-time values at their longest, over EC2's ${USER_DATA_LIMIT_BYTES}`,
            fix: 'move long scripts out of bootCommands() into the release artifact (app.artifact) and call them with one line (a hard limit: acknowledging this finding does not make EC2 accept the template).',
          },
        ];
      });
    },
  },
];
