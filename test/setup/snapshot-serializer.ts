// Placeholder: vitest.config.mts lists this setup file, but the scaffold does not ship it,
// so no test can run without it. The stacks branch owns the real serializer (asset-hash
// masking); when both branches merge, keep that version.
export {};
