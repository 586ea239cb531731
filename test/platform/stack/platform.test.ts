import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { environmentBootTiming } from '../../../lib/model/config/boot-timing';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { WORKLOAD_PROFILES } from '../../../lib/model/config/workload-profiles';
import type { EnvironmentConfig } from '../../../lib/model/config/environment-schema';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../../support/assembly';

const dir = inject('assemblyDir');
const envs = Object.fromEntries(builtinEnvironments().map((e) => [e.name, e])) as Record<'dev' | 'staging' | 'prod', EnvironmentConfig>;
let prod: Template;
let dev: Template;
let prodJson: CfnTemplate;
let devJson: CfnTemplate;

beforeAll(() => {
  prodJson = readTemplate(dir, 'loadbearing-prod');
  devJson = readTemplate(dir, 'loadbearing-dev');
  prod = Template.fromJSON(prodJson);
  dev = Template.fromJSON(devJson);
});

/** The single resource of a type (fails if there is not exactly one). */
function only(template: CfnTemplate, type: string) {
  const found = Object.values(resourcesOfType(template, type));
  expect(found, type).toHaveLength(1);
  return found[0];
}

describe('prod composition (the "done when" counts)', () => {
  it('has 1 ALB, 1 ASG, a Multi-AZ writer and the configured read replicas', () => {
    prod.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    prod.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1);
    const instances = Object.values(resourcesOfType(prodJson, 'AWS::RDS::DBInstance'));
    const writers = instances.filter((i) => i.Properties?.SourceDBInstanceIdentifier === undefined);
    const replicas = instances.filter((i) => i.Properties?.SourceDBInstanceIdentifier !== undefined);
    expect(writers).toHaveLength(1);
    expect(writers[0].Properties).toMatchObject({ MultiAZ: true, Engine: 'postgres', StorageEncrypted: true });
    expect(replicas).toHaveLength(envs.prod.database.readReplicas);
    expect(envs.prod.database.readReplicas).toBeGreaterThanOrEqual(2);
  });

  it('spreads replicas over AZs other than the first', () => {
    const azs = Object.values(resourcesOfType(prodJson, 'AWS::RDS::DBInstance'))
      .map((i) => i.Properties?.AvailabilityZone)
      .filter((az) => az !== undefined);
    expect(azs).toEqual(['us-east-1b', 'us-east-1c']);
  });

  it('has 1 replication group with automatic failover and Multi-AZ', () => {
    const rg = only(prodJson, 'AWS::ElastiCache::ReplicationGroup');
    expect(rg.Properties).toMatchObject({
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      NumCacheClusters: envs.prod.cache.replicasPerShard + 1,
      PreferredCacheClusterAZs: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    });
  });

  it('has at least 15 alarms, every one with an alarm action and the stack prefix (the release alarms of the refresh and the per-AZ composite members apart)', () => {
    // The release alarms and the per-AZ composite members (their composite notifies) apart.
    const alarms = Object.values(resourcesOfType(prodJson, 'AWS::CloudWatch::Alarm')).filter(
      (a) =>
        !String(a.Properties?.AlarmDescription).startsWith('[release] ') &&
        !String(a.Properties?.AlarmDescription).includes('A member of fleet-az-') &&
        !String(a.Properties?.AlarmName).endsWith('-alb-practice-run-outcome'),
    );
    expect(alarms.length).toBeGreaterThanOrEqual(15);
    for (const alarm of alarms) {
      expect((alarm.Properties?.AlarmActions as unknown[]).length, String(alarm.Properties?.AlarmName)).toBeGreaterThan(0);
      expect(alarm.Properties?.AlarmName).toMatch(/^loadbearing-prod-(canary|alb|fleet|app|db|cache|cdn|service)-[a-z0-9-]+$/);
      expect(alarm.Properties?.AlarmDescription).toMatch(/^\[(critical|warning)\] /);
    }
  });
});

