import { Duration, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { RollbackGuard } from './rollback-guard';
import { databaseSettingsSchema, type DatabaseSettings, type DatabaseSettingsInput } from '../lib/model/config/database-settings';
import { KNOWN_POSTGRES_VERSIONS } from '../lib/model/config/postgres-versions';
import { postgresMaxConnections } from '../lib/model/config/postgres-connections';
import { replicaAvailabilityZone } from '../lib/model/config/capacity';
import { checkedAlarms, type AlarmFactory } from './alarm-factory';
import {
  acknowledgeInstanceFindings,
  acknowledgeProxyRole,
  acknowledgeReplicaFindings,
  acknowledgeSingleAzWriter,
} from './database-acknowledgements';
import { databaseAlarms, type DatabaseAlarmTargets } from './database-alarms';
import { publishConnectionParameters } from './connection-parameters';
import { createEncryptionKey } from './encryption-key';
import { unprotectReplica } from './replica-protection';
import { parseSettings } from './parse-settings';
import { applyCompanionPolicy, applySnapshotPolicy, companionPolicy, PROTECT_DATA, type StatefulProtection } from './stateful-protection';
import { physicalNamePrefix } from './physical-name-prefix';
import { PostgresSingleUserRotation } from './secret-rotation';

/** The master user: owns the schema and runs the migrations; the app never connects as it. */
export const DB_MASTER_USER = 'lb_admin';

/** The role the app connects as (`DB_USER` in app.env), created by the service's migrations. */
export const DB_APP_USER = 'lb_app';

/** RDS Proxy listens on 5432 for PostgreSQL, whatever the DB port. */
export const PROXY_PORT = 5432;

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Security group of the DB instances; clients are allowed in by the caller. */
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * Security group of RDS Proxy (used when `proxy.enabled`); the caller allows clients in and
   * the proxy out to the DB. @default - a new group, allowed into the DB security group
   */
  readonly proxySecurityGroup?: ec2.ISecurityGroup;
  /** Where the writer's standby and the replicas go; replicas are spread over them. */
  readonly availabilityZones: readonly string[];
  /** @default - platform defaults (see the config reference, `database`) */
  readonly settings?: DatabaseSettingsInput;
  /** @default PROTECT_DATA: SNAPSHOT on delete, deletion protection, retained key */
  readonly protection?: StatefulProtection;
  /** Key for the exported PostgreSQL logs. @default - CloudWatch Logs' own encryption */
  readonly logsKey?: kms.IKey;
  /** Creates the database's alarms through this factory. @default - no alarms */
  readonly alarms?: AlarmFactory;
  /**
   * Prefix of the instance identifiers and SSM parameter names.
   * @default - the stack name
   */
  readonly namePrefix?: string;
}

/** What both secret rotations share. */
interface RotationContext {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly settings: DatabaseSettings;
  readonly protection: StatefulProtection;
  readonly logsKey?: kms.IKey;
}

/** Host and port of one endpoint (tokens until deploy). */
export interface DatabaseEndpoint {
  readonly host: string;
  readonly port: string;
}

export type { DatabaseAlarmTargets } from './database-alarms';

/**
 * RDS for PostgreSQL: a Multi-AZ writer and N read replicas spread over the AZs, all in the
 * isolated subnets, encrypted with a customer-managed key.
 *
 * - The master password is generated into Secrets Manager (encrypted with the DB key) and
 *   rotated on a schedule by a function of our own with a pinned runtime
 *   ({@link PostgresSingleUserRotation}). (RDS-managed master passwords cannot be used with
 *   read replicas.)
 * - Optionally, RDS Proxy pools and multiplexes writer connections (TLS and IAM auth).
 * - One parameter group sets the timeouts (`statement_timeout`,
 *   `idle_in_transaction_session_timeout`), the slow-query log and `rds.force_ssl`.
 * - Performance Insights, Enhanced Monitoring, log exports (to pre-created, encrypted log
 *   groups with retention) and automated backups are on.
 * - Writer and reader connection info is published as SSM parameters for the app.
 *
 * Construct IDs of the writer (`Writer`) and replicas (`Replica1`...) are part of the public
 * contract: renaming them replaces the database.
 */
