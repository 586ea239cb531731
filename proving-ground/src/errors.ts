/** Bad input or a machine that cannot run the proving ground: one line, exit code 2, nothing left running. */
export class ProveInputError extends Error {
  override readonly name = 'ProveInputError';
}
