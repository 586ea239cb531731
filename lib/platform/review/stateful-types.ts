import { loadResourceModel } from '@aws-cdk/cloudformation-diff/lib/diff/util';

/**
 * The types this platform deploys that hold data (or the keys and secrets to read it). They are
 * stateful whatever the service spec says: the spec is upstream data that changes with every
 * library upgrade, and an upgrade must never silently take the guard off our own database.
 * Today the spec flags every one of them too (a test checks that).
 */
export const PLATFORM_STATEFUL_TYPES: readonly string[] = [
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::CacheCluster',
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::Logs::LogGroup',
];

/**
 * Types the service spec does not flag `isStateful` (checked against @aws-cdk/aws-service-spec
 * 0.1.216), but whose replacement or removal loses data or an identity that clients depend on.
 * Each entry says why, so a reviewer can judge a new one.
 */
export const SPEC_GAPS: Readonly<Record<string, string>> = {
  'AWS::RDS::DBProxy': 'clients connect to its endpoint; a replacement gets a new DNS name, and every connection string breaks',
  'AWS::RDS::DBProxyEndpoint': 'a named proxy endpoint that clients connect to; a replacement changes its DNS name',
  'AWS::RDS::GlobalCluster': 'the global database that owns the cross-region clusters; deleting it detaches or loses them',
  'AWS::ElastiCache::ServerlessCache': 'holds cache data like a replication group does, and snapshots it the same way',
  'AWS::ElastiCache::GlobalReplicationGroup': 'owns the cross-region replication of a replication group',
  'AWS::MemoryDB::Cluster': 'a durable primary database (Redis-compatible), not a cache',
  'AWS::KMS::ReplicaKey': 'a multi-region replica key; losing it makes data encrypted in that region unreadable',
  'AWS::ECR::Repository': 'holds the images the fleet boots; a replacement deletes every image',
  'AWS::MSK::Cluster': 'holds Kafka topics and their messages',
  'AWS::AmazonMQ::Broker': 'holds queued messages',
  'AWS::S3Express::DirectoryBucket': 'holds objects, like AWS::S3::Bucket',
};

/**
 * Stateful types that hold no data of their own: replacing one breaks the clients that know its
 * endpoint, but deleting one loses nothing a DeletionPolicy could keep. The guard blocks their
 * replacement; the retention rules (Retain or Snapshot) do not apply to them.
 */
export const IDENTITY_ONLY_TYPES: readonly string[] = ['AWS::RDS::DBProxy', 'AWS::RDS::DBProxyEndpoint'];

/** Whether a stateful type holds data that a DeletionPolicy of Retain or Snapshot keeps. */
export function holdsData(type: string | undefined): boolean {
  return isStatefulType(type) && !IDENTITY_ONLY_TYPES.includes(type!);
}

const specFlags = new Map<string, boolean>();

/**
 * Whether the service spec flags a type `isStateful`. The lookup goes through
 * @aws-cdk/cloudformation-diff's own lazily loaded copy of the spec (`loadResourceModel`, a
 * documented export of its lib/diff/util module, not of its index): the diff loads that copy
 * anyway, so the review pays the 0.5-1 s load once per process instead of twice. Answers are
 * cached per type.
 */
export function specIsStateful(type: string): boolean {
  let stateful = specFlags.get(type);
  if (stateful === undefined) {
    stateful = loadResourceModel(type)?.isStateful === true;
    specFlags.set(type, stateful);
  }
  return stateful;
}

/**
 * Whether losing a resource of this type loses data: the service spec's `isStateful` flag, plus
 * the platform's own types and the spec's known gaps.
 */
export function isStatefulType(type: string | undefined): boolean {
  if (type === undefined) return false;
  return PLATFORM_STATEFUL_TYPES.includes(type) || type in SPEC_GAPS || specIsStateful(type);
}