export class Database extends Construct {
  public readonly key: kms.Key;
  public readonly parameterGroup: rds.ParameterGroup;
  public readonly subnetGroup: rds.SubnetGroup;
  public readonly writer: rds.DatabaseInstance;
  public readonly replicas: rds.DatabaseInstanceReadReplica[] = [];
  /** The master user secret, rotated by {@link secretRotationFunction}. Migrations use it. */
  public readonly secret: secretsmanager.ISecret;
  /**
   * The app role's own secret (`lb_app`, `DB_SECRET_ARN`), attached to the writer (so it holds
   * the host for the rotation function) and registered in RDS Proxy's auth. The role itself is
   * created by the app's migrations, with this secret's password.
   */
  public readonly appSecret: secretsmanager.ISecret;
  /**
   * Single-user rotation of {@link appSecret}. Its first rotation runs as soon as it is created and
   * needs the role to exist: make it depend on whatever runs the migrations (PlatformStack: the
   * fleet, whose creation completes only after instances have migrated and signalled).
   */
  public readonly appSecretRotation: secretsmanager.RotationSchedule;
  /** The function (with its role and log group) that rotates {@link secret}. */
  public readonly secretRotationFunction: PostgresSingleUserRotation;
  /** The function (with its role and log group) that rotates {@link appSecret}; its schedule is {@link appSecretRotation}. */
  public readonly appSecretRotationFunction: PostgresSingleUserRotation;
  /** Where migrations connect: the writer instance itself, never the proxy. */
  public readonly migrationEndpoint: DatabaseEndpoint;
  /** RDS Proxy in front of the writer; undefined unless `proxy.enabled`. */
  public readonly proxy?: rds.DatabaseProxy;
  /** Read/write endpoint (the proxy when enabled): transactions and every write. */
  public readonly writerEndpoint: DatabaseEndpoint;
  /** Read-only endpoints, one per replica: reads that tolerate replica lag. */
  public readonly readerEndpoints: DatabaseEndpoint[];
  /** Estimated `max_connections` of the writer (see `postgresMaxConnections`). */
  public readonly maxConnections: number;
  public readonly logGroups: logs.LogGroup[] = [];
  public readonly alarms: cloudwatch.Alarm[];
  public readonly settings: DatabaseSettings;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const settings = (this.settings = parseSettings(databaseSettingsSchema, props.settings, 'database'));
    const protection = props.protection ?? PROTECT_DATA;
    const prefix = physicalNamePrefix(this, props.namePrefix);
    const known = KNOWN_POSTGRES_VERSIONS.get(settings.engineVersion)!;
    const engine = rds.DatabaseInstanceEngine.postgres({
      version: rds.PostgresEngineVersion.of(known.postgresFullVersion, known.postgresMajorVersion),
    });
    this.maxConnections = postgresMaxConnections(settings.instanceClass);

