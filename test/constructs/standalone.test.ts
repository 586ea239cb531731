import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../constructs/cache';
import { Database } from '../../constructs/database';
import { Network } from '../../constructs/network';
import { isConfigError } from '../../lib/model/config/config-error';
import { testApp } from '../support/test-app';

const AZS = ['eu-west-1a', 'eu-west-1b'];

function stackWithNetwork() {
  const stack = new Stack(testApp({ templatesOnly: true }), 'Team', { env: { account: '444444444444', region: 'eu-west-1' } });
  Object.defineProperty(stack, 'availabilityZones', { get: () => AZS });
  const network = new Network(stack, 'Network', { availabilityZones: AZS });
  const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc: network.vpc, allowAllOutbound: false });
  return { stack, network, sg };
}

describe('constructs used on their own', () => {
  let template: Template;
  let database: Database;
  beforeAll(() => {
    const { stack, network, sg } = stackWithNetwork();
    database = new Database(stack, 'Db', { vpc: network.vpc, securityGroup: sg, availabilityZones: AZS, settings: { readReplicas: 1 } });
    new Cache(stack, 'Cache', { vpc: network.vpc, securityGroup: sg, availabilityZones: AZS, namePrefix: 'team' });
    template = Template.fromStack(stack);
  });

  it('fill in the platform defaults and keep data protected by default', () => {
    template.resourceCountIs('AWS::RDS::DBInstance', 2);
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Snapshot',
      Properties: { DBInstanceClass: 'db.r7g.large', MultiAZ: true, DBInstanceIdentifier: 'team-db-writer' },
    });
    // Protected by the stack's RollbackGuard, switched on as the create's last step (ADR 0004), also in a team's own stack.
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'team-db-writer', DeletionProtection: Match.absent() });
    template.hasResourceProperties('Custom::RollbackGuard', {
      DbInstanceIdentifiers: [{ Ref: Match.stringLikeRegexp('^DbWriter') }],
      Protection: 'on-after-create',
    });
    template.hasResource('AWS::ElastiCache::ReplicationGroup', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Snapshot',
      Properties: { ReplicationGroupId: 'team-cache', NumCacheClusters: 3 },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/rds/instance/team-db-writer/postgresql' });
    expect(database.maxConnections).toBe(1441);
  });

  it('reject bad settings with the same clear errors as a config file', () => {
    const { stack, network, sg } = stackWithNetwork();
    let error: unknown;
    try {
      new Database(stack, 'Bad', {
        vpc: network.vpc,
        securityGroup: sg,
        availabilityZones: AZS,
        settings: { readReplicas: 99, instanceClass: 'db.t2.micro' },
      });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(/database\.readReplicas = 99\n +rule: the value must be <= 15/);
    expect((error as Error).message).toMatch(
      /database\.instanceClass = "db\.t2\.micro"\n +rule: RDS does not run PostgreSQL 17 on the db\.t2 family/,
    );
  });
});
