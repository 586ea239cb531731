import { Tags } from 'aws-cdk-lib';
import { AppBucket } from 'loadbearing';
import type { PlatformStack } from 'loadbearing/platform';

/**
 * Team example 4: the app's own bucket for user uploads. AppBucket passes every policy gate the
 * platform runs; the fleet may read and write under `uploads/` only, and the app finds the
 * bucket through its environment.
 */
export function addUploadsBucket(stack: PlatformStack): AppBucket {
  const uploads = new AppBucket(stack, 'Uploads', {
    purpose: 'user uploads',
    accessLogsBucket: stack.loadBalancer.accessLogsBucket,
    noncurrentVersionDays: 14,
  });
  uploads.grantObjects(stack.fleet.role, 'read-write', 'uploads/');
  // The team's own rule (team-rules.ts) wants every bucket classified: the platform's log
  // buckets are internal, the uploads are customer content.
  Tags.of(stack).add('data-class', 'internal');
  Tags.of(uploads.bucket).add('data-class', 'customer-content');
  return uploads;
}
