import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPONENTS, componentOrder, parseAlarmName, parseDbRole, parseSeverity, stackPrefix } from '../../lib/ops/alarm-naming.js';

const prefix = stackPrefix('loadbearing-prod');

describe('parseAlarmName (ADR 0001: <stack>-<component>-<signal>)', () => {
  it.each([
    ['loadbearing-prod-db-replica-1-lag', 'db', 'replica-1-lag'],
    ['loadbearing-prod-alb-5xx-rate', 'alb', '5xx-rate'],
    ['loadbearing-prod-cdn-origin-latency', 'cdn', 'origin-latency'],
    ['loadbearing-prod-fleet-cpu', 'fleet', 'cpu'],
    ['loadbearing-prod-cache-evictions', 'cache', 'evictions'],
    ['loadbearing-prod-service-health', 'service', 'health'],
    ['loadbearing-prod-queue-depth', 'other', 'queue-depth'],
    ['someone-else-alb-5xx', 'other', 'someone-else-alb-5xx'],
  ])('%s -> %s / %s', (name, component, signal) => {
    expect(parseAlarmName(name, prefix)).toEqual({ component, signal });
  });

  it('finds every known component whatever the signal', () => {
    fc.assert(
      fc.property(fc.constantFrom(...COMPONENTS), fc.stringMatching(/^[a-z0-9]+(-[a-z0-9]+)*$/), (component, signal) => {
        expect(parseAlarmName(`${prefix}${component}-${signal}`, prefix)).toEqual({ component, signal });
      }),
    );
  });

  it('orders components along the request path, other last', () => {
    const sorted = ['other', 'service', 'db', 'app', 'cdn', 'cache', 'fleet', 'alb'].sort(
      (a, b) => componentOrder(a as never) - componentOrder(b as never),
    );
    expect(sorted).toEqual(['cdn', 'alb', 'fleet', 'app', 'db', 'cache', 'service', 'other']);
  });
});

describe('parseSeverity', () => {
  it.each([
    ['[critical] 5xx rate above 1% for 3 minutes', 'critical'],
    ['  [CRITICAL] upper case still pages', 'critical'],
    ['[warning] replica lag above 30 s', 'warning'],
    ['no prefix at all', 'warning'],
    ['mentions [critical] later', 'warning'],
    [undefined, 'warning'],
  ])('%j -> %s', (description, severity) => {
    expect(parseSeverity(description)).toBe(severity);
  });
});

describe('parseDbRole', () => {
  it.each([
    ['writer-cpu', { role: 'writer' }],
    ['replica-2-lag', { role: 'replica', replica: 2 }],
    ['proxy-borrow-latency', { role: 'proxy' }],
    ['cpu', { role: 'unknown' }],
    ['writers-cpu', { role: 'unknown' }],
  ])('%s', (signal, role) => {
    expect(parseDbRole(signal)).toEqual(role);
  });
});

describe('drill stop alarms', () => {
  it('parse as the drill component, after the request path, and are warnings that do not fail a gate', () => {
    expect(parseAlarmName('loadbearing-staging-drill-az-loss-stop', 'loadbearing-staging-')).toEqual({
      component: 'drill',
      signal: 'az-loss-stop',
    });
    expect(componentOrder('drill')).toBeGreaterThan(componentOrder('service'));
    expect(componentOrder('drill')).toBeLessThan(componentOrder('other'));
    expect(parseSeverity('[warning] Drill az-loss stop condition: ...')).toBe('warning');
  });
});
