// `loadbearing/platform`: the platform layer and the model it builds on. Re-exports only.
export * from './model';
export * from './platform';
