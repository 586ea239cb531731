import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { azMetricsDirective, fetchAvailabilityZone, operationOf } from '../src/metrics';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A local stand-in for IMDSv2: a PUT for a token, then the item with that token; anything else 401. */
async function imds(answer: string, options: { delayMs?: number } = {}): Promise<string> {
  server = createServer((req, res) => {
    const reply = () => {
      if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
        res.end('tok-1');
      } else if (
        req.method === 'GET' &&
        req.url === '/latest/meta-data/placement/availability-zone' &&
        req.headers['x-aws-ec2-metadata-token'] === 'tok-1'
      ) {
        res.end(answer);
      } else {
        res.statusCode = 401;
        res.end();
      }
    };
    if (options.delayMs) setTimeout(reply, options.delayMs);
    else reply();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the per-AZ helpers of the contract', () => {
  it('reads the AZ name from instance metadata with a session token', async () => {
    expect(await fetchAvailabilityZone(2000, await imds('eu-west-1b'))).toBe('eu-west-1b');
  });

  it('gives no AZ when metadata is slow, absent or answers something else', async () => {
    expect(await fetchAvailabilityZone(100, await imds('eu-west-1b', { delayMs: 1000 }))).toBe('');
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await fetchAvailabilityZone(500, 'http://127.0.0.1:9')).toBe('');
    expect(await fetchAvailabilityZone(2000, await imds('<html>oops</html>'))).toBe('');
  });

  it('sorts methods into read and write', () => {
    expect(['GET', 'head', 'OPTIONS'].map(operationOf)).toEqual(['read', 'read', 'read']);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].map(operationOf)).toEqual(['write', 'write', 'write', 'write']);
  });

  it("builds the AZ directive of a team's own EMF document from the members it has", () => {
    expect(azMetricsDirective('', ['Requests'])).toBeUndefined();
    expect(azMetricsDirective('eu-west-1a', ['Requests', 'ServerErrors', 'Other'])).toEqual({
      Namespace: 'Loadbearing/App',
      Dimensions: [['Stack', 'AvailabilityZone']],
      Metrics: [
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'ServerErrors', Unit: 'Count' },
      ],
    });
  });
});
