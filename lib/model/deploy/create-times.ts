/**
 * How long CloudFormation takes to create one resource of a type: an estimate, never a
 * measurement. Nothing here was measured (the project has no AWS account); every row says where
 * its figure comes from, and rows without a published figure say so. docs/deploying.md renders
 * this table ("How long a first create takes").
 */
export interface CreateTime {
  /** Typical minutes from CREATE_IN_PROGRESS to CREATE_COMPLETE. */
  readonly minutes: number;
  /** Where the figure comes from: a page, a public issue, a published measurement, or "no published figure". */
  readonly source: string;
}

const NO_FIGURE = 'no published figure: a single API call that completes in seconds (estimate)';

/** Types with a figure of their own; everything else is DEFAULT_CREATE_TIME. */
export const CREATE_TIMES: Readonly<Record<string, CreateTime>> = {
  'AWS::RDS::DBInstance': {
    minutes: 20,
    source:
      'field reports of 10-40 min (https://github.com/govuk-paas/paas-cf/pull/445, https://github.com/hashicorp/terraform/issues/2886); a Multi-AZ writer at the slow end. A replica starts only when its source is available (https://github.com/terraform-aws-modules/terraform-aws-rds/issues/192)',
  },
  'AWS::RDS::DBProxy': { minutes: 5, source: 'observed > 2.5 min (https://github.com/turbot/steampipe-plugin-aws/pull/1414)' },
  'AWS::RDS::DBProxyTargetGroup': {
    minutes: 5,
    source: 'waits for the target to be AVAILABLE; "after several minutes" when it is not (https://github.com/aws/aws-cdk/issues/8919)',
  },
  'AWS::ElastiCache::ReplicationGroup': {
    minutes: 18,
    source:
      'a Multi-AZ group in a VPC, 1,086 s measured with its teardown (https://github.com/hashicorp/terraform-provider-aws/pull/17320)',
  },
  'AWS::CloudFront::Distribution': {
    minutes: 8,
    source:
      'changes deploy "within 5 minutes" since 2020 (https://aws.amazon.com/blogs/networking-and-content-delivery/slashing-cloudfront-change-propagation-times-in-2020-recent-changes-and-looking-forward/), plus CloudFormation\'s wait for Deployed',
  },
  'AWS::EC2::NatGateway': {
    minutes: 5,
    source: '"can take up to 10 min ... from Pending to Available" (https://github.com/kubernetes/kops/pull/944)',
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    minutes: 4,
    source: 'usually <= 5 min, "sometimes up to 30 minutes" (https://github.com/hashicorp/terraform/issues/24799)',
  },
  'AWS::Lambda::Function': {
    minutes: 1,
    source:
      'created Pending while VPC resources are set up; VPC changes "can take several minutes" (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html)',
  },
  'AWS::EC2::VPCEndpoint': { minutes: 1, source: NO_FIGURE },
  'AWS::WAFv2::WebACL': { minutes: 1, source: 'no published figure (estimate)' },
  'AWS::CloudFormation::Stack': { minutes: 3, source: 'no published figure: the nested stack of a transform (estimate)' },
  'AWS::SecretsManager::RotationSchedule': {
    minutes: 1,
    source:
      'the first rotation is started at create (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-secretsmanager-rotationschedule.html); estimate',
  },
  'Custom::RollbackGuard': {
    minutes: 2,
    source:
      'our own handler: one ModifyDBInstance and one ModifyLoadBalancerAttributes, retried while the writer is still backing up (estimate)',
  },
};

export const DEFAULT_CREATE_TIME: CreateTime = { minutes: 0.5, source: NO_FIGURE };

/** Minutes a resource takes, from its type, and for a group that waits for signals, its CreationPolicy. */
export function createMinutes(
  type: string,
  resource?: { readonly CreationPolicy?: Record<string, unknown>; readonly Properties?: Record<string, unknown> },
): CreateTime {
  if (type === 'AWS::AutoScaling::AutoScalingGroup') {
    const timeout = isoMinutes((resource?.CreationPolicy?.ResourceSignal as { Timeout?: unknown } | undefined)?.Timeout);
    // The group is complete when enough instances signal; typically well inside the timeout.
    if (timeout !== undefined)
      return {
        minutes: Math.min(timeout, 10),
        source: `the instances' boot until they signal, bounded by the CreationPolicy timeout (${timeout} min) (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-creationpolicy.html); estimate`,
      };
    return { minutes: 3, source: 'instances launch; nothing waits for them to boot (estimate)' };
  }
  if (type === 'AWS::CloudFormation::WaitCondition') {
    return { minutes: 1, source: 'completes when its handle is signalled: right after the instances it waits for (estimate)' };
  }
  return CREATE_TIMES[type] ?? DEFAULT_CREATE_TIME;
}

/** `PT13M`, `PT1H30M`, `PT90S` as minutes. */
export function isoMinutes(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(value);
  if (!m || (!m[1] && !m[2] && !m[3])) return undefined;
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) + Number(m[3] ?? 0) / 60;
}

/** The table of docs/deploying.md, "How long a first create takes". */
export function createTimesTable(): string {
  const rows = Object.entries(CREATE_TIMES).map(([type, t]) => `| \`${type}\` | ${t.minutes} | ${linkUrls(t.source)} |`);
  return [
    '| Resource type | Minutes | Source |',
    '| --- | --- | --- |',
    ...rows,
    "| `AWS::AutoScaling::AutoScalingGroup` with a creation policy | the boot until the instances signal, at most 10 (bounded by the policy's timeout) | [CreationPolicy](https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-creationpolicy.html); the boot timeline above |",
    `| every other type | ${DEFAULT_CREATE_TIME.minutes} | ${DEFAULT_CREATE_TIME.source} |`,
    '',
  ].join('\n');
}

/** A source with its bare URLs as numbered links (`[1](https://...)`), so the table cell stays short. */
function linkUrls(text: string): string {
  let n = 0;
  return text.replace(/https:\/\/[^\s,)]+/g, (url) => `[${++n}](${url})`);
}
