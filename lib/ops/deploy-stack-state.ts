/**
 * What a stack's status means for `loadbearing deploy`: before the deploy (can it start, and is
 * it a first create) and after it (the verdict). Pure; the statuses are CloudFormation's
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html).
 */

/** Before a deploy: start it (an update or a first create), or stop with one line saying what to do. */
export type StartState = { readonly kind: 'create' } | { readonly kind: 'update' } | { readonly kind: 'blocked'; readonly line: string };

/** `stackName` in `status` (undefined: the stack does not exist). */
export function startState(stackName: string, status: string | undefined): StartState {
  if (status === undefined || status === 'REVIEW_IN_PROGRESS') return { kind: 'create' };
  if (status === 'ROLLBACK_COMPLETE')
    return {
      kind: 'blocked',
      line: `${stackName} is ROLLBACK_COMPLETE: its first create failed and was rolled back, and CloudFormation cannot update such a stack; fix: read why in its events, delete it (\`aws cloudformation delete-stack --stack-name ${stackName}\`) and run deploy again (docs/deploying.md, "When the first deploy fails")`,
    };
  if (status === 'UPDATE_ROLLBACK_FAILED')
    return {
      kind: 'blocked',
      line: `${stackName} is UPDATE_ROLLBACK_FAILED: a rollback could not finish and the stack accepts no update until it does; fix: follow docs/delivering.md, "A stuck rollback" (\`npx cdk rollback ${stackName}\`, with --orphan <LogicalId> for a resource that cannot roll back)`,
    };
  if (status === 'ROLLBACK_FAILED' || status === 'CREATE_FAILED')
    return {
      kind: 'blocked',
      line: `${stackName} is ${status}: its first create failed and its rollback could not delete everything; fix: delete it (\`aws cloudformation delete-stack --stack-name ${stackName}\`, retaining what the events name if it fails again) and run deploy again (docs/deploying.md, "When the first deploy fails")`,
    };
  if (status === 'DELETE_FAILED' || status === 'DELETE_COMPLETE')
    return {
      kind: 'blocked',
      line: `${stackName} is ${status}: a delete of this stack ${status === 'DELETE_FAILED' ? 'failed half-way' : 'completed'}; fix: finish the delete (\`aws cloudformation delete-stack --stack-name ${stackName}\`), then run deploy again to create it`,
    };
  if (status === 'UPDATE_FAILED' || status === 'IMPORT_ROLLBACK_FAILED')
    return {
      kind: 'blocked',
      line: `${stackName} is ${status}: an operation failed without rolling back; fix: roll it back (\`npx cdk rollback ${stackName}\`), then run deploy again`,
    };
  if (status.endsWith('_IN_PROGRESS'))
    return {
      kind: 'blocked',
      line: `${stackName} is ${status}: another operation is running on it; fix: wait until it ends (\`aws cloudformation describe-stacks --stack-name ${stackName}\`), then run deploy again`,
    };
  return { kind: 'update' };
}

/** After a deploy: the stack's final status as a verdict. */
export type EndState =
  | { readonly kind: 'deployed' }
  | { readonly kind: 'rolled-back' }
  | { readonly kind: 'failed'; readonly next: string }
  | { readonly kind: 'running' };

export function endState(stackName: string, status: string | undefined): EndState {
  if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE' || status === 'IMPORT_COMPLETE') return { kind: 'deployed' };
  if (status === 'UPDATE_ROLLBACK_COMPLETE') return { kind: 'rolled-back' };
  if (status === 'ROLLBACK_COMPLETE')
    return {
      kind: 'failed',
      next: `the first create rolled back; delete the stack (\`aws cloudformation delete-stack --stack-name ${stackName}\`) before the next deploy`,
    };
  if (status?.endsWith('_IN_PROGRESS')) return { kind: 'running' };
  return {
    kind: 'failed',
    next:
      status === 'UPDATE_ROLLBACK_FAILED'
        ? `the rollback is stuck: docs/delivering.md, "A stuck rollback" (\`npx cdk rollback ${stackName}\`)`
        : `read the stack events (\`aws cloudformation describe-stack-events --stack-name ${stackName}\`)`,
  };
}

/** One stack event, as DescribeStackEvents returns it. */
export interface StackEventLike {
  readonly EventId?: string;
  readonly Timestamp?: Date;
  readonly LogicalResourceId?: string;
  readonly ResourceType?: string;
  readonly ResourceStatus?: string;
  readonly ResourceStatusReason?: string;
}

/** A line per event: `HH:MM:SS  STATUS  Type  LogicalId  reason`. */
export function eventLine(e: StackEventLike): string {
  const time = e.Timestamp ? e.Timestamp.toISOString().slice(11, 19) : '--:--:--';
  const reason = e.ResourceStatusReason ? `  ${e.ResourceStatusReason.split('\n', 1)[0]}` : '';
  return `${time}  ${(e.ResourceStatus ?? '').padEnd(36)}  ${e.ResourceType ?? ''}  ${e.LogicalResourceId ?? ''}${reason}`;
}

/**
 * Why an operation rolled back or failed, from its events (oldest first): the stack's own reason
 * when it names one (a rollback trigger: "... Rollback triggered by CloudWatch alarm ..."), else
 * the first resource that failed with a reason.
 */
export function failureReason(events: readonly StackEventLike[], stackName: string): string {
  const stackReason = events.find(
    (e) =>
      e.LogicalResourceId === stackName &&
      /ROLLBACK_IN_PROGRESS$/.test(e.ResourceStatus ?? '') &&
      e.ResourceStatusReason &&
      !/^User Initiated$/.test(e.ResourceStatusReason),
  );
  const firstFailed = events.find(
    (e) => e.LogicalResourceId !== stackName && /_FAILED$/.test(e.ResourceStatus ?? '') && e.ResourceStatusReason,
  );
  if (firstFailed && (!stackReason || /resource\(s\) failed/i.test(stackReason.ResourceStatusReason ?? '')))
    return `${firstFailed.LogicalResourceId} (${firstFailed.ResourceType}) ${firstFailed.ResourceStatus}: ${firstFailed.ResourceStatusReason}`;
  if (stackReason) return stackReason.ResourceStatusReason!;
  return 'no event names a reason';
}
