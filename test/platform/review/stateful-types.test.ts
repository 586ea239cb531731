import { describe, expect, it } from 'vitest';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import {
  holdsData,
  IDENTITY_ONLY_TYPES,
  isStatefulType,
  PLATFORM_STATEFUL_TYPES,
  SPEC_GAPS,
  specIsStateful,
} from '../../../lib/platform/review/stateful-types';

const spec = loadAwsServiceSpecSync();
const inSpec = (type: string) => spec.lookup('resource', 'cloudFormationType', 'equals', type).length > 0;
const specStateful = spec
  .all('resource')
  .filter((r) => r.isStateful === true)
  .map((r) => r.cloudFormationType);

describe('stateful resource types', () => {
  it('come from the service spec: every type it flags isStateful is stateful here', () => {
    expect(specStateful.length).toBeGreaterThan(20);
    expect(specStateful).toEqual(expect.arrayContaining(['AWS::DynamoDB::Table', 'AWS::EFS::FileSystem', 'AWS::SQS::Queue']));
    expect(specStateful.filter((type) => !isStatefulType(type))).toEqual([]);
  });

  it("include the platform's own data types, which the spec flags today too", () => {
    for (const type of PLATFORM_STATEFUL_TYPES) {
      expect(isStatefulType(type)).toBe(true);
      expect(specIsStateful(type), `${type} is no longer isStateful in the service spec: keep it in PLATFORM_STATEFUL_TYPES`).toBe(true);
    }
  });

  it('add the gaps of the spec (DB proxies, serverless caches...), each a real type with a reason', () => {
    expect(Object.keys(SPEC_GAPS)).toEqual(expect.arrayContaining(['AWS::RDS::DBProxy', 'AWS::RDS::DBProxyEndpoint']));
    for (const [type, reason] of Object.entries(SPEC_GAPS)) {
      expect(inSpec(type), `${type} is not a resource type (typo?)`).toBe(true);
      expect(specIsStateful(type), `the spec now flags ${type}: remove it from SPEC_GAPS`).toBe(false);
      expect(isStatefulType(type)).toBe(true);
      expect(reason.length).toBeGreaterThan(20);
    }
  });

  it('separate data from identity: proxies are guarded against replacement but hold no data to retain', () => {
    for (const type of IDENTITY_ONLY_TYPES) {
      expect(isStatefulType(type)).toBe(true);
      expect(holdsData(type)).toBe(false);
    }
    for (const type of PLATFORM_STATEFUL_TYPES) expect(holdsData(type)).toBe(true);
  });

  it('leave out what can be rebuilt from the template', () => {
    for (const type of [
      'AWS::CloudWatch::Alarm',
      'AWS::EC2::SecurityGroup',
      'AWS::IAM::Role',
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      'Custom::Thing',
    ]) {
      expect(isStatefulType(type)).toBe(false);
    }
    expect(isStatefulType(undefined)).toBe(false);
  });
});
