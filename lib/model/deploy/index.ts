// Deploy-time analyses of synthesized templates: re-exports only.
export * from './alarm-delivery';
export * from './create-times';
export * from './intrinsics';
export * from './plan-report';
export * from './policy-evaluation';
export * from './release-alarms';
export * from './release-rollout';
export * from './rollback-plan';
export * from './template';
export * from './transforms';
export * from './user-data-size';
