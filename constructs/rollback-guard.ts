import { ArnFormat, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge, HELPER_FUNCTION_RULES } from './acknowledge';
import { ROLLBACK_GUARD_HANDLER } from './rollback-guard-handler';

export interface RollbackGuardProps {
  /** DB instances; the guard looks after those with deletion protection (read replicas have none). */
  readonly dbInstances: readonly rds.DatabaseInstanceBase[];
  /** Load balancers with deletion protection. */
  readonly loadBalancers: readonly elbv2.IApplicationLoadBalancer[];
}

/**
 * Lets CloudFormation roll back a failed first create of a stack whose DB instances and ALB
 * have deletion protection.
 *
 * RDS refuses to delete a protected instance ("The database can't be deleted when deletion
 * protection is enabled", https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-deletionprotection),
 * and so does ELB for a protected load balancer, so a rollback of the first create would end in
 * ROLLBACK_FAILED with the DB (fixed identifiers) still there, and the retry would collide with it.
 *
 * This custom resource depends on the protected resources, so CloudFormation creates it right
 * after them and deletes it right before them. On delete it reads its stack's status; only when
 * that is ROLLBACK_IN_PROGRESS (the rollback of a failed CreateStack: a stack that was created
 * successfully never enters it again) it turns deletion protection off, and the rollback then
 * deletes them (the writer with a final snapshot). On a stack delete, an update, or the rollback
 * of an update, it does nothing: protection after a successful create is unchanged.
 *
 * It cannot help when the create fails before the protected resources exist and it has been
 * created (e.g. another resource fails while the DB is still being created): docs/deploying.md,
 * "When the first deploy fails", has the commands for that case.
 *
 * CloudFormation waits for a custom resource's answer for its ServiceTimeout, 3600 s unless set
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_cloudformation.CfnCustomResourceProps.html,
 * "The value must be an integer from 1 to 3600. The default value is 3600 seconds"). The handler
 * always answers within its 10-minute timeout (ROLLBACK_GUARD_HANDLER); should it not (a crash
 * before it can send), CloudFormation gives up after SERVICE_TIMEOUT instead of an hour.
 */
/** How long CloudFormation waits for the guard's answer: the function's 10 minutes and a margin. */
const SERVICE_TIMEOUT = Duration.minutes(15);

/** Whether a DB instance has deletion protection in the template (read replicas do not). */
function hasDeletionProtection(db: rds.DatabaseInstanceBase): boolean {
  return (db.node.defaultChild as rds.CfnDBInstance | undefined)?.deletionProtection === true;
}

export class RollbackGuard extends Construct {
  public readonly handler: lambda.Function;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: RollbackGuardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const dbInstances = props.dbInstances.filter(hasDeletionProtection);
    this.handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      description: 'On a rolled-back first create only: turns off deletion protection so the rollback can delete the DB and ALB',
      timeout: Duration.minutes(10),
      code: lambda.Code.fromInline(ROLLBACK_GUARD_HANDLER),
    });
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudformation:DescribeStacks'],
        resources: [stack.stackId],
      }),
    );
    if (dbInstances.length > 0) {
      this.handler.addToRolePolicy(
        new iam.PolicyStatement({
          // DescribeDBInstances to read the protection back; both take the instance ARN
          // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html).
          actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
          resources: dbInstances.map((db) => stack.formatArn({ service: 'rds', resource: 'db', resourceName: db.instanceIdentifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
        }),
      );
    }
    if (props.loadBalancers.length > 0) {
      this.handler.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyLoadBalancerAttributes'], resources: props.loadBalancers.map((lb) => lb.loadBalancerArn) }),
      );
    }
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.functionArn,
      resourceType: 'Custom::RollbackGuard',
      serviceTimeout: SERVICE_TIMEOUT,
      properties: {
        DbInstanceIdentifiers: dbInstances.map((db) => db.instanceIdentifier),
        LoadBalancerArns: props.loadBalancers.map((lb) => lb.loadBalancerArn),
      },
    });
    for (const protectedResource of [...dbInstances, ...props.loadBalancers]) this.resource.node.addDependency(protectedResource);

    acknowledge(
      this.handler,
      'A deploy-time function outside the request path: it runs only when its custom resource is deleted, calls public AWS APIs, and keeps its logs in its own group.',
      'AwsSolutions::AwsSolutions-L1',
      'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
      ...HELPER_FUNCTION_RULES,
    );
  }
}
