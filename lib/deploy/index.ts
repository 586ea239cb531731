// Deploy-time analyses of synthesized templates: re-exports only.
export * from './alarm-delivery';
export * from './intrinsics';
export * from './policy-evaluation';
export * from './template';
