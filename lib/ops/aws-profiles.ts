import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The shared AWS config files the SDK reads, honouring AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE. */
export function awsConfigFiles(env: NodeJS.ProcessEnv): { config: string; credentials: string } {
  const home = env.HOME ?? homedir();
  return {
    config: env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'),
  };
}

/**
 * Whether a profile has a section in either file: `[profile <name>]` (or `[<name>]`) in the config
 * file, `[<name>]` in the credentials file
 * (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html). Only to word an error: the
 * SDK itself resolves the profile.
 */
export function awsProfileDefined(name: string, env: NodeJS.ProcessEnv): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const section = new RegExp(`^\\s*\\[\\s*(profile\\s+)?${escaped}\\s*\\]`, 'm');
  return Object.values(awsConfigFiles(env)).some((file) => {
    try {
      return existsSync(file) && section.test(readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** The profile names of both files, sorted (for "pass one of" in an error). */
export function awsProfileNames(env: NodeJS.ProcessEnv): string[] {
  const names = new Set<string>();
  const { config, credentials } = awsConfigFiles(env);
  for (const [file, isConfig] of [
    [config, true],
    [credentials, false],
  ] as const) {
    let text = '';
    try {
      text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^\s*\[\s*([^\]]+?)\s*\]/gm)) {
      const section = m[1]!;
      // In the config file, profiles are `[default]` and `[profile <name>]`; other sections (sso-session, services) are not profiles.
      if (!isConfig) names.add(section);
      else if (section === 'default') names.add(section);
      else if (section.startsWith('profile ')) names.add(section.slice('profile '.length).trim());
    }
  }
  return [...names].sort();
}
