import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { PROXY_PORT } from './database';

export interface SecurityGroupsProps {
  readonly vpc: ec2.IVpc;
  /** Ports the ALB listens on (80, and 443 with a certificate). */
  readonly listenerPorts: readonly number[];
  readonly appPort: number;
  readonly databasePort: number;
  readonly cachePort: number;
  /** Create a group for RDS Proxy between the app and the database. @default false */
  readonly databaseProxy?: boolean;
}

/**
 * One security group per tier, and only the flows the request path needs:
 *
 *     internet --80/443--> alb --appPort--> app --dbPort--> database
 *                                            \--cachePort--> cache
 *
 * Every group denies all other ingress, and egress is explicit too: the ALB may only reach the
 * app port, the data tier may reach nothing. The app may also reach HTTPS endpoints (SSM, S3,
 * package mirrors) for management and boot.
 */
export class SecurityGroups extends Construct {
  public readonly alb: ec2.SecurityGroup;
  public readonly app: ec2.SecurityGroup;
  public readonly database: ec2.SecurityGroup;
  public readonly cache: ec2.SecurityGroup;
  /** RDS Proxy (app -> proxy -> database); undefined without a proxy. */
  public readonly databaseProxy?: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    const { vpc } = props;
    this.alb = new ec2.SecurityGroup(this, 'Alb', { vpc, description: 'ALB: internet on listener ports only', allowAllOutbound: false });
    this.app = new ec2.SecurityGroup(this, 'App', { vpc, description: 'App fleet: ALB on the app port only', allowAllOutbound: false });
    this.database = new ec2.SecurityGroup(this, 'Database', {
      vpc,
      description: 'Database: app fleet on the DB port only',
      allowAllOutbound: false,
    });
    this.cache = new ec2.SecurityGroup(this, 'Cache', {
      vpc,
      description: 'Cache: app fleet on the cache port only',
      allowAllOutbound: false,
    });

    for (const port of props.listenerPorts) {
      this.alb.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `internet to listener ${port}`);
    }
    acknowledge(
      this.alb,
      'An internet-facing ALB must accept the internet, on its listener ports only; WAF rate limits and managed rules filter the traffic.',
      'AwsSolutions::AwsSolutions-EC23',
    );
    // connections.allowFrom adds the ingress rule on the target and the egress rule on the source.
    this.app.connections.allowFrom(this.alb, ec2.Port.tcp(props.appPort), 'ALB to app port');
    this.database.connections.allowFrom(this.app, ec2.Port.tcp(props.databasePort), 'app to database');
    this.cache.connections.allowFrom(this.app, ec2.Port.tcp(props.cachePort), 'app to cache');
    if (props.databaseProxy) {
      this.databaseProxy = new ec2.SecurityGroup(this, 'DatabaseProxy', {
        vpc,
        description: 'RDS Proxy: app fleet on 5432 only',
        allowAllOutbound: false,
      });
      this.databaseProxy.connections.allowFrom(this.app, ec2.Port.tcp(PROXY_PORT), 'app to RDS Proxy');
      // The proxy -> database rule is added by RDS Proxy itself when it binds to the writer.
    }
    this.app.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (SSM, S3) and package mirrors');
  }
}
