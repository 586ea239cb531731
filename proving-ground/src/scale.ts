import { fleetWorkers, type EnvironmentConfig } from 'loadbearing/model';

/**
 * How one environment is shrunk to fit one 2-core machine. Two factors, both documented in
 * docs/proving-ground.md:
 *
 * - **Time**: durations measured in minutes or tens of seconds in AWS (the WAF's 5-minute rate
 *   window, health-check intervals, the deregistration delay, the writer failover, the recovery
 *   bounds) run {@link TIME_SCALE} times faster, so a scenario fits in half a minute. Rates are
 *   not scaled: a client allowed 2000 requests per 5 minutes is allowed 200 per 30 seconds,
 *   the same 6.7 requests per second. Per-request timeouts (request, cache, statement, pool
 *   wait, idle and keep-alive) are not scaled either: they are what the scenarios measure.
 * - **Fleet**: one service instance per Availability Zone, so losing an AZ loses the same share
 *   of the fleet as in AWS, each with the workers its instance size runs. Pool sizes, timeouts
 *   and shedding bounds per worker are the environment's own.
 */
export const TIME_SCALE = 10;

/** `seconds` of AWS time in local milliseconds. */
export function scaledMs(seconds: number): number {
  return Math.round((seconds * 1000) / TIME_SCALE);
}

/** The WAF rate-based rule's window: 5 minutes in AWS (fixed by the service). */
export const WAF_WINDOW_SECONDS = 300;

/** Service instances the proving ground runs for `config`: one per Availability Zone. */
export function localInstances(config: EnvironmentConfig): number {
  return config.availabilityZones.length;
}

/**
 * Worker processes of each local instance: as many as the environment's instance size runs (its
 * vCPUs with app.workers "auto"; the most, where the profile's types differ), never this machine's.
 */
export function localWorkers(config: EnvironmentConfig): number {
  return fleetWorkers(config).max;
}

/** Instances lost with one AZ: the AZ's share of the local fleet. */
export function instancesPerAz(config: EnvironmentConfig): number {
  return Math.ceil(localInstances(config) / config.availabilityZones.length);
}

/**
 * The AZ name of local instance `index`: the instances are spread over the environment's AZs in
 * order, an AZ's share together (the first AZ's share is the one az-loss kills). The service
 * publishes its per-AZ metrics under it (APP_AVAILABILITY_ZONE), as the fleet does from metadata.
 */
export function localInstanceAz(config: EnvironmentConfig, index: number): string {
  const azs = config.availabilityZones;
  return azs[Math.min(azs.length - 1, Math.floor(index / instancesPerAz(config)))]!;
}

/** RDS Multi-AZ failover takes "typically 60-120 seconds" (AWS); the local writer stays down for the lower end, scaled. */
export const FAILOVER_SECONDS = 60;
