import { describe, expect, it } from 'vitest';
import { runCli } from '../../lib/ops/cli';
import { builtinCommands } from '../../lib/ops/builtin-commands';
import { CommandRegistry } from '../../lib/ops/command';
import { missingSdkClients, sdkInstallLine } from '../../lib/ops/optional-sdk';

describe('the optional AWS SDK clients of the commands that call AWS', () => {
  it('finds the installed clients and names the missing ones', () => {
    expect(missingSdkClients(['@aws-sdk/client-fis', '@aws-sdk/client-nonexistent'])).toEqual(['@aws-sdk/client-nonexistent']);
  });

  it('prints the install line with the ranges the library declares', () => {
    expect(sdkInstallLine(['@aws-sdk/client-ec2', '@aws-sdk/client-sts'])).toBe(
      'npm install --save-dev "@aws-sdk/client-ec2@>=3.1164.0 <4.0.0" "@aws-sdk/client-sts@>=3.1164.0 <4.0.0"',
    );
  });

  it('refuses a command whose client is missing, in one line with the fix, before it does anything (exit 2)', async () => {
    const drill = builtinCommands().get('drill')!;
    const registry = new CommandRegistry().register({ ...drill, sdkClients: ['@aws-sdk/client-fis', '@aws-sdk/client-not-installed'] });
    let stderr = '';
    const code = await runCli(['drill', 'az-loss', '--env', 'staging', '--dry-run'], {
      stdout: { write: () => true },
      stderr: { write: (c: string) => (stderr += c) },
      registry,
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      'loadbearing: error: loadbearing drill calls AWS through @aws-sdk/client-not-installed, which is not installed (optional dependencies of loadbearing); fix: npm install --save-dev @aws-sdk/client-not-installed\n',
    );
  });

  it('declares the clients each command loads', () => {
    const registry = builtinCommands();
    expect(registry.get('drill')!.sdkClients).toEqual(['@aws-sdk/client-fis']);
    expect(registry.get('preflight')!.sdkClients).toContain('@aws-sdk/client-ec2');
    expect(registry.get('zonal-shift')!.sdkClients).toEqual(['@aws-sdk/client-cloudformation', '@aws-sdk/client-ec2']);
  });
});
