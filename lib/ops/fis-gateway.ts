import type * as Fis from '@aws-sdk/client-fis';
import type { Experiment, ExperimentTemplateSummary, FisClient } from '@aws-sdk/client-fis';
import type { Clock } from './clock.js';
import type { CloudWatchClientOptions } from './cloudwatch-gateway.js';
import { fromFis } from './errors.js';
import { guardedCall, type RetryPolicy } from './retry.js';

/**
 * An AWS FIS client like the CloudWatch one: per-call timeouts, the SDK's own retries off
 * (FisGateway retries explicitly, with backoff, within the command's deadline).
 */
export function createFisClient(options: CloudWatchClientOptions): FisClient {
  return new (fis().FisClient)({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: options.connectionTimeoutMs, requestTimeout: options.requestTimeoutMs },
  });
}

/**
 * The FIS client module, loaded on first use: an optional dependency (lib/ops/optional-sdk.ts),
 * which the CLI checks for before `drill` runs.
 */
function fis(): typeof Fis {
  return require('@aws-sdk/client-fis') as typeof Fis;
}

/** Requests sent per operation, retries included. */
export interface FisCallCounts {
  ListExperimentTemplates: number;
  StartExperiment: number;
  GetExperiment: number;
  StopExperiment: number;
}

/** The FIS operations of `loadbearing drill`, each retried with backoff and bounded by the deadline. */
export class FisGateway {
  readonly calls: FisCallCounts = { ListExperimentTemplates: 0, StartExperiment: 0, GetExperiment: 0, StopExperiment: 0 };

  constructor(
    private readonly client: FisClient,
    private readonly retryPolicy: RetryPolicy,
    private readonly clock: Clock,
    private readonly signal: AbortSignal,
  ) {}

  /** Every experiment template of the account and region (a page is at most 100). */
  async listTemplates(): Promise<ExperimentTemplateSummary[]> {
    const templates: ExperimentTemplateSummary[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.send('ListExperimentTemplates', () =>
        this.client.send(new (fis().ListExperimentTemplatesCommand)({ maxResults: 100, nextToken: token }), { abortSignal: this.signal }),
      );
      templates.push(...(page.experimentTemplates ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return templates;
  }

  /**
   * Starts an experiment. The client token makes a retried request (after a timeout or
   * throttling) start the experiment once, not twice
   * (https://docs.aws.amazon.com/fis/latest/APIReference/API_StartExperiment.html).
   */
  async startExperiment(templateId: string, clientToken: string, tags: Record<string, string>): Promise<Experiment> {
    const out = await this.send('StartExperiment', () =>
      this.client.send(new (fis().StartExperimentCommand)({ experimentTemplateId: templateId, clientToken, tags }), {
        abortSignal: this.signal,
      }),
    );
    if (!out.experiment?.id) throw new Error('StartExperiment answered without an experiment');
    return out.experiment;
  }

  async getExperiment(id: string): Promise<Experiment> {
    const out = await this.send('GetExperiment', () =>
      this.client.send(new (fis().GetExperimentCommand)({ id }), { abortSignal: this.signal }),
    );
    return out.experiment ?? { id };
  }

  /** Stops an experiment; `signal` is separate, so a drill can still stop its experiment after its own deadline. */
  async stopExperiment(id: string, signal: AbortSignal): Promise<void> {
    await guardedCall(
      () => {
        this.calls.StopExperiment++;
        return this.client.send(new (fis().StopExperimentCommand)({ id }), { abortSignal: signal });
      },
      this.retryPolicy,
      this.clock,
      signal,
    );
  }

  private send<T>(operation: keyof FisCallCounts, call: () => Promise<T>): Promise<T> {
    return guardedCall<T>(
      () => {
        this.calls[operation]++;
        return call();
      },
      this.retryPolicy,
      this.clock,
      this.signal,
    ).catch((err: unknown) => {
      // The deadline's reason is the command's own error, not FIS's.
      throw err === this.signal.reason ? err : fromFis(err);
    });
  }
}