describe('network', () => {
  it('spans the configured AZs with public, app and isolated subnets', () => {
    prod.resourceCountIs('AWS::EC2::Subnet', 9);
    dev.resourceCountIs('AWS::EC2::Subnet', 6);
    prod.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
  });

  it('has one NAT gateway per AZ in prod and the configured count in dev', () => {
    prod.resourceCountIs('AWS::EC2::NatGateway', 3);
    dev.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('records all traffic in flow logs and routes S3 through a gateway endpoint', () => {
    prod.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    prod.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({}) });
  });
});

describe('load balancer', () => {
  it('drops invalid headers, mitigates desync, uses the configured idle timeout, logs access', () => {
    const lb = only(prodJson, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const attrs = Object.fromEntries(
      (lb.Properties?.LoadBalancerAttributes as { Key: string; Value: string }[]).map((a) => [a.Key, a.Value]),
    );
    expect(attrs).toMatchObject({
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'routing.http.desync_mitigation_mode': 'defensive',
      'idle_timeout.timeout_seconds': String(envs.prod.loadBalancer.idleTimeoutSeconds),
      'access_logs.s3.enabled': 'true',
    });
    // Switched on last by the RollbackGuard (test/platform/review/retention.test.ts).
    expect(attrs['deletion_protection.enabled']).toBeUndefined();
    expect(lb.Properties?.Scheme).toBe('internet-facing');
  });

  it('serves HTTPS with a certificate and redirects HTTP in prod', () => {
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: envs.prod.loadBalancer.certificateArn }],
    });
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [
        Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', StatusCode: 'HTTP_301' }) }),
      ],
    });
  });

  it('serves plain HTTP without a certificate (dev)', () => {
    dev.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    dev.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  it('has a tuned target group: shallow health check, draining, least outstanding requests', () => {
    const tg = only(prodJson, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    const hc = envs.prod.loadBalancer.healthCheck;
    expect(tg.Properties).toMatchObject({
      Port: envs.prod.app.port,
      HealthCheckPath: hc.path,
      HealthCheckIntervalSeconds: hc.intervalSeconds,
      HealthCheckTimeoutSeconds: hc.timeoutSeconds,
      HealthyThresholdCount: hc.healthyThresholdCount,
      UnhealthyThresholdCount: hc.unhealthyThresholdCount,
    });
    const attrs = Object.fromEntries(
      (tg.Properties?.TargetGroupAttributes as { Key: string; Value: string }[]).map((a) => [a.Key, a.Value]),
    );
    expect(attrs).toMatchObject({
      'load_balancing.algorithm.type': 'least_outstanding_requests',
      'deregistration_delay.timeout_seconds': String(envs.prod.loadBalancer.deregistrationDelaySeconds),
    });
    // AWS rejects slow start together with least outstanding requests.
    expect(attrs['slow_start.duration_seconds']).toBeUndefined();
  });

  it('keeps access logs in an encrypted, private bucket with a lifecycle', () => {
    const buckets = Object.values(resourcesOfType(prodJson, 'AWS::S3::Bucket'));
    const logs = buckets.find((b) => (b.Properties?.LifecycleConfiguration as object | undefined) !== undefined)!;
    expect(logs.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const rule = (logs.Properties?.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules[0];
    expect(rule).toMatchObject({ Status: 'Enabled', ExpirationInDays: envs.prod.loadBalancer.accessLogRetentionDays });
  });
});

describe('app fleet', () => {
  it('launches from a hardened template: IMDSv2 only, encrypted gp3, no SSH key', () => {
    const lt = only(prodJson, 'AWS::EC2::LaunchTemplate');
    const data = lt.Properties?.LaunchTemplateData as Record<string, unknown>;
    expect(data).toMatchObject({
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: envs.prod.fleet.rootVolumeGiB } },
      ],
      InstanceType: 'm7g.large',
      Monitoring: { Enabled: true },
    });
    expect(data.KeyName).toBeUndefined();
  });

  it('grants SSM access instead of SSH', () => {
    prod.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] }),
      ManagedPolicyArns: [
        Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':iam::aws:policy/AmazonSSMManagedInstanceCore'])]) }),
      ],
    });
  });

  it('uses ELB health checks with a grace period and the configured capacity', () => {
    const asg = only(prodJson, 'AWS::AutoScaling::AutoScalingGroup');
    expect(asg.Properties).toMatchObject({
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: environmentBootTiming(envs.prod).gracePeriodSeconds,
      MinSize: String(envs.prod.fleet.minCapacity),
      MaxSize: String(envs.prod.fleet.maxCapacity),
      // Derived: one metric period, because the launch lifecycle hook keeps an instance out of service until its boot saw it healthy (ADR 0007).
      DefaultInstanceWarmup: environmentBootTiming(envs.prod).instanceWarmupSeconds,
    });
    expect((asg.Properties?.VPCZoneIdentifier as unknown[]).length).toBe(3);
  });

  it('tracks CPU and requests per target', () => {
    prod.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
        TargetValue: envs.prod.fleet.cpuTargetPercent,
      }),
    });
    prod.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      TargetTrackingConfiguration: Match.objectLike({
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
        TargetValue: envs.prod.fleet.requestsPerTarget,
      }),
    });
  });

  it('applies the workload profile tuning and the app environment at boot', () => {
    const lt = only(prodJson, 'AWS::EC2::LaunchTemplate');
    const userData = JSON.stringify((lt.Properties?.LaunchTemplateData as Record<string, unknown>).UserData);
    const tuning = WORKLOAD_PROFILES[envs.prod.fleet.workloadProfile].tuning;
    expect(userData).toContain(`net.core.somaxconn = ${tuning.somaxconn}`);
    expect(userData).toContain(`net.ipv4.tcp_keepalive_time = ${tuning.tcpKeepaliveTimeSeconds}`);
    expect(userData).toContain(`net.ipv4.ip_local_port_range = ${tuning.ephemeralPortRange[0]} ${tuning.ephemeralPortRange[1]}`);
    expect(userData).toContain(`nofile ${tuning.fileDescriptors}`);
    expect(userData).toContain(`APP_KEEPALIVE_TIMEOUT_MS=${envs.prod.app.keepAliveTimeoutSeconds * 1000}`);
    expect(userData).toContain(`DB_STATEMENT_TIMEOUT_MS=${envs.prod.database.statementTimeoutMs}`);
    // One worker per vCPU of whichever type is launched; pools are per worker.
    expect(userData).toContain('APP_WORKERS=auto');
    expect(userData).toContain(`APP_MAX_CONNECTIONS_PER_WORKER=${envs.prod.app.maxConnectionsPerWorker}`);
    expect(userData).toContain(`DB_POOL_SIZE=${envs.prod.app.dbPoolSize}`);
  });

  it.each(['dev', 'prod'] as const)(
    'publishes the freshness model to SSM in %s (with or without CloudFront) and lets the app read it',
    (name) => {
      const template = name === 'dev' ? devJson : prodJson;
      const params = Object.entries(resourcesOfType(template, 'AWS::SSM::Parameter')).filter(([, p]) =>
        String(p.Properties?.Name).startsWith(`/loadbearing-${name}/freshness/`),
      );
      expect(params.map(([, p]) => p.Properties?.Name).sort()).toEqual(
        envs[name].edge.freshness.map((c) => `/loadbearing-${name}/freshness/${c.name}`).sort(),
      );
      const pages = envs[name].edge.freshness.find((c) => c.name === 'pages')!;
      expect(JSON.parse(String(params.find(([, p]) => String(p.Properties?.Name).endsWith('/pages'))![1].Properties?.Value))).toEqual({
        pathPattern: '/*',
        cacheable: true,
        edgeTtlSeconds: pages.edgeTtlSeconds,
        appCacheTtlSeconds: pages.appCacheTtlSeconds,
        maxStalenessSeconds: pages.maxStalenessSeconds,
        staleWhileRevalidateSeconds: pages.staleWhileRevalidateSeconds,
        staleIfErrorSeconds: pages.staleIfErrorSeconds,
        invalidation: pages.invalidation,
      });
      const userData = JSON.stringify(
        (only(template, 'AWS::EC2::LaunchTemplate').Properties?.LaunchTemplateData as Record<string, unknown>).UserData,
      );
      expect(userData).toContain(`FRESHNESS_PARAMETER_PATH=/loadbearing-${name}/freshness/`);
      // The app reads the model with one GetParametersByPath on the path (authorized against the path):
      // test/platform/stack/instance-permissions.test.ts checks the grant against every call the service makes.
      const fleetPolicy = JSON.stringify(
        Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((p) =>
          JSON.stringify(p.Properties?.Roles).includes('FleetInstanceRole'),
        ),
      );
      expect(fleetPolicy).toContain(`parameter/loadbearing-${name}/freshness/`);
    },
  );

  it('uses the burstable profile in dev', () => {
    expect((only(devJson, 'AWS::EC2::LaunchTemplate').Properties?.LaunchTemplateData as Record<string, unknown>).InstanceType).toBe(
      't4g.medium',
    );
  });
});

