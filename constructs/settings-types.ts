/**
 * The settings types the constructs take (`settings` props, input form) and hand to their hooks
 * (parsed form, e.g. `createScalingPolicies(asg, settings: FleetSettings)`). Types only: the
 * schemas and the config loader are in `loadbearing/platform`.
 */
export type { AlarmSettings, AlarmSettingsInput } from '../lib/model/config/alarm-settings';
export type { CacheSettings, CacheSettingsInput } from '../lib/model/config/cache-settings';
export type { DatabaseSettings, DatabaseSettingsInput } from '../lib/model/config/database-settings';
export type { ContentClass, EdgeSettings, EdgeSettingsInput } from '../lib/model/config/edge-settings';
export type { FleetSettings, FleetSettingsInput } from '../lib/model/config/fleet-settings';
export type { LoadBalancerSettings, LoadBalancerSettingsInput } from '../lib/model/config/load-balancer-settings';
export type { NetworkSettings, NetworkSettingsInput } from '../lib/model/config/network-settings';
export type { WafSettings, WafSettingsInput } from '../lib/model/config/waf-settings';
export type { NetworkTuning } from '../lib/model/config/workload-profiles';
