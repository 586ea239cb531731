import type { OrderableDBInstanceOption } from '@aws-sdk/client-rds';
import type { PreflightCheck } from './preflight-check.js';
import { databaseInstances, type DatabaseInstanceShape } from './preflight-template.js';

/**
 * Every DB instance class of the template is orderable with its engine version in every configured
 * AZ: RDS DescribeOrderableDBInstanceOptions (Engine, EngineVersion, DBInstanceClass, Vpc), each
 * option listing its `AvailabilityZones`, whether it is `MultiAZCapable` and `ReadReplicaCapable`,
 * and its `StorageType`
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_OrderableDBInstanceOption.html).
 * Class and version come from the template (a replica inherits its writer's engine and version),
 * else from the config's database settings.
 */
export const databaseOrderableCheck: PreflightCheck = {
  id: 'db-orderable',
  check: 'DB class and version in the AZs',
  permissions: ['rds:DescribeOrderableDBInstanceOptions'],
  async run({ env, template, session }) {
    const instances = databaseInstances(template, { engine: 'postgres', engineVersion: env.database.engineVersion });
    if (instances.length === 0) return { status: 'pass', detail: 'the template has no DB instance' };
    const groups = new Map<string, DatabaseInstanceShape[]>();
    for (const i of instances) {
      const key = `${i.engine} ${i.engineVersion} ${i.instanceClass} ${i.storageType ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    }
    const { RDSClient, DescribeOrderableDBInstanceOptionsCommand } = await import('@aws-sdk/client-rds');
    const rds = session.client('rds', env.region, (config) => new RDSClient(config));
    const problems: string[] = [];
    const fine: string[] = [];
    for (const members of groups.values()) {
      const { engine, engineVersion, instanceClass, storageType } = members[0]!;
      const options: OrderableDBInstanceOption[] = [];
      let marker: string | undefined;
      do {
        const m = marker;
        const page = await session.call('rds:DescribeOrderableDBInstanceOptions', (abortSignal) =>
          rds.send(
            new DescribeOrderableDBInstanceOptionsCommand({
              Engine: engine,
              EngineVersion: engineVersion,
              DBInstanceClass: instanceClass,
              Vpc: true,
              MaxRecords: 100,
              Marker: m,
            }),
            { abortSignal },
          ),
        );
        options.push(...(page.OrderableDBInstanceOptions ?? []));
        marker = page.Marker;
      } while (marker);
      const usable = options.filter((o) => !storageType || !o.StorageType || o.StorageType === storageType);
      const what = `${instanceClass} ${engine} ${engineVersion}${storageType ? ` ${storageType}` : ''}`;
      if (usable.length === 0) {
        problems.push(`${what} is not orderable in ${env.region}`);
        continue;
      }
      const zones = new Set(usable.flatMap((o) => (o.AvailabilityZones ?? []).map((z) => z.Name)));
      const missing = env.availabilityZones.filter((z) => !zones.has(z));
      if (missing.length > 0) problems.push(`${what} not in ${missing.join(', ')}`);
      if (members.some((i) => i.multiAz) && !usable.some((o) => o.MultiAZCapable)) problems.push(`${what} is not Multi-AZ capable`);
      if (members.some((i) => i.readReplica) && !usable.some((o) => o.ReadReplicaCapable))
        problems.push(`${what} cannot be a read replica`);
      if (missing.length === 0) fine.push(`${what} (${members.map((i) => i.name).join(', ')})`);
    }
    if (problems.length === 0) return { status: 'pass', detail: `orderable in ${env.availabilityZones.join(', ')}: ${fine.join('; ')}` };
    return {
      status: 'fail',
      detail: problems.join('; '),
      fix: 'choose a database.instanceClass / replicaInstanceClass or database.engineVersion that RDS offers there (`aws rds describe-orderable-db-instance-options --engine postgres --engine-version <v> --region <r>`), or other availabilityZones',
    };
  },
};