describe('database', () => {
  it('sets timeouts, the slow-query log and TLS in the parameter group', () => {
    const db = envs.prod.database;
    prod.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres17',
      Parameters: {
        statement_timeout: String(db.statementTimeoutCeilingMs),
        idle_in_transaction_session_timeout: String(db.idleInTransactionSessionTimeoutCeilingMs),
        log_min_duration_statement: String(db.logMinDurationStatementMs),
        'rds.force_ssl': '1',
        log_lock_waits: '1',
      },
    });
  });

  it('keeps credentials in Secrets Manager, encrypted with the database key, and encrypts storage with it', () => {
    prod.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"lb_admin"}' }),
    });
    prod.hasResourceProperties('AWS::RDS::DBInstance', {
      MasterUserPassword: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('resolve:secretsmanager')])]),
      }),
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
    });
  });

  it('has Performance Insights, enhanced monitoring, log exports and backups', () => {
    prod.hasResourceProperties('AWS::RDS::DBInstance', {
      EnablePerformanceInsights: true,
      MonitoringInterval: envs.prod.database.monitoringIntervalSeconds,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      BackupRetentionPeriod: envs.prod.database.backupRetentionDays,
      StorageType: 'gp3',
    });
    prod.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/rds/instance/loadbearing-prod-db-writer/postgresql' });
  });

  it('protects prod data: kept on delete, a snapshot on replacement, and deletion protection switched on by the RollbackGuard', () => {
    const [writerId, writer] = Object.entries(resourcesOfType(prodJson, 'AWS::RDS::DBInstance')).find(
      ([, i]) => !i.Properties?.SourceDBInstanceIdentifier,
    )!;
    expect(writer.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(writer.UpdateReplacePolicy).toBe('Snapshot');
    expect(writer.Properties?.DeletionProtection).toBeUndefined();
    const [guard] = Object.values(resourcesOfType(prodJson, 'Custom::RollbackGuard'));
    expect(guard!.Properties?.DbInstanceIdentifiers).toEqual([{ Ref: writerId }]);
  });

  it('lets dev be destroyed, because its config says so explicitly', () => {
    expect(envs.dev.dataProtection.allowDestroy).toBe(true);
    const writer = Object.values(resourcesOfType(devJson, 'AWS::RDS::DBInstance')).find((i) => !i.Properties?.SourceDBInstanceIdentifier)!;
    expect(writer.DeletionPolicy).toBe('Delete');
    expect(writer.Properties?.DeletionProtection).toBe(false);
  });

  it('publishes writer and reader connection info for the app', () => {
    for (const name of ['writer/host', 'writer/port', 'reader/hosts', 'secret-arn']) {
      prod.hasResourceProperties('AWS::SSM::Parameter', { Name: `/loadbearing-prod/db/${name}` });
    }
    const outputs = prodJson.Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['DbWriterEndpoint', 'DbReaderEndpoints']));
  });
});

