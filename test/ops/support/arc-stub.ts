import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';

/** One request the stub received, as it came over the wire. */
export interface ArcStubRequest {
  readonly method: string;
  /** The raw path, percent-encoding kept, without the query. */
  readonly rawPath: string;
  /** The path decoded, e.g. /managedresources/arn:aws:... */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface ArcStubReply {
  readonly status: number;
  readonly body?: object | string;
  /** restJson1's error name header, e.g. ConflictException. */
  readonly errorType?: string;
  readonly contentType?: string;
}

export type ArcRoute = (request: ArcStubRequest) => ArcStubReply;

export interface ArcStub {
  readonly url: string;
  readonly requests: ArcStubRequest[];
  /** Replaced by each test. */
  route: ArcRoute;
  close(): Promise<void>;
}

/** A loopback HTTP server standing in for the ARC zonal shift REST API, on a free port. */
export async function startArcStub(): Promise<ArcStub> {
  const requests: ArcStubRequest[] = [];
  const stub = {
    url: '',
    requests,
    route: (() => ({ status: 500, body: { message: 'no route' } })) as ArcRoute,
    close: async (): Promise<void> => undefined,
  };
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
      const request: ArcStubRequest = {
        method: req.method ?? '',
        rawPath,
        path: decodeURIComponent(rawPath),
        query: new URLSearchParams(rawQuery),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const reply = stub.route(request);
      res.writeHead(reply.status, {
        'content-type': reply.contentType ?? 'application/json',
        ...(reply.errorType
          ? { 'x-amzn-errortype': `${reply.errorType}:http://internal.amazon.com/coral/com.amazonaws.arczonalshift/` }
          : {}),
      });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {}));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  stub.url = `http://127.0.0.1:${port}`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return stub;
}

/** RFC 3986 percent-encoding, as Signature Version 4 asks for (unreserved characters kept). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignatureCheck {
  readonly valid: boolean;
  readonly accessKeyId: string;
  /** date/region/service/aws4_request */
  readonly scope: string;
  readonly signedHeaders: string[];
}

/**
 * Checks a request's Signature Version 4 Authorization header independently of the client's
 * signer, from the AWS description of the algorithm: the canonical request (method, the path with
 * each segment URI-encoded once more, as for every service but S3; the sorted query; the signed
 * headers; the payload's SHA-256), the string to sign, and the HMAC-SHA256 key chain
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
 */
export function checkSignature(request: ArcStubRequest, secretAccessKey: string): SignatureCheck {
  const auth = String(request.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { valid: false, accessKeyId: '', scope: '', signedHeaders: [] };
  const [, accessKeyId, scope, signedHeaderList, signature] = m as unknown as [string, string, string, string, string];
  const signedHeaders = signedHeaderList.split(';');
  const canonicalUri = request.rawPath
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/');
  const canonicalQuery = [...request.query.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const header = (name: string) => {
    const v = request.headers[name];
    return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
  };
  const payloadHash = createHash('sha256').update(request.body, 'utf8').digest('hex');
  const canonicalRequest = [
    request.method,
    canonicalUri,
    canonicalQuery,
    ...signedHeaders.map((h) => `${h}:${header(h)}`),
    '',
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const amzDate = header('x-amz-date');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const [date, region, service, terminator] = scope.split('/') as [string, string, string, string];
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), terminator);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return { valid: expected === signature, accessKeyId, scope, signedHeaders };
}
