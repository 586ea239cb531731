import { Tags } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { AppBucket } from 'loadbearing';
import type { PlatformStack } from 'loadbearing/platform';

/**
 * Team example 4: the app's own bucket for user uploads. AppBucket passes every policy gate the
 * platform runs and follows the environment's dataProtection; the fleet may read and write under
 * `uploads/` only. The app learns the bucket's generated name at start-up from an SSM parameter
 * (`/<stack>/team/uploads-bucket`), which the fleet's role may read.
 */
export function addUploadsBucket(stack: PlatformStack): AppBucket {
  const uploads = new AppBucket(stack, 'Uploads', {
    purpose: 'user uploads',
    accessLogsBucket: stack.loadBalancer.accessLogsBucket,
    noncurrentVersionDays: 14,
  });
  uploads.grantObjects(stack.fleet.role, 'read-write', 'uploads/');
  const name = new ssm.StringParameter(stack, 'UploadsBucketName', {
    parameterName: `/${stack.stackName}/team/uploads-bucket`,
    stringValue: uploads.bucket.bucketName,
    description: 'The uploads bucket of the app (read at start-up)',
  });
  name.grantRead(stack.fleet.role);
  // The team's own rule (team-rules.ts) wants every bucket classified: the platform's log
  // buckets are internal, the uploads are customer content.
  Tags.of(stack).add('data-class', 'internal');
  Tags.of(uploads.bucket).add('data-class', 'customer-content');
  return uploads;
}
