import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { violation } from './schema-helpers';

/** The allow-list's path as the docs suggest it: next to the config file. */
export const SUGGESTED_ALLOW_LIST = 'review/allow-replacements.json';

/**
 * How `npx loadbearing-diff` reviews changes to the environments of this config file
 * (docs/reviewing-changes.md). A field of the file, not of an environment: one review covers
 * every environment of the file.
 */
export const reviewSettingsSchema = z
  .strictObject({
    allowReplacements: z
      .string()
      .superRefine((path, ctx) => {
        if (path.trim() === '' || isAbsolute(path) || !path.endsWith('.json')) {
          violation(
            ctx,
            [],
            path,
            "must be the path of a .json file relative to the config file's directory (a path that is the same on every clone)",
            `write it like "${SUGGESTED_ALLOW_LIST}", and create the file with {"allowed": []} (docs/reviewing-changes.md, "The allow-list").`,
          );
        }
      })
      .optional()
      .describe(
        `The allow-list of deliberate replacements (docs/reviewing-changes.md), relative to the config file's directory, e.g. "${SUGGESTED_ALLOW_LIST}". \`--allow-list <file>\` overrides it. @default - none: every loss of data blocks`,
      ),
  })
  .describe('How `npx loadbearing-diff` reviews changes to these environments (docs/reviewing-changes.md).');

export type ReviewSettings = z.output<typeof reviewSettingsSchema>;
