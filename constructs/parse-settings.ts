import type { z } from 'zod';
import { ConfigError, problemsFromZod } from '../lib/model/config/config-error';

/**
 * Validates a construct's `settings` with the same schema the config file uses, and fills in
 * the defaults. A construct used on its own therefore gets the same defaults and the same clear
 * errors as one built from a config file.
 */
export function parseSettings<S extends z.ZodType>(schema: S, input: z.input<S> | undefined, path: string): z.output<S> {
  const result = schema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw new ConfigError(problemsFromZod(result.error.issues, [path], schema), `${path} settings`);
  return result.data;
}
