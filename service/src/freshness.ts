import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from './log';

export interface ContentClass {
  readonly name: string;
  readonly pathPattern: string;
  readonly appCacheTtlSeconds: number;
  /** The oldest data a client may see (`maxStalenessSeconds`). */
  readonly maxStalenessSeconds: number;
  /** What the edge may add to it: `edgeTtlSeconds` of a cacheable class, else 0. */
  readonly edgeSeconds: number;
}

/** What the service may do with a read of one class. */
export interface ReadPolicy {
  /** Upper bound of the app cache's TTL (seconds; 0: not cached). */
  readonly ttlSeconds: number;
  /** The oldest data the service may answer with (ms): the class's staleness less what the edge may add. */
  readonly maxAgeMs: number;
  /** The class's staleness (seconds), for write fences. */
  readonly stalenessSeconds: number;
}

/** Matches a CloudFront-style path pattern (`*` any characters, `?` one). */
function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** Parses the SSM parameters of the freshness model (one JSON per class). */
export function parseFreshness(parameters: readonly { Name?: string; Value?: string }[], path: string): ContentClass[] {
  return parameters.map((p) => {
    const name = (p.Name ?? '').slice(path.length);
    const value = JSON.parse(p.Value ?? '') as {
      pathPattern?: unknown;
      appCacheTtlSeconds?: unknown;
      maxStalenessSeconds?: unknown;
      edgeTtlSeconds?: unknown;
      cacheable?: unknown;
    };
    if (
      typeof value.pathPattern !== 'string' ||
      typeof value.appCacheTtlSeconds !== 'number' ||
      typeof value.maxStalenessSeconds !== 'number'
    ) {
      throw new Error(`freshness parameter ${p.Name} lacks pathPattern, appCacheTtlSeconds or maxStalenessSeconds`);
    }
    const edge = value.cacheable !== false && typeof value.edgeTtlSeconds === 'number' ? value.edgeTtlSeconds : 0;
    return {
      name,
      pathPattern: value.pathPattern,
      appCacheTtlSeconds: value.appCacheTtlSeconds,
      maxStalenessSeconds: value.maxStalenessSeconds,
      edgeSeconds: edge,
    };
  });
}

/**
 * The freshness model: the app cache TTL of the content class a path belongs to (the most
 * specific matching pattern wins). Read from SSM at start-up; refreshed in the background,
 * keeping the last good model when a refresh fails.
 */
export class Freshness {
  private classes: (ContentClass & { re: RegExp })[] = [];
  private timer?: NodeJS.Timeout;
  loadedAt = 0;
  lastError?: string;

  constructor(
    private readonly client: SSMClient,
    private readonly path: string,
    private readonly defaultTtlSeconds: number,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    const parameters: { Name?: string; Value?: string }[] = [];
    let NextToken: string | undefined;
    do {
      const out = await this.client.send(new GetParametersByPathCommand({ Path: this.path, Recursive: false, NextToken }));
      parameters.push(...(out.Parameters ?? []));
      NextToken = out.NextToken;
    } while (NextToken);
    if (parameters.length === 0) throw new Error(`no freshness parameters under ${this.path}`);
    this.classes = parseFreshness(parameters, this.path)
      .map((c) => ({ ...c, re: patternToRegExp(c.pathPattern) }))
      .sort((a, b) => b.pathPattern.replace(/\*/g, '').length - a.pathPattern.replace(/\*/g, '').length);
    this.loadedAt = Date.now();
    this.lastError = undefined;
  }

  /** Refreshes every `intervalMs`; a failure keeps the last good model and is logged. */
  startRefresh(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.load().catch((error: Error) => {
        this.lastError = error.message;
        this.log.warn({ err: error.message }, 'freshness refresh failed; keeping the last good model');
      });
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Cache TTL for a request path: the class's `appCacheTtlSeconds`, or the default outside every class. */
  ttlFor(path: string): number {
    return this.policyFor(path).ttlSeconds;
  }

  /**
   * The read policy of a request path: the TTL as an upper bound, and the age bound
   * (`maxStalenessSeconds` less the edge TTL of a cacheable class, never below 0). Outside every
   * class (only without a model: the model always has a "/*" class) the default TTL bounds both.
   */
  policyFor(path: string): ReadPolicy {
    const match = this.classes.find((c) => c.re.test(path));
    if (!match)
      return { ttlSeconds: this.defaultTtlSeconds, maxAgeMs: this.defaultTtlSeconds * 1000, stalenessSeconds: this.defaultTtlSeconds };
    return {
      ttlSeconds: match.appCacheTtlSeconds,
      maxAgeMs: Math.max(0, match.maxStalenessSeconds - match.edgeSeconds) * 1000,
      stalenessSeconds: match.maxStalenessSeconds,
    };
  }

  get loaded(): boolean {
    return this.loadedAt > 0;
  }
}
