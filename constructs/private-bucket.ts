import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';

export interface PrivateBucketProps
  extends Omit<s3.BucketProps, 'removalPolicy' | 'autoDeleteObjects' | 'blockPublicAccess' | 'enforceSSL'> {
  /** @default PROTECT_DATA (retained) */
  readonly protection?: StatefulProtection;
}

/**
 * A bucket the way the platform makes every bucket: private (all public access blocked), TLS
 * only, versioned, encrypted (SSE-S3 unless the caller picks a key: the services that write to
 * these buckets, ALB and CloudFront logging, need it), and retained unless the environment
 * allows destroying data (then emptied on delete).
 */
export function createPrivateBucket(scope: Construct, id: string, props: PrivateBucketProps): s3.Bucket {
  const { protection = PROTECT_DATA, ...bucketProps } = props;
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    versioned: true,
    ...bucketProps,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    removalPolicy: protection.bucketPolicy,
    autoDeleteObjects: protection.bucketPolicy === RemovalPolicy.DESTROY,
  });
}
