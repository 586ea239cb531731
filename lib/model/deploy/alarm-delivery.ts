import { IntrinsicResolver, type StackEnvironment } from './intrinsics';
import { evaluatePolicy, type PolicyDecision, type RequestPrincipal } from './policy-evaluation';
import type { CfnTemplate } from './template';

/** One way a notification leaves the stack: an alarm's action, or an Auto Scaling group's notification. */
export interface DeliveryRoute {
  /** The alarm or group. */
  readonly source: string;
  readonly kind: 'AlarmActions' | 'OKActions' | 'InsufficientDataActions' | 'NotificationConfigurations';
  /** The topic's logical ID, or the ARN of a topic outside the template. */
  readonly topic: string;
  /** Who publishes: the CloudWatch service, or the Auto Scaling service-linked role. */
  readonly publisher: string;
  /** Whether the publisher gets through the topic policy and, for an encrypted topic, the key policy. */
  readonly delivered: boolean | 'unknown';
  /** Why not, or which statements let it through. */
  readonly detail: string;
}

const CLOUDWATCH = 'cloudwatch.amazonaws.com';
const ALARM_TYPES = new Set(['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']);
const ACTION_FIELDS = ['AlarmActions', 'OKActions', 'InsufficientDataActions'] as const;
/** SNS needs both to publish to an encrypted topic (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). */
const KMS_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * Every notification route in a template and whether its publisher can deliver it:
 * - CloudWatch alarms publish as the service principal `cloudwatch.amazonaws.com`, which only
 *   the topic policy can allow. A topic policy replaces the topic's default policy, so a policy
 *   with only a TLS Deny lets no alarm through; the alarm history then shows "... is not
 *   authorized to perform: SNS:Publish" (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger,
 *   which also shows the Allow statement, narrowed with `aws:SourceArn`).
 * - EC2 Auto Scaling publishes as its service-linked role, whose own policy allows sns:Publish
 *   (https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html);
 *   in the same account that is enough unless the topic policy denies it. Its KMS use must come
 *   from the key policy (a service-linked role's policy cannot be changed).
 * - An encrypted topic needs the key policy to let the publisher generate data keys and decrypt.
 */
export function alarmDeliveryRoutes(template: CfnTemplate, env: StackEnvironment): DeliveryRoute[] {
  const resolver = new IntrinsicResolver(template, env);
  const resources = template.Resources ?? {};
  const partition = env.partition ?? 'aws';
  const routes: DeliveryRoute[] = [];
  for (const [id, resource] of Object.entries(resources).sort(([a], [b]) => a.localeCompare(b))) {
    const p = resource.Properties ?? {};
    if (ALARM_TYPES.has(resource.Type)) {
      const name = resolver.text(p.AlarmName);
      for (const kind of ACTION_FIELDS) {
        for (const action of Array.isArray(p[kind]) ? (p[kind] as unknown[]) : []) {
          const topic = topicOf(action, template, resolver);
          if (!topic) continue; // not an SNS topic: an Auto Scaling or EC2 action
          const context: Record<string, string> = { 'aws:SourceAccount': env.account, 'aws:SecureTransport': 'true' };
          if (name !== undefined) context['aws:SourceArn'] = resolver.alarmArn(name);
          routes.push(
            route(
              id,
              kind,
              topic,
              { kind: 'service', service: CLOUDWATCH },
              CLOUDWATCH,
              context,
              template,
              resolver,
              name === undefined ? 'the alarm has no fixed AlarmName, so aws:SourceArn conditions cannot be checked' : undefined,
            ),
          );
        }
      }
    } else if (resource.Type === 'AWS::AutoScaling::AutoScalingGroup') {
      const role = `arn:${partition}:iam::${env.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
      for (const n of Array.isArray(p.NotificationConfigurations) ? (p.NotificationConfigurations as Record<string, unknown>[]) : []) {
        const topic = topicOf(n.TopicARN, template, resolver);
        if (!topic) continue;
        const context = {
          'aws:PrincipalArn': role,
          'aws:SecureTransport': 'true',
          'kms:ViaService': `sns.${env.region}.amazonaws.com`,
          ...(topic.arn ? { 'kms:EncryptionContext:aws:sns:topicArn': topic.arn } : {}),
        };
        routes.push(
          route(
            id,
            'NotificationConfigurations',
            topic,
            { kind: 'role', arn: role, account: env.account, identityAllows: true },
            'AWSServiceRoleForAutoScaling',
            context,
            template,
            resolver,
          ),
        );
      }
    }
  }
  return routes;
}

/** The routes that cannot deliver, as problems. */
export function alarmDeliveryProblems(template: CfnTemplate, env: StackEnvironment): DeliveryRoute[] {
  return alarmDeliveryRoutes(template, env).filter((r) => r.delivered !== true);
}

interface TopicTarget {
  readonly logicalId?: string;
  readonly arn?: string;
}

function topicOf(value: unknown, template: CfnTemplate, resolver: IntrinsicResolver): TopicTarget | undefined {
  const ref = value !== null && typeof value === 'object' ? (value as { Ref?: unknown }).Ref : undefined;
  if (typeof ref === 'string' && template.Resources?.[ref]?.Type === 'AWS::SNS::Topic')
    return { logicalId: ref, arn: resolver.text(value) };
  const arn = resolver.text(value);
  return arn !== undefined && /^arn:[^:]+:sns:/.test(arn) ? { arn } : undefined;
}

function route(
  source: string,
  kind: DeliveryRoute['kind'],
  topic: TopicTarget,
  principal: RequestPrincipal,
  publisher: string,
  context: Record<string, string>,
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  caveat?: string,
): DeliveryRoute {
  const base = { source, kind, topic: topic.logicalId ?? topic.arn!, publisher };
  if (!topic.logicalId)
    return { ...base, delivered: 'unknown', detail: 'the topic is outside this template: its policies cannot be checked here' };
  const topicArn = topic.arn ?? `arn:aws:sns:::${topic.logicalId}`;
  const topicDecision = topicPolicyDecision(
    topic.logicalId,
    template,
    { principal, action: 'sns:Publish', resource: topicArn, context },
    resolver,
  );
  const keyDecision = keyPolicyDecision(topic.logicalId, template, principal, context, resolver);
  const failed = [topicDecision, keyDecision].find((d) => d.decision !== 'allow');
  if (!failed) return { ...base, delivered: true, detail: `${topicDecision.because}; ${keyDecision.because}` };
  const delivered = failed.decision === 'unknown' ? 'unknown' : false;
  return { ...base, delivered, detail: `${failed.because}${caveat ? ` (${caveat})` : ''}` };
}

function topicPolicyDecision(
  topicId: string,
  template: CfnTemplate,
  request: Parameters<typeof evaluatePolicy>[1],
  resolver: IntrinsicResolver,
): PolicyDecision {
  const policies = Object.entries(template.Resources ?? {}).filter(([, r]) => {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::SNS::TopicPolicy')
      return Array.isArray(p.Topics) && p.Topics.some((t) => (t as { Ref?: string })?.Ref === topicId);
    if (r.Type === 'AWS::SNS::TopicInlinePolicy') return (p.TopicArn as { Ref?: string } | undefined)?.Ref === topicId;
    return false;
  });
  // Without a topic policy the topic keeps its default one, which lets the owner account's
  // principals and CloudWatch publish (the Knowledge Center page above).
  if (policies.length === 0) return { decision: 'allow', because: 'the topic keeps its default policy' };
  if (policies.length > 1)
    return { decision: 'unknown', because: `${policies.length} policies name topic ${topicId}; only the last one applied stays` };
  const [policyId, policy] = policies[0]!;
  const decision = evaluatePolicy(policy.Properties?.PolicyDocument, request, resolver);
  return { ...decision, because: `topic policy ${policyId}: ${decision.because}` };
}

function keyPolicyDecision(
  topicId: string,
  template: CfnTemplate,
  principal: RequestPrincipal,
  context: Record<string, string>,
  resolver: IntrinsicResolver,
): PolicyDecision {
  const keyRef = template.Resources?.[topicId]?.Properties?.KmsMasterKeyId;
  if (keyRef === undefined) return { decision: 'allow', because: 'the topic is not encrypted' };
  const keyId = keyLogicalId(keyRef);
  if (!keyId) {
    const text = resolver.text(keyRef);
    if (text !== undefined && /alias\/aws\/sns$/.test(text)) {
      return {
        decision: 'deny',
        because:
          'the topic is encrypted with the AWS managed key alias/aws/sns, whose policy no publisher outside SNS can use; use a customer managed key',
      };
    }
    return { decision: 'unknown', because: `the topic's key ${JSON.stringify(keyRef)} is outside this template` };
  }
  const keyPolicy = template.Resources?.[keyId]?.Properties?.KeyPolicy;
  // For a role, the account-root statement delegates only to IAM policies, and the Auto Scaling
  // role's policy has no KMS permission: identityAllows is false for KMS.
  const kmsPrincipal: RequestPrincipal = principal.kind === 'role' ? { ...principal, identityAllows: false } : principal;
  for (const action of KMS_ACTIONS) {
    const d = evaluatePolicy(keyPolicy, { principal: kmsPrincipal, action, resource: '*', context }, resolver);
    if (d.decision !== 'allow') return { ...d, because: `key policy of ${keyId} for ${action}: ${d.because}` };
  }
  return { decision: 'allow', because: `key ${keyId} allows ${KMS_ACTIONS.join(' and ')}` };
}

function keyLogicalId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  const att = v['Fn::GetAtt'];
  return Array.isArray(att) && typeof att[0] === 'string' ? att[0] : undefined;
}
