import { describe, expect, it } from 'vitest';
import { AppMetrics as Metrics, instanceMetrics } from '@loadbearing/contract';

const env = { APP_STACK_NAME: 'loadbearing-prod', APP_RELEASE: 'r0123456789ab' };

describe('per-AZ metrics (docs/adr/0008-zonal-isolated-impact.md)', () => {
  it('publishes the request metrics again under [Stack, AvailabilityZone] with the per-operation ones, the same values once', () => {
    const m = new Metrics('loadbearing-prod', { properties: { InstanceId: 'i-1' }, random: () => 0.5, availabilityZone: 'us-east-1b' });
    for (const [method, status, ms] of [
      ['GET', 200, 10],
      ['GET', 503, 30],
      ['PUT', 200, 50],
      ['POST', 500, 70],
      ['HEAD', 200, 5],
    ] as const) {
      m.count('Requests');
      if (status >= 500) m.count('ServerErrors');
      m.observe('RequestLatency', ms);
      m.operation(method, status >= 500, ms);
    }
    const doc = JSON.parse(m.flush(0));
    const directives = doc._aws.CloudWatchMetrics;
    expect(directives).toHaveLength(2);
    expect(directives[0].Dimensions).toEqual([['Stack']]);
    // The per-stack series is unchanged: no operation metric in it.
    expect(directives[0].Metrics.map((x: { Name: string }) => x.Name)).not.toContain('ReadRequests');
    expect(directives[1]).toEqual({
      Namespace: 'Loadbearing/App',
      Dimensions: [['Stack', 'AvailabilityZone']],
      Metrics: [
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'ServerErrors', Unit: 'Count' },
        { Name: 'RequestLatency', Unit: 'Milliseconds' },
        { Name: 'ReadRequests', Unit: 'Count' },
        { Name: 'ReadServerErrors', Unit: 'Count' },
        { Name: 'ReadLatency', Unit: 'Milliseconds' },
        { Name: 'WriteRequests', Unit: 'Count' },
        { Name: 'WriteServerErrors', Unit: 'Count' },
        { Name: 'WriteLatency', Unit: 'Milliseconds' },
      ],
    });
    expect(doc).toMatchObject({
      Stack: 'loadbearing-prod',
      AvailabilityZone: 'us-east-1b',
      Requests: 5,
      ServerErrors: 2,
      ReadRequests: 3,
      ReadServerErrors: 1,
      WriteRequests: 2,
      WriteServerErrors: 1,
    });
    expect([...doc.ReadLatency].sort((a: number, b: number) => a - b)).toEqual([5, 10, 30]);
    expect([...doc.WriteLatency].sort((a: number, b: number) => a - b)).toEqual([50, 70]);
    // A quiet interval still carries the per-AZ counters (0), so the alarms read "no faults", not "no data".
    const quiet = JSON.parse(m.flush(1));
    expect(quiet).toMatchObject({ ReadRequests: 0, WriteServerErrors: 0 });
    expect(quiet.ReadLatency).toBeUndefined();
  });

  it('publishes nothing per AZ without an AZ', () => {
    const m = new Metrics('loadbearing-dev', { random: () => 0.5 });
    m.count('Requests');
    m.operation('GET', false, 3);
    const doc = JSON.parse(m.flush(0));
    expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
    expect(doc.AvailabilityZone).toBeUndefined();
    expect(doc.ReadRequests).toBeUndefined();
  });

  it("carries the workers' per-operation counts and latency into the primary's document", () => {
    const worker = new Metrics('loadbearing-prod');
    worker.operation('GET', true, 12);
    worker.operation('DELETE', false, 8);
    const primary = instanceMetrics(env, 'i-1', 'us-east-1a', () => 0.5);
    primary.merge(worker.snapshot());
    const doc = JSON.parse(primary.flush(0));
    expect(doc).toMatchObject({ ReadRequests: 1, ReadServerErrors: 1, WriteRequests: 1, ReadLatency: [12], WriteLatency: [8] });
  });

  it("the instance's document (the primary's) carries the release and the AZ sets", () => {
    const m = instanceMetrics(env, 'i-1', 'us-east-1c', () => 0.5);
    m.count('Requests', 2);
    const dimensions = JSON.parse(m.flush(0))._aws.CloudWatchMetrics.map((d: { Dimensions: string[][] }) => d.Dimensions[0]);
    expect(dimensions).toEqual([['Stack'], ['Stack', 'AvailabilityZone'], ['Stack', 'Release']]);
  });
});
