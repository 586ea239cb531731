import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretValue {
  readonly username?: string;
  readonly password: string;
}

/**
 * Reads Secrets Manager secrets (JSON with `password`, or a plain token) and caches them until
 * told otherwise: a caller that gets an authentication failure calls `invalidate`, and the next
 * read fetches the rotated value. No restart is needed after a rotation.
 */
export class Secrets {
  private readonly cache = new Map<string, Promise<SecretValue>>();

  constructor(private readonly client: SecretsManagerClient) {}

  get(arn: string): Promise<SecretValue> {
    let value = this.cache.get(arn);
    if (!value) {
      value = this.fetch(arn);
      this.cache.set(arn, value);
      value.catch(() => this.cache.delete(arn));
    }
    return value;
  }

  invalidate(arn: string): void {
    this.cache.delete(arn);
  }

  private async fetch(arn: string): Promise<SecretValue> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: arn }));
    const text = out.SecretString;
    if (!text) throw new Error(`secret ${arn} has no SecretString`);
    if (!text.trimStart().startsWith('{')) return { password: text };
    const parsed = JSON.parse(text) as { username?: unknown; password?: unknown };
    if (typeof parsed.password !== 'string') throw new Error(`secret ${arn} has no "password" field`);
    return { username: typeof parsed.username === 'string' ? parsed.username : undefined, password: parsed.password };
  }
}
