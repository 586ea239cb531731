import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface EdgeDnsProps {
  /** The public hosted zone, in the stack's account. @default - no records: the stack outputs them instead */
  readonly zone?: { readonly hostedZoneId: string; readonly zoneName: string };
  /** The name CloudFront reaches the ALB by (covered by the ALB's certificate). @default - the ALB's own DNS name: no record */
  readonly originName?: string;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The distribution's alternate domain names. */
  readonly aliases: readonly string[];
  readonly distribution: cloudfront.IDistribution;
}

/** The construct ID of a record: its name and type (a DNS name is the record's identity). */
const recordId = (name: string, type: string) => `${name.replace(/^\*\./, 'wildcard.').replace(/[^a-z0-9]+/g, '-')}-${type}`;

/**
 * The DNS records the edge needs: the origin name pointing at the ALB (without it, every request
 * CloudFront forwards fails to resolve and users get a 502) and each alternate domain name
 * pointing at the distribution.
 *
 * With a zone, alias records in it: to the ALB through its canonical hosted zone ID (no per-Region
 * table), A only (the ALB is IPv4); to CloudFront (hosted zone Z2FDTNDATAQYW2), A and AAAA (the
 * distribution has IPv6 on). Route 53 accepts an alias to a distribution only for a name that is
 * one of its alternate domain names ("Your distribution must include an alternate domain name that
 * matches the name of the record",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-alias-common.html).
 * A record that already exists in the zone (created by hand before) makes the create fail: delete it first.
 *
 * Without a zone (or for a zone in another account, which CloudFormation cannot write to), the
 * stack outputs the exact records to create (`DnsRecordsToCreate`), and synth says so.
 */
export class EdgeDns extends Construct {
  public readonly records: route53.RecordSet[] = [];
  /** The records to create by hand, when no zone is given. */
  public readonly output?: CfnOutput;

  constructor(scope: Construct, id: string, props: EdgeDnsProps) {
    super(scope, id);
    if (props.zone) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', props.zone);
      if (props.originName) {
        this.records.push(
          new route53.ARecord(this, recordId(props.originName, 'A'), {
            zone,
            recordName: `${props.originName}.`,
            target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(props.loadBalancer)),
          }),
        );
      }
      for (const alias of props.aliases) {
        const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(props.distribution));
        this.records.push(new route53.ARecord(this, recordId(alias, 'A'), { zone, recordName: `${alias}.`, target }));
        this.records.push(new route53.AaaaRecord(this, recordId(alias, 'AAAA'), { zone, recordName: `${alias}.`, target }));
      }
      return;
    }
    const lines: string[] = [];
    if (props.originName) {
      lines.push(
        Fn.join('', [
          `${props.originName} A ALIAS `,
          props.loadBalancer.loadBalancerDnsName,
          ' (hosted zone ',
          props.loadBalancer.loadBalancerCanonicalHostedZoneId,
          ')',
        ]),
      );
    }
    for (const alias of props.aliases) {
      lines.push(
        Fn.join('', [
          `${alias} A and AAAA ALIAS `,
          props.distribution.distributionDomainName,
          ` (hosted zone ${targets.CloudFrontTarget.CLOUDFRONT_ZONE_ID})`,
        ]),
      );
    }
    if (lines.length === 0) return;
    this.output = new CfnOutput(Stack.of(this), 'DnsRecordsToCreate', {
      value: Fn.join('; ', lines),
      description:
        'The DNS records the edge needs, to create in your zone (set dns.hostedZoneId and dns.zoneName to have the stack create them)',
    });
  }
}
