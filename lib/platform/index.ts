// The platform: the stack and the app built from the constructs, the policy gates, the invariants
// plugin. Re-exports only.

export * from './delivery-stack';
export * from './feature-flags';
export * from './invariants-plugin';
export * from './platform-app';
export * from './platform-stack';
export * from './policies';
