// @loadbearing/proving-ground: the `prove` command (which `loadbearing prove` loads by this
// package's name) and what it is made of. Re-exports only; the local stack is its own entry
// point (@loadbearing/proving-ground/local-stack).
export * from './prove-command';
export * from './scenario-ids';