    this.key = createEncryptionKey(this, 'Key', {
      description: `Encrypts ${prefix} database storage, Performance Insights and the master secret`,
      protection,
      encryptsSnapshots: true,
    });
    this.parameterGroup = new rds.ParameterGroup(this, parameterGroupId(engine, settings), {
      engine,
      description: `${prefix} PostgreSQL ${settings.engineVersion}: timeouts, slow-query log, TLS only`,
      parameters: this.parameterValues(settings),
      // Kept with the instances that use it (companionPolicy): a stack delete cannot delete it while they exist.
      removalPolicy: companionPolicy(protection),
    });
    this.subnetGroup = new rds.SubnetGroup(this, 'Subnets', {
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: 'data' },
      description: `${prefix} database subnets (isolated)`,
      removalPolicy: companionPolicy(protection),
    });

    const common = {
      vpc: props.vpc,
      subnetGroup: this.subnetGroup,
      securityGroups: [props.securityGroup],
      port: settings.port,
      parameterGroup: this.parameterGroup,
      storageType: rds.StorageType.GP3,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightRetention: settings.performanceInsightsRetentionDays as rds.PerformanceInsightRetention,
      performanceInsightEncryptionKey: this.key,
      monitoringInterval: Duration.seconds(settings.monitoringIntervalSeconds),
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      iamAuthentication: true,
      deletionProtection: protection.deletionProtection,
    };

    const masterSecret = new rds.DatabaseSecret(this, 'Secret', { username: DB_MASTER_USER, encryptionKey: this.key });
    masterSecret.applyRemovalPolicy(protection.retainPolicy);

    const writerId = `${prefix}-db-writer`;
    this.writer = new rds.DatabaseInstance(this, 'Writer', {
      ...common,
      engine,
      instanceIdentifier: writerId,
      storageEncryptionKey: this.key,
      instanceType: new ec2.InstanceType(settings.instanceClass.replace(/^db\./, '')),
      multiAz: settings.multiAz,
      credentials: rds.Credentials.fromSecret(masterSecret),
      databaseName: settings.databaseName,
      allocatedStorage: settings.allocatedStorageGiB,
      maxAllocatedStorage: settings.maxAllocatedStorageGiB,
      backupRetention: Duration.days(settings.backupRetentionDays),
      // Only the writer upgrades: RDS upgrades in-Region read replicas together with it.
      // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.PostgreSQL.html
      allowMajorVersionUpgrade: settings.allowMajorVersionUpgrade || undefined,
      deleteAutomatedBackups: false,
      copyTagsToSnapshot: true,
      removalPolicy: protection.snapshotPolicy,
    });
    if (!settings.multiAz) acknowledgeSingleAzWriter(this.writer);
    applySnapshotPolicy(this.writer, protection);
    this.keepMonitoringRole(this.writer, protection);
    // Protected from the end of the first create on, so a failed create can still roll back.
    if (protection.deletionProtection) RollbackGuard.of(this).protectDatabase(this.writer);
    this.secret = this.writer.secret!;
    const rotationSecurityGroup = this.createRotationSecurityGroup(props, settings);
    const rotation = { vpc: props.vpc, securityGroup: rotationSecurityGroup, settings, protection, logsKey: props.logsKey };
    this.secretRotationFunction = this.addSecretRotation('SecretRotation', this.secret, rotation);
    const appSecret = new rds.DatabaseSecret(this, 'AppSecret', { username: DB_APP_USER, encryptionKey: this.key });
    appSecret.applyRemovalPolicy(protection.retainPolicy);
    this.appSecret = appSecret.attach(this.writer);
    this.appSecretRotationFunction = this.addSecretRotation('AppSecretRotation', this.appSecret, rotation);
    this.appSecretRotation = this.appSecretRotationFunction.schedule;
    acknowledgeInstanceFindings(this.writer, protection);
    this.preCreateLogGroups('Writer', this.writer, writerId, settings, protection, props.logsKey);

    const replicaClass = settings.replicaInstanceClass ?? settings.instanceClass;
    for (let i = 1; i <= settings.readReplicas; i++) {
      const replicaId = `${prefix}-db-replica-${i}`;
      const replica = new rds.DatabaseInstanceReadReplica(this, `Replica${i}`, {
        ...common,
        sourceDatabaseInstance: this.writer,
        instanceIdentifier: replicaId,
        instanceType: new ec2.InstanceType(replicaClass.replace(/^db\./, '')),
        availabilityZone: replicaAvailabilityZone(i, props.availabilityZones),
        // A replica holds no data of its own; retained (except when its first create is rolled
        // back, so a retry does not meet its fixed identifier), and the diff guard blocks removals.
        removalPolicy: protection.retainPolicy,
      });
      this.preCreateLogGroups(`Replica${i}`, replica, replicaId, settings, protection, props.logsKey);
      acknowledgeInstanceFindings(replica, protection);
      acknowledgeReplicaFindings(replica);
      unprotectReplica(replica, protection);
      this.keepMonitoringRole(replica, protection);
      this.replicas.push(replica);
    }

    if (settings.proxy.enabled) {
      const proxySecurityGroup =
        props.proxySecurityGroup ??
        new ec2.SecurityGroup(this, 'ProxySecurityGroup', { vpc: props.vpc, description: `${prefix} RDS Proxy`, allowAllOutbound: false });
      this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
        dbProxyName: `${prefix}-proxy`,
        proxyTarget: rds.ProxyTarget.fromInstance(this.writer),
        // The app's role and the master user (an operator's session through the proxy).
        secrets: [this.appSecret, this.secret],
        vpc: props.vpc,
        vpcSubnets: { subnetGroupName: 'data' },
        securityGroups: [proxySecurityGroup],
        requireTLS: true,
        iamAuth: settings.proxy.iamAuth,
        borrowTimeout: Duration.seconds(settings.proxy.borrowTimeoutSeconds),
        maxConnectionsPercent: settings.proxy.maxConnectionsPercent,
        maxIdleConnectionsPercent: settings.proxy.maxIdleConnectionsPercent,
        idleClientTimeout: Duration.seconds(settings.proxy.idleClientTimeoutSeconds),
      });
      concretizeProxyIngressPort(props.securityGroup, settings.port);
      acknowledgeProxyRole(this.proxy);
    }

    this.writerEndpoint = this.proxy
      ? { host: this.proxy.endpoint, port: String(PROXY_PORT) }
      : { host: this.writer.dbInstanceEndpointAddress, port: this.writer.dbInstanceEndpointPort };
    this.readerEndpoints = this.replicas.map((r) => ({ host: r.dbInstanceEndpointAddress, port: r.dbInstanceEndpointPort }));
    this.migrationEndpoint = { host: this.writer.dbInstanceEndpointAddress, port: String(settings.port) };
    this.publishConnectionInfo(prefix);
    this.alarms = props.alarms
      ? checkedAlarms(
          this.createAlarms(props.alarms, { writer: this.writer, replicas: this.replicas, proxy: this.proxy, settings }),
          `Database.createAlarms() of ${this.node.path}`,
        )
      : [];
  }

  /** Estimated `max_connections` of the replicas. */
  public get replicaMaxConnections(): number {
    return postgresMaxConnections(this.settings.replicaInstanceClass ?? this.settings.instanceClass);
  }

  /**
   * PostgreSQL parameters of the writer and the replicas. Override to add parameters; call
   * `super.parameterValues` to keep the platform's timeouts and logging. Runs in the
   * constructor: use only the arguments.
   */
  protected parameterValues(settings: DatabaseSettings): Record<string, string> {
    return {
      // Safety ceilings only. The app role's own, shorter timeouts are role defaults set by the
      // service's migrations (ALTER ROLE ... SET), not session SETs: a SET pins the client's
      // RDS Proxy connection to one DB connection for the rest of the session.
      // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html
      statement_timeout: String(settings.statementTimeoutCeilingMs),
      idle_in_transaction_session_timeout: String(settings.idleInTransactionSessionTimeoutCeilingMs),
      log_min_duration_statement: String(settings.logMinDurationStatementMs),
      log_lock_waits: '1',
      'rds.force_ssl': '1',
    };
  }

  /**
   * The database's alarms: every instance (writer and each replica), replica lag, and the
   * proxy when there is one (database-alarms.ts). Override to add or replace signals; call
   * `super.createAlarms` to keep the platform's set. Runs in the constructor: use only the arguments.
   */
  protected createAlarms(factory: AlarmFactory, targets: DatabaseAlarmTargets): cloudwatch.Alarm[] {
    return databaseAlarms(this, factory, targets);
  }

  /** The instance's Enhanced Monitoring role (CDK creates one per instance when monitoring is on) is kept with it. */
  private keepMonitoringRole(instance: rds.DatabaseInstanceBase, protection: StatefulProtection): void {
    const role = instance.node.tryFindChild('MonitoringRole');
    if (role) applyCompanionPolicy(role, protection);
  }

  /** The rotation functions run in the app subnets (they need the Secrets Manager API) and reach the writer on the DB port. */
  private createRotationSecurityGroup(props: DatabaseProps, settings: DatabaseSettings): ec2.SecurityGroup {
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: 'Secret rotation function: the DB port and HTTPS only',
      allowAllOutbound: false,
    });
    props.securityGroup.connections.allowFrom(rotationSecurityGroup, ec2.Port.tcp(settings.port), 'secret rotation to the writer');
    rotationSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager API');
    return rotationSecurityGroup;
  }

  /**
   * Single-user rotation of a user's secret, by a function of our own with a pinned runtime
   * (docs/adr/0003-secret-rotation-function.md): it logs in as the user and changes its own
   * password. Alternating users would give the app a second role (`lb_app_clone`) without the
   * role defaults the migrations set and outside `rds-db:connect`. The schedule stays
   * `<secret>/Rotation`, the construct ID of the hosted rotation it replaced, so its logical ID
   * (and the secret's rotation) carries over in place.
   */
  private addSecretRotation(id: string, secret: secretsmanager.ISecret, o: RotationContext): PostgresSingleUserRotation {
    return new PostgresSingleUserRotation(this, id, {
      secret,
      vpc: o.vpc,
      vpcSubnets: { subnetGroupName: 'app' },
      securityGroup: o.securityGroup,
      automaticallyAfter: Duration.days(o.settings.secretRotationDays),
      logRetention: o.settings.logRetentionDays as logs.RetentionDays,
      logsKey: o.logsKey,
      logRemovalPolicy: o.protection.retainPolicy,
    });
  }

  /** Log groups RDS exports to, created first so they carry our key and retention. */
  private preCreateLogGroups(
    idPrefix: string,
    instance: rds.DatabaseInstanceBase,
    identifier: string,
    settings: DatabaseSettings,
    protection: StatefulProtection,
    logsKey?: kms.IKey,
  ): void {
    for (const log of ['postgresql', 'upgrade']) {
      const group = new logs.LogGroup(this, `${idPrefix}${log === 'postgresql' ? 'Postgresql' : 'Upgrade'}Logs`, {
        logGroupName: `/aws/rds/instance/${identifier}/${log}`,
        retention: settings.logRetentionDays as logs.RetentionDays,
        encryptionKey: logsKey,
        removalPolicy: protection.retainPolicy,
      });
      instance.node.addDependency(group);
      this.logGroups.push(group);
    }
  }

  private publishConnectionInfo(prefix: string): void {
    const params: Record<string, string> = {
      'writer/host': this.writerEndpoint.host,
      'writer/port': this.writerEndpoint.port,
      'reader/hosts': this.readerEndpoints.length > 0 ? this.readerEndpoints.map((e) => e.host).join(',') : this.writerEndpoint.host,
      'secret-arn': this.appSecret.secretArn,
      'migration-secret-arn': this.secret.secretArn,
      name: this.settings.databaseName,
    };
    publishConnectionParameters(this, prefix, 'db', params);
  }
}

