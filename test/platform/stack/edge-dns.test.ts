import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { isConfigError } from '../../../lib/model/config/config-error';
import { resolveEnvironments } from '../../../lib/model/config/load-config';
import { assemblySummary } from '../../../tools/synth/assembly-summary';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';

const assemblyDir = inject('assemblyDir');
const prodInput = BUILTIN_ENVIRONMENTS.prod!;

function problems(changes: Record<string, unknown>): string[] {
  try {
    resolveEnvironments({ prod: { ...prodInput, ...changes } }, 'test');
    return [];
  } catch (e) {
    if (!isConfigError(e)) throw e;
    return e.problems.map((p) => `${p.path} = ${p.value}: ${p.rule}`);
  }
}

describe('the edge DNS records of prod (dns.hostedZoneId set)', () => {
  let prod: CfnTemplate;
  beforeAll(() => {
    prod = readTemplate(assemblyDir, 'loadbearing-prod');
  });

  it('points the origin name at the ALB and the alias at CloudFront, in the configured zone', () => {
    const records = Object.values(resourcesOfType(prod, 'AWS::Route53::RecordSet')).map((r) => r.Properties!);
    const [albId] = Object.keys(resourcesOfType(prod, 'AWS::ElasticLoadBalancingV2::LoadBalancer'));
    const [cdnId] = Object.keys(resourcesOfType(prod, 'AWS::CloudFront::Distribution'));
    expect(records.map((r) => [r.Name, r.Type]).sort()).toEqual([
      ['origin.prod.loadbearing.example.com.', 'A'],
      ['prod.loadbearing.example.com.', 'A'],
      ['prod.loadbearing.example.com.', 'AAAA'],
    ]);
    for (const r of records) expect(r.HostedZoneId).toBe('Z00000000000000000003');
    const origin = records.find((r) => r.Name === 'origin.prod.loadbearing.example.com.')!;
    expect(origin.AliasTarget).toEqual({
      DNSName: { 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [albId, 'DNSName'] }]] },
      HostedZoneId: { 'Fn::GetAtt': [albId, 'CanonicalHostedZoneID'] },
    });
    const alias = records.find((r) => r.Name === 'prod.loadbearing.example.com.' && r.Type === 'AAAA')!;
    expect(alias.AliasTarget).toMatchObject({
      DNSName: { 'Fn::GetAtt': [cdnId, 'DomainName'] },
      HostedZoneId: { 'Fn::FindInMap': ['AWSCloudFrontPartitionHostedZoneIdMap', { Ref: 'AWS::Partition' }, 'zoneId'] },
    });
    expect(JSON.stringify(prod.Mappings)).toContain('"aws":{"zoneId":"Z2FDTNDATAQYW2"}');
    expect(prod.Outputs?.DnsRecordsToCreate).toBeUndefined();
  });
});

describe('the edge DNS records without a zone', () => {
  let template: CfnTemplate;
  beforeAll(() => {
    template = synthPlatform(environment('prod', { dns: {} })) as CfnTemplate;
  });

  it('creates none and outputs the exact records to create', () => {
    expect(resourcesOfType(template, 'AWS::Route53::RecordSet')).toEqual({});
    const value = JSON.stringify((template.Outputs!.DnsRecordsToCreate as { Value: unknown }).Value);
    expect(value).toContain('origin.prod.loadbearing.example.com A ALIAS ');
    expect(value).toContain('CanonicalHostedZoneID');
    expect(value).toContain('prod.loadbearing.example.com A and AAAA ALIAS ');
    expect(value).toContain('(hosted zone Z2FDTNDATAQYW2)');
  });

  it('says so in one line when synth is done', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dns-summary-'));
    writeFileSync(join(dir, 'loadbearing-prod.template.json'), JSON.stringify(template));
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        artifacts: {
          'loadbearing-prod': { type: 'aws:cloudformation:stack', properties: { templateFile: 'loadbearing-prod.template.json' } },
        },
      }),
    );
    const lines = assemblySummary(dir, dir).filter((l) => l.includes('DnsRecordsToCreate'));
    expect(lines).toEqual([
      'loadbearing-prod: no dns.hostedZoneId, so the stack creates no DNS records: create the ones its output DnsRecordsToCreate lists after the deploy (docs/deploying.md, "DNS for the edge")',
    ]);
  });
});

describe('dns config', () => {
  it('accepts the built-in prod zone', () => {
    expect(problems({})).toEqual([]);
  });

  it.each([
    [{ dns: { hostedZoneId: 'Z123' } }, 'environments.prod.dns.zoneName = (missing): hostedZoneId and zoneName go together'],
    [
      { dns: { hostedZoneId: 'z-lowercase', zoneName: 'loadbearing.example.com' } },
      'environments.prod.dns.hostedZoneId = "z-lowercase": must be a Route 53 hosted zone ID',
    ],
    [
      { dns: { hostedZoneId: 'Z123', zoneName: 'other.example.com' } },
      'environments.prod.edge.originDomainName = "origin.prod.loadbearing.example.com": is not in the hosted zone dns.zoneName (other.example.com)',
    ],
    [{ dns: { hostedZoneId: 'Z123', zoneName: 'Example.COM.' } }, 'environments.prod.dns.zoneName = "Example.COM.": must be a DNS name'],
    [
      { dns: { hostedZoneId: 'Z123', zoneName: 'example.com' }, edge: { enabled: false } },
      'environments.prod.dns.hostedZoneId = "Z123": the stack creates DNS records only for the edge',
    ],
  ])('refuses %j naming the field and the rule', (changes, expected) => {
    expect(problems(changes).join('\n')).toContain(expected);
  });

  it('refuses an alias outside the zone, by its index', () => {
    const found = problems({ edge: { ...prodInput.edge, domainNames: ['prod.loadbearing.example.com', 'www.elsewhere.org'] } });
    expect(found).toContainEqual(
      expect.stringMatching(/^environments\.prod\.edge\.domainNames\[1\] = "www\.elsewhere\.org": is not in the hosted zone/),
    );
  });
});