describe('cache', () => {
  it('encrypts in transit and at rest, with an AUTH token from Secrets Manager', () => {
    const rg = only(prodJson, 'AWS::ElastiCache::ReplicationGroup');
    expect(rg.Properties).toMatchObject({
      Engine: 'valkey',
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      SnapshotRetentionLimit: envs.prod.cache.snapshotRetentionDays,
    });
    expect(JSON.stringify(rg.Properties?.AuthToken)).toContain('{{resolve:secretsmanager:');
    expect([rg.DeletionPolicy, rg.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Snapshot']);
  });

  it('sets the eviction policy explicitly and delivers the slow log', () => {
    prod.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      CacheParameterGroupFamily: 'valkey8',
      Properties: { 'maxmemory-policy': envs.prod.cache.maxmemoryPolicy, 'reserved-memory-percent': '25' },
    });
    const rg = only(prodJson, 'AWS::ElastiCache::ReplicationGroup');
    expect(rg.Properties?.LogDeliveryConfigurations).toEqual([
      expect.objectContaining({ LogType: 'slow-log', DestinationType: 'cloudwatch-logs' }),
    ]);
  });
});

describe('security groups (least privilege)', () => {
  type Rule = { IpProtocol: string; FromPort?: number; ToPort?: number; CidrIp?: string; SourceSecurityGroupId?: unknown };
  function ingressOf(template: CfnTemplate, groupPrefix: string): Rule[] {
    const inline = Object.entries(resourcesOfType(template, 'AWS::EC2::SecurityGroup'))
      .filter(([id]) => id.startsWith(groupPrefix))
      .flatMap(([, sg]) => (sg.Properties?.SecurityGroupIngress as Rule[] | undefined) ?? []);
    const separate = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties?.GroupId).includes(groupPrefix))
      .map((r) => r.Properties as Rule);
    return [...inline, ...separate];
  }
  const from = (rule: Rule) => JSON.stringify(rule.SourceSecurityGroupId ?? rule.CidrIp);

  it('lets the internet reach the ALB on its listener ports only', () => {
    const rules = ingressOf(prodJson, 'SecurityGroupsAlb');
    expect(rules.map((r) => [r.FromPort, r.ToPort, r.CidrIp])).toEqual([
      [80, 80, '0.0.0.0/0'],
      [443, 443, '0.0.0.0/0'],
    ]);
  });

  it('lets only the ALB reach the app, and only the app reach the DB and the cache, each on its port', () => {
    const app = ingressOf(prodJson, 'SecurityGroupsApp');
    expect(app).toHaveLength(1);
    expect(app[0]).toMatchObject({ FromPort: 8080, ToPort: 8080 });
    expect(from(app[0])).toContain('SecurityGroupsAlb');
    const db = ingressOf(prodJson, 'SecurityGroupsDatabase0');
    const dbSource = (r: Rule) => /SecurityGroupsApp|SecurityGroupsDatabaseProxy|DatabaseRotationSecurityGroup/.exec(from(r))?.[0];
    // The app (replicas, and the writer without a proxy), RDS Proxy, and the secret rotation function.
    expect(db.map((r) => [r.FromPort, r.ToPort, dbSource(r)]).sort()).toEqual([
      [5432, 5432, 'DatabaseRotationSecurityGroup'],
      [5432, 5432, 'SecurityGroupsApp'],
      [5432, 5432, 'SecurityGroupsDatabaseProxy'],
    ]);
    const cache = ingressOf(prodJson, 'SecurityGroupsCache');
    expect(cache.map((r) => [r.FromPort, from(r).includes('SecurityGroupsApp')])).toEqual([[6379, true]]);
  });
});

describe('stack settings', () => {
  it('turns on termination protection for prod only', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { properties?: { terminationProtection?: boolean } }>;
    };
    expect(manifest.artifacts['loadbearing-prod'].properties?.terminationProtection).toBe(true);
    expect(manifest.artifacts['loadbearing-staging'].properties?.terminationProtection).toBeFalsy();
  });

  it('targets an explicit account and region, so nothing is looked up', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { environment?: string }>;
      missing?: unknown;
    };
    expect(manifest.artifacts['loadbearing-prod'].environment).toBe('aws://333333333333/us-east-1');
    expect(manifest.missing).toBeUndefined();
  });
});