/**
 * The parameter group's construct ID. A group's family cannot change (CloudFormation replaces
 * it), and a major upgrade with a custom group needs a group of the new major's family
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html). With
 * `allowMajorVersionUpgrade`, the ID names the family (`ParametersPostgres18`): a new major gets
 * a new group next to the old one, the instances move to it in place, and the old one is deleted
 * after. Without it the ID stays `Parameters`, the logical ID every existing stack has.
 */
function parameterGroupId(engine: rds.IInstanceEngine, settings: DatabaseSettings): string {
  if (!settings.allowMajorVersionUpgrade) return 'Parameters';
  const family = engine.parameterGroupFamily ?? `postgres${settings.engineVersion.split('.')[0]}`;
  return `Parameters${family.charAt(0).toUpperCase()}${family.slice(1).replace(/[^A-Za-z0-9]/g, '')}`;
}

/**
 * Binding the proxy adds a DB ingress rule whose port is the writer's endpoint-port token;
 * policy rules cannot evaluate a token, and the port is known, so the rule gets the number.
 */
function concretizeProxyIngressPort(databaseSecurityGroup: ec2.ISecurityGroup, port: number): void {
  for (const child of databaseSecurityGroup.node.findAll()) {
    if (child instanceof ec2.CfnSecurityGroupIngress && Token.isUnresolved(child.fromPort)) {
      child.fromPort = port;
      child.toPort = port;
    }
  }
}
