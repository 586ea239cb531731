export * from './cached-cloudformation-validate';
export * from './cached-plugin';
export * from './control-tower-guard';
export * from './pack-selection';
export * from './policy-packs';
export * from './validation-cache';
