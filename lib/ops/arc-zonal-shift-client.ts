import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler, streamCollector } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';

// A client of the ARC zonal shift REST API, which has no SDK client in this project's registry.
// It signs each request as the SDK clients do (Smithy's SignatureV4, signing name
// `arc-zonal-shift`, the service's `aws.auth#sigv4` trait in the AWS SDK model
// aws/aws-sdk-js-v3 codegen/sdk-codegen/aws-models/arc-zonal-shift.json), with the credentials
// of the SDK's default chain, and sends it with the SDK's NodeHttpHandler (per-call timeouts).
// Operations, paths and bodies: the ARC zonal shift API reference
// (https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_StartZonalShift.html and its siblings).
// No retries here: the caller decides which calls may be repeated (zonal-shift-aws.ts).

/** Credentials as the SDK's default chain resolves them. */
export interface ArcCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ArcZonalShiftClientOptions {
  readonly region: string;
  /** Base URL, e.g. https://arc-zonal-shift.eu-west-1.amazonaws.com (see arcZonalShiftEndpoint). */
  readonly endpoint: string;
  readonly credentials: () => Promise<ArcCredentials>;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** Where ARC zonal shift requests go: AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT, then AWS_ENDPOINT_URL (as the SDK reads them), else the Region's endpoint. */
export function arcZonalShiftEndpoint(region: string, env: NodeJS.ProcessEnv): string {
  // https://docs.aws.amazon.com/general/latest/gr/arc.html: arc-zonal-shift.<region>.amazonaws.com
  // (amazonaws.com.cn in the China Regions, as the SDK model's endpoint rules say).
  return (
    env.AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT ??
    env.AWS_ENDPOINT_URL ??
    `https://arc-zonal-shift.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`
  );
}

/** An error answer of ARC (or an answer that is not ARC's), shaped as the SDK's errors are for isRetryable and isAccessDenied. */
export class ArcError extends Error {
  override readonly name: string;
  readonly $metadata: { readonly httpStatusCode: number };
  constructor(
    name: string,
    message: string,
    httpStatusCode: number,
    /** ConflictException's reason, e.g. ZonalShiftAlreadyExists; ValidationException's, e.g. InvalidExpiresIn. */
    readonly reason?: string,
    /** ConflictException's zonal shift. */
    readonly zonalShiftId?: string,
  ) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode };
  }
}

export type ShiftType = 'ZONAL_SHIFT' | 'PRACTICE_RUN' | 'FIS_EXPERIMENT' | 'ZONAL_AUTOSHIFT';

/** A shift of a managed resource (ZonalShiftInResource); times as ISO strings. */
export interface ZonalShiftInResource {
  readonly zonalShiftId: string;
  readonly resourceIdentifier: string;
  /** The AZ ID, e.g. euw1-az1. */
  readonly awayFrom: string;
  readonly appliedStatus: 'APPLIED' | 'NOT_APPLIED';
  readonly startTime: string;
  readonly expiryTime: string;
  readonly comment: string;
  /** Absent in older answers: a customer's zonal shift. */
  readonly shiftType?: ShiftType;
  readonly practiceRunOutcome?: string;
}

export interface AutoshiftInResource {
  readonly awayFrom: string;
  readonly appliedStatus: 'APPLIED' | 'NOT_APPLIED';
  readonly startTime: string;
}

export interface ManagedResourceSummary {
  readonly arn?: string;
  readonly name?: string;
  readonly availabilityZones: readonly string[];
}

export interface ManagedResource {
  readonly arn?: string;
  readonly name?: string;
  readonly appliedWeights: Readonly<Record<string, number>>;
  /** The zonal shifts active for the resource. */
  readonly zonalShifts: readonly ZonalShiftInResource[];
  readonly autoshifts: readonly AutoshiftInResource[];
  readonly zonalAutoshiftStatus?: 'ENABLED' | 'DISABLED';
  readonly practiceRunConfigured: boolean;
}

