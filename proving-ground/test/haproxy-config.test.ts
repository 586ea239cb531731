import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../src/local-stack/service-stack';
import { haproxyConfig, healthCheckTimings, HAPROXY_MAPPING, localRateRule } from '../src/topology/haproxy-config';
import { TIME_SCALE } from '../src/scale';

const options = {
  port: 18080,
  servers: [
    { name: 'i1', port: 18081 },
    { name: 'i2', port: 18082 },
  ],
  statsSocket: '/tmp/x.sock',
};
const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe('HAProxy configuration from the environment (the ALB and WAF stand-in)', () => {
  it('maps staging: idle timeout, leastconn, scaled health check, the WAF rate rule with the JSON 429', () => {
    const config = environmentConfig('staging');
    const cfg = lines(haproxyConfig(config, options));
    for (const t of ['client', 'server', 'http-keep-alive', 'http-request'])
      expect(cfg).toContain(`timeout ${t} ${config.loadBalancer.idleTimeoutSeconds}s`);
    expect(cfg).toContain('timeout connect 10s');
    expect(cfg).toContain('balance leastconn');
    expect(cfg).toContain('option httpchk GET /healthz');
    expect(cfg).toContain(`timeout check ${config.loadBalancer.healthCheck.timeoutSeconds * 1000}ms`);
    expect(cfg).toContain(
      `default-server check inter ${(config.loadBalancer.healthCheck.intervalSeconds * 1000) / TIME_SCALE}ms fall 3 rise 2`,
    );
    expect(cfg).toContain('retries 0');
    expect(cfg).toContain('server i2 127.0.0.1:18082');
    expect(cfg).toContain('stick-table type ip size 100k expire 30s store http_req_rate(30s)');
    expect(cfg).toContain('http-request track-sc0 src');
    const block = config.waf.blockResponse;
    expect(cfg).toContain(
      `http-request return status ${block.statusCode} content-type application/json string "${block.body.replace(/"/g, '\\"')}" hdr Retry-After ${block.retryAfterSeconds} if { sc_http_req_rate(0) gt ${config.waf.rateLimitPerIp / TIME_SCALE} }`,
    );
    expect(cfg.some((l) => l.startsWith('slowstart') || l.includes(' slowstart '))).toBe(false);
  });

  it('keeps the per-client rate: the 5-minute window and the limit shrink by the same factor', () => {
    const rule = localRateRule(environmentConfig('prod', { waf: { rateLimitPerIp: 3000 } }))!;
    expect(rule).toEqual({ windowSeconds: 300 / TIME_SCALE, limit: 3000 / TIME_SCALE, perSecond: 10 });
  });

  it('has no rate rule where the WAF is off (dev) and uses round robin with slow start when configured', () => {
    const dev = environmentConfig('dev', { loadBalancer: { algorithm: 'round_robin', slowStartSeconds: 60 } });
    expect(localRateRule(dev)).toBeUndefined();
    const cfg = lines(haproxyConfig(dev, options));
    expect(cfg.some((l) => l.startsWith('stick-table'))).toBe(false);
    expect(cfg).toContain('balance roundrobin');
    expect(cfg.find((l) => l.startsWith('default-server'))).toContain(`slowstart ${(60 * 1000) / TIME_SCALE}ms`);
  });

  it('detects a killed target in interval x unhealthy threshold, scaled (+ a scaled timeout of slack); the check timeout itself is not scaled', () => {
    const config = environmentConfig('staging', {
      loadBalancer: { healthCheck: { intervalSeconds: 20, timeoutSeconds: 10, unhealthyThresholdCount: 4 } },
    });
    expect(healthCheckTimings(config)).toEqual({ interMs: 2000, timeoutMs: 10_000, fall: 4, rise: 2, detectionMs: 2000 * 4 + 1000 });
  });

  it('documents every setting it maps, and what does not map', () => {
    const settings = HAPROXY_MAPPING.map((m) => m.setting).join('\n');
    for (const key of [
      'idleTimeoutSeconds',
      'least_outstanding_requests',
      'healthCheck.path',
      'intervalSeconds',
      'timeoutSeconds',
      'unhealthyThresholdCount',
      'slowStartSeconds',
      'deregistrationDelaySeconds',
      'rateLimitPerIp',
      'blockResponse',
    ]) {
      expect(settings).toContain(key);
    }
    expect(HAPROXY_MAPPING.filter((m) => m.setting.startsWith('(does not map)')).length).toBeGreaterThanOrEqual(2);
  });
});
