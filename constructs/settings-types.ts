/**
 * The settings types the constructs take (`settings` props, input form) and hand to their hooks
 * (parsed form, e.g. `createScalingPolicies(asg, settings: FleetSettings)`). Types only: the
 * schemas and the config loader are in `loadbearing/platform`.
 */
export type { AlarmSettings, AlarmSettingsInput } from '../lib/config/alarm-settings';
export type { CacheSettings, CacheSettingsInput } from '../lib/config/cache-settings';
export type { DatabaseSettings, DatabaseSettingsInput } from '../lib/config/database-settings';
export type { ContentClass, EdgeSettings, EdgeSettingsInput } from '../lib/config/edge-settings';
export type { FleetSettings, FleetSettingsInput } from '../lib/config/fleet-settings';
export type { LoadBalancerSettings, LoadBalancerSettingsInput } from '../lib/config/load-balancer-settings';
export type { NetworkSettings, NetworkSettingsInput } from '../lib/config/network-settings';
export type { WafSettings, WafSettingsInput } from '../lib/config/waf-settings';
export type { NetworkTuning } from '../lib/config/workload-profiles';