export interface ZonalShift {
  readonly zonalShiftId: string;
  readonly resourceIdentifier: string;
  readonly awayFrom: string;
  readonly status: 'ACTIVE' | 'EXPIRED' | 'CANCELED';
  readonly startTime: string;
  readonly expiryTime: string;
  readonly comment: string;
}

export interface StartZonalShiftInput {
  readonly resourceIdentifier: string;
  /** AZ ID. */
  readonly awayFrom: string;
  /** ARC's format: a whole number and m or h, e.g. 90m, 12h. */
  readonly expiresIn: string;
  readonly comment: string;
}

interface ArcRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Already percent-encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: object;
}

export class ArcZonalShiftClient {
  private readonly handler: NodeHttpHandler;
  private readonly signer: SignatureV4;
  private readonly base: URL;

  constructor(options: ArcZonalShiftClientOptions) {
    this.base = new URL(options.endpoint);
    this.handler = new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      throwOnRequestTimeout: true,
    });
    this.signer = new SignatureV4({
      service: 'arc-zonal-shift',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
  }

  /** GET /managedresources (ListManagedResources), one page of at most 100. */
  async listManagedResources(
    nextToken: string | undefined,
    signal: AbortSignal,
  ): Promise<{ items: ManagedResourceSummary[]; nextToken?: string }> {
    const out = (await this.send(
      { method: 'GET', path: '/managedresources', query: { maxResults: '100', ...(nextToken ? { nextToken } : {}) } },
      signal,
    )) as { items?: Partial<ManagedResourceSummary>[]; nextToken?: string };
    return {
      items: (out.items ?? []).map((i) => ({
        ...(i.arn ? { arn: i.arn } : {}),
        ...(i.name ? { name: i.name } : {}),
        availabilityZones: i.availabilityZones ?? [],
      })),
      ...(out.nextToken ? { nextToken: out.nextToken } : {}),
    };
  }

  /** GET /managedresources/{resourceIdentifier} (GetManagedResource): the resource's active shifts and autoshift settings. */
  async getManagedResource(arn: string, signal: AbortSignal): Promise<ManagedResource> {
    const out = (await this.send({ method: 'GET', path: `/managedresources/${encodeLabel(arn)}` }, signal)) as Record<string, unknown>;
    return {
      ...(typeof out.arn === 'string' ? { arn: out.arn } : {}),
      ...(typeof out.name === 'string' ? { name: out.name } : {}),
      appliedWeights: (out.appliedWeights as Record<string, number> | undefined) ?? {},
      zonalShifts: ((out.zonalShifts as Record<string, unknown>[] | undefined) ?? []).map((s) => ({
        zonalShiftId: String(s.zonalShiftId),
        resourceIdentifier: String(s.resourceIdentifier),
        awayFrom: String(s.awayFrom),
        appliedStatus: s.appliedStatus === 'NOT_APPLIED' ? 'NOT_APPLIED' : 'APPLIED',
        startTime: isoTime(s.startTime),
        expiryTime: isoTime(s.expiryTime),
        comment: typeof s.comment === 'string' ? s.comment : '',
        ...(typeof s.shiftType === 'string' ? { shiftType: s.shiftType as ShiftType } : {}),
        ...(typeof s.practiceRunOutcome === 'string' ? { practiceRunOutcome: s.practiceRunOutcome } : {}),
      })),
      autoshifts: ((out.autoshifts as Record<string, unknown>[] | undefined) ?? []).map((a) => ({
        awayFrom: String(a.awayFrom),
        appliedStatus: a.appliedStatus === 'NOT_APPLIED' ? 'NOT_APPLIED' : 'APPLIED',
        startTime: isoTime(a.startTime),
      })),
      ...(out.zonalAutoshiftStatus === 'ENABLED' || out.zonalAutoshiftStatus === 'DISABLED'
        ? { zonalAutoshiftStatus: out.zonalAutoshiftStatus }
        : {}),
      practiceRunConfigured: out.practiceRunConfiguration !== undefined && out.practiceRunConfiguration !== null,
    };
  }

  /** POST /zonalshifts (StartZonalShift). Not idempotent: a repeated request may start a second shift, or meet the first. */
  async startZonalShift(input: StartZonalShiftInput, signal: AbortSignal): Promise<ZonalShift> {
    const body = {
      resourceIdentifier: input.resourceIdentifier,
      awayFrom: input.awayFrom,
      expiresIn: input.expiresIn,
      comment: input.comment,
    };
    return zonalShift(await this.send({ method: 'POST', path: '/zonalshifts', body }, signal));
  }

  /** DELETE /zonalshifts/{zonalShiftId} (CancelZonalShift). */
  async cancelZonalShift(zonalShiftId: string, signal: AbortSignal): Promise<ZonalShift> {
    return zonalShift(await this.send({ method: 'DELETE', path: `/zonalshifts/${encodeLabel(zonalShiftId)}` }, signal));
  }

  destroy(): void {
    this.handler.destroy();
  }

  private async send(request: ArcRequest, signal: AbortSignal): Promise<unknown> {
    const body = request.body ? JSON.stringify(request.body) : undefined;
    const basePath = this.base.pathname.replace(/\/$/, '');
    const port = this.base.port ? Number(this.base.port) : undefined;
    const unsigned = new HttpRequest({
      method: request.method,
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      ...(port !== undefined ? { port } : {}),
      path: `${basePath}${request.path}`,
      ...(request.query ? { query: { ...request.query } } : {}),
      headers: {
        host: this.base.host,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });
    const signed = await this.signer.sign(unsigned);
    const { response } = await this.handler.handle(signed as HttpRequest, { abortSignal: signal });
    const text = Buffer.from(await streamCollector(response.body)).toString('utf8');
    const status = response.statusCode;
    const header = (name: string) => Object.entries(response.headers).find(([k]) => k.toLowerCase() === name)?.[1] as string | undefined;
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) {
      if (parsed === undefined) throw new ArcError('UnparsableResponse', `HTTP ${status} with a body that is not JSON`, status);
      return parsed;
    }
    if (parsed === undefined) {
      const type = header('content-type')?.split(';')[0]?.trim();
      const kind = /html/i.test(type ?? '') || /^\s*<(!doctype|html)/i.test(text) ? 'an HTML page' : type ? `a ${type} body` : 'a body';
      throw new ArcError('UnparsableResponse', `HTTP ${status} with ${kind}, not an ARC API response`, status);
    }
    // restJson1 names the error in X-Amzn-ErrorType ("ConflictException:http://...") or in the body.
    const type = header('x-amzn-errortype') ?? (parsed.__type as string | undefined) ?? (parsed.code as string | undefined);
    const name = type?.split(':')[0]?.split('#').pop() || (status === 403 ? 'AccessDeniedException' : `HTTP${status}`);
    const message = String(parsed.message ?? parsed.Message ?? `HTTP ${status}`);
    throw new ArcError(
      name,
      message,
      status,
      typeof parsed.reason === 'string' ? parsed.reason : undefined,
      typeof parsed.zonalShiftId === 'string' ? parsed.zonalShiftId : undefined,
    );
  }
}

/** A path label as the SDK encodes it: every reserved character (an ARN's ':' and '/' included). */
function encodeLabel(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** restJson1 timestamps are epoch seconds in JSON bodies; an ISO string is taken as it is. */
function isoTime(value: unknown): string {
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return '';
}

function zonalShift(out: unknown): ZonalShift {
  const s = out as Record<string, unknown>;
  if (typeof s.zonalShiftId !== 'string') throw new ArcError('UnparsableResponse', 'an answer without a zonalShiftId', 200);
  return {
    zonalShiftId: s.zonalShiftId,
    resourceIdentifier: String(s.resourceIdentifier),
    awayFrom: String(s.awayFrom),
    status: s.status === 'EXPIRED' || s.status === 'CANCELED' ? s.status : 'ACTIVE',
    startTime: isoTime(s.startTime),
    expiryTime: isoTime(s.expiryTime),
    comment: typeof s.comment === 'string' ? s.comment : '',
  };
}
