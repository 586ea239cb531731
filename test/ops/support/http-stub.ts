import http from 'node:http';
import net from 'node:net';

/** A canned CloudWatch (AWS JSON 1.0) answer. */
export interface StubReply {
  status: number;
  body: object;
  /** Error code header of query-compatible services, e.g. `Throttling;Sender`. */
  queryError?: string;
}

export interface StubServer {
  readonly url: string;
  /** `x-amz-target` of each request received, e.g. `GraniteServiceVersion20100801.DescribeAlarms`. */
  readonly targets: string[];
  close(): Promise<void>;
}

/** A loopback HTTP server answering each request with the next reply (the last one repeats). */
export async function startStubServer(replies: StubReply[]): Promise<StubServer> {
  const targets: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      targets.push(String(req.headers['x-amz-target']));
      const reply = replies[Math.min(targets.length - 1, replies.length - 1)]!;
      res.writeHead(reply.status, {
        'content-type': 'application/x-amz-json-1.0',
        ...(reply.queryError ? { 'x-amzn-query-error': reply.queryError } : {}),
      });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A loopback server that accepts connections and never answers. */
export async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
