import { ArnFormat, Aspects, CfnResource, CustomResource, Duration, Lazy, Stack, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge, HELPER_FUNCTION_RULES } from './acknowledge';
import { ROLLBACK_GUARD_HANDLER } from './rollback-guard-handler';

/** How long CloudFormation waits for the guard's answer: the function's 15 minutes and a margin. */
const SERVICE_TIMEOUT = Duration.minutes(16);

/**
 * Deletion protection, switched on last: the one way a stack can have RDS and ALB deletion
 * protection and still roll back a failed first create, whatever fails and whenever
 * (docs/adr/0004-deletion-protection-switched-on-last.md).
 *
 * RDS refuses to delete a protected instance ("The database can't be deleted when deletion
 * protection is enabled", https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-deletionprotection),
 * and so does ELB, so a rollback that reaches a protected resource ends in ROLLBACK_FAILED. A
 * guard that depends on the protected resources is created only after them and cannot help when
 * something else fails while they exist (CloudFront, a certificate, the cache), and a guard created
 * before them is deleted after them (CloudFormation deletes in reverse dependency order).
 *
 * So the protected resources are created unprotected (their template leaves the setting out), and
 * this custom resource, which depends on every other resource of the stack, switches protection on
 * as the create's very last step. Until then a rollback deletes them like anything else; from then
 * on nothing else can fail. On its own delete it lifts protection only while the stack is
 * ROLLBACK_IN_PROGRESS (a rolled-back CreateStack, e.g. by a rollback trigger); on a stack delete
 * or an update protection stays.
 *
 * Why a template that leaves the setting out never unprotects a deployed resource: CloudFormation's
 * RDS handler sends DeletionProtection in ModifyDBInstance only when the template's value changed
 * (`diff(previous, desired)`, and an absent desired value is not sent:
 * https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-rds, aws-rds-dbinstance
 * Translator.modifyDbInstanceRequest), and a load balancer attribute removed from the template is
 * left as it is (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/554,
 * https://github.com/aws/aws-cdk/issues/9975). A template value of `false` would be sent: the diff
 * guard blocks a change from true to false.
 */
export class RollbackGuard extends Construct {
  /** The stack's guard: created at the stack's root (construct ID `RollbackGuard`) on first use. */
  public static of(scope: IConstruct): RollbackGuard {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild('RollbackGuard') as RollbackGuard | undefined) ?? new RollbackGuard(stack, 'RollbackGuard');
  }

  public readonly handler: lambda.Function;
  public readonly resource: CustomResource;
  private readonly dbInstances: rds.DatabaseInstanceBase[] = [];
  private readonly loadBalancers: elbv2.IApplicationLoadBalancer[] = [];

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.handler = new lambda.Function(this, 'Handler', {
      // Pinned, and listed in lib/model/config/lambda-runtimes.ts, whose test fails months before Lambda blocks it.
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      description: 'Switches deletion protection on as the last step of a create; off again only when that create rolls back',
      timeout: Duration.minutes(15),
      code: lambda.Code.fromInline(ROLLBACK_GUARD_HANDLER),
    });
    this.handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }));
    // DescribeDBInstances and ModifyDBInstance take the instance ARN
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html).
    const dbArns = Lazy.list({
      produce: () =>
        this.dbInstances.map((db) =>
          stack.formatArn({
            service: 'rds',
            resource: 'db',
            resourceName: db.instanceIdentifier,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
    });
    const albArns = Lazy.list({ produce: () => this.loadBalancers.map((lb) => lb.loadBalancerArn) });
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'], resources: dbArns }),
    );
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyLoadBalancerAttributes'], resources: albArns }),
    );
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.functionArn,
      resourceType: 'Custom::RollbackGuard',
      serviceTimeout: SERVICE_TIMEOUT,
      properties: {
        DbInstanceIdentifiers: Lazy.list({ produce: () => this.dbInstances.map((db) => db.instanceIdentifier) }),
        LoadBalancerArns: albArns,
        // Create and Update switch protection on; older guards only acted on delete.
        Protection: 'on-after-create',
      },
    });
    Aspects.of(stack).add(new WaitForEverything(this));

    acknowledge(
      this.handler,
      'A deploy-time function outside the request path: it runs when its custom resource is created, updated or deleted, calls public AWS APIs, and keeps its logs in its own group.',
      'AwsSolutions::AwsSolutions-L1',
      'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
      ...HELPER_FUNCTION_RULES,
    );
  }

  /**
   * Leaves the instance's DeletionProtection out of the template and switches it on at the end of
   * the create instead (and off if that create rolls back).
   */
  public protectDatabase(instance: rds.DatabaseInstanceBase): void {
    const cfn = instance.node.defaultChild as rds.CfnDBInstance;
    cfn.deletionProtection = undefined;
    this.dbInstances.push(instance);
    acknowledge(
      instance,
      "Deletion protection is switched on by the stack's RollbackGuard as the last step of the first create (and is never left out of a deployed instance): docs/adr/0004-deletion-protection-switched-on-last.md.",
      'AwsSolutions::AwsSolutions-RDS10',
      'NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled',
      'cdk-validator-cfnguard::rds_instance_deletion_protection_enabled_check',
    );
  }

  /** The same for a load balancer (the `deletion_protection.enabled` attribute). */
  public protectLoadBalancer(loadBalancer: elbv2.ApplicationLoadBalancer): void {
    loadBalancer.removeAttribute('deletion_protection.enabled');
    this.loadBalancers.push(loadBalancer);
    acknowledge(
      loadBalancer,
      "Deletion protection is switched on by the stack's RollbackGuard as the last step of the first create: docs/adr/0004-deletion-protection-switched-on-last.md.",
      'NIST.800.53.R5::NIST.800.53.R5-ELBDeletionProtectionEnabled',
      'cdk-validator-cfnguard::elbv2_deletion_protection_enabled_check',
    );
  }
}

/**
 * Makes the guard's custom resource depend on every other resource of its stack, so that it is
 * created last and deleted first.
 */
class WaitForEverything implements IAspect {
  constructor(private readonly guard: RollbackGuard) {}

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || Stack.of(node) !== Stack.of(this.guard)) return;
    // Its own handler, role and policies too: created before it, deleted after it.
    if (node.node.scopes.includes(this.guard.resource)) return;
    this.guard.resource.node.addDependency(node);
  }
}
