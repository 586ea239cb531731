import { freePort, startProcess, waitFor, type ManagedProcess } from '../local-stack/processes';
import net from 'node:net';

/**
 * The delaying TCP proxy: this kernel has no netem, so latency on the database path is added
 * in user space, which works on every kernel. It runs as its own process (so its CPU is not
 * the load generator's), one listener per upstream, and holds every chunk `delayMs` in each
 * direction while the delay is on: SIGUSR1 turns it on, SIGUSR2 off. Chunks keep their order
 * (each direction is a queue released on a timer).
 */
const PROXY_SOURCE = `
const net = require('node:net');
const [delayMs, ...routes] = process.argv.slice(1);
let on = false;
process.on('SIGUSR1', () => { on = true; });
process.on('SIGUSR2', () => { on = false; });
function pipe(from, to) {
  const queue = [];
  let timer = null;
  const release = () => {
    timer = null;
    const now = Date.now();
    while (queue.length > 0 && queue[0].at <= now) to.write(queue.shift().chunk);
    if (queue.length > 0) timer = setTimeout(release, queue[0].at - now);
  };
  from.on('data', (chunk) => {
    if (!on && queue.length === 0) { to.write(chunk); return; }
    queue.push({ chunk, at: Date.now() + (on ? Number(delayMs) : 0) });
    if (!timer) timer = setTimeout(release, Math.max(0, queue[0].at - Date.now()));
  });
  from.on('end', () => { const finish = () => (queue.length > 0 ? setTimeout(finish, 5) : to.end()); finish(); });
}
for (const route of routes) {
  const [listen, target] = route.split('>').map(Number);
  net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    client.setNoDelay(true); upstream.setNoDelay(true);
    pipe(client, upstream); pipe(upstream, client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close); upstream.on('error', close); client.on('close', close); upstream.on('close', close);
  }).listen(listen, '127.0.0.1', () => process.stdout.write('listening ' + listen + '\\n'));
}
`;

export interface LatencyProxy {
  /** Local port in front of each upstream port. */
  readonly ports: ReadonlyMap<number, number>;
  readonly process: ManagedProcess;
  readonly delayMs: number;
  /** Adds `delayMs` in each direction from now on. */
  slow(): void;
  /** Back to no added delay. */
  fast(): void;
  stop(): Promise<void>;
}

/** Starts one proxy process with a listener in front of each of `upstreams` (loopback ports). */
export async function startLatencyProxy(upstreams: readonly number[], delayMs: number): Promise<LatencyProxy> {
  const ports = new Map<number, number>();
  for (const u of upstreams) ports.set(u, await freePort());
  const routes = [...ports].map(([target, listen]) => `${listen}>${target}`);
  const p = startProcess(process.execPath, ['-e', PROXY_SOURCE, String(delayMs), ...routes]);
  await waitFor(
    'the latency proxy',
    async () => {
      if (!p.running()) throw new Error(`exited: ${p.output()}`);
      const answered = await Promise.all(
        [...ports.values()].map(
          (port) =>
            new Promise<boolean>((resolve) => {
              const s = net.connect(port, '127.0.0.1');
              s.on('connect', () => {
                s.destroy();
                resolve(true);
              });
              s.on('error', () => resolve(false));
            }),
        ),
      );
      return answered.every(Boolean);
    },
    10_000,
    () => p.output(),
  );
  return {
    ports,
    process: p,
    delayMs,
    slow: () => p.signal('SIGUSR1'),
    fast: () => p.signal('SIGUSR2'),
    stop: () => p.stop('SIGTERM', 2_000),
  };
}
