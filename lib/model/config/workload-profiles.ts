/**
 * Workload profiles: which instance types a fleet runs on, and the OS/network tuning applied
 * at boot. Graviton (arm64) is the default architecture: better price-performance for
 * stateless web tiers.
 *
 * Every profile lists several families. The first is the primary type; the others are capacity
 * fallbacks for a mixed instances policy when one type is short in an AZ. All of them share one
 * architecture, so one AMI boots on every type, and all but the burstable ones are Nitro types
 * that encrypt traffic between instances in transit (the AWS Control Tower list).
 */
export type WorkloadProfileName = 'general' | 'compute' | 'memory' | 'burstable';
export type Architecture = 'arm64' | 'x86_64';

export interface NetworkTuning {
  /** `net.core.somaxconn`: accept-queue length per listening socket. */
  readonly somaxconn: number;
  /** `net.ipv4.tcp_max_syn_backlog`: half-open connections queued during a SYN burst. */
  readonly synBacklog: number;
  /** Open-file limit (`nofile`) for the app, and `fs.file-max` headroom above it. */
  readonly fileDescriptors: number;
  /**
   * `net.ipv4.tcp_keepalive_time` in seconds. Below the NAT gateway's 350 s idle timeout, so
   * long-lived outbound connections are probed before a middlebox silently drops them.
   */
  readonly tcpKeepaliveTimeSeconds: number;
  readonly tcpKeepaliveIntervalSeconds: number;
  readonly tcpKeepaliveProbes: number;
  /** `net.ipv4.ip_local_port_range`: ephemeral ports for outbound connections (DB, cache, APIs). */
  readonly ephemeralPortRange: readonly [number, number];
}

export interface WorkloadProfile {
  readonly description: string;
  /** Runs on CPU credits, and on types without Nitro in-transit encryption: dev only. */
  readonly burstable?: boolean;
  readonly families: Readonly<Record<Architecture, readonly string[]>>;
  /** Sizes every listed family offers. */
  readonly sizes: readonly string[];
  readonly tuning: NetworkTuning;
}

const WIDE_PORTS: readonly [number, number] = [10240, 65535];
const KEEPALIVE = { tcpKeepaliveTimeSeconds: 300, tcpKeepaliveIntervalSeconds: 30, tcpKeepaliveProbes: 5 };

export const WORKLOAD_PROFILES: Readonly<Record<WorkloadProfileName, WorkloadProfile>> = {
  general: {
    description: 'Balanced CPU and memory: typical web/API servers.',
    families: { arm64: ['m7g', 'm7gd', 'r7g'], x86_64: ['m7i', 'm6i', 'm7a'] },
    sizes: ['large', 'xlarge', '2xlarge', '4xlarge'],
    tuning: { somaxconn: 4096, synBacklog: 8192, fileDescriptors: 65536, ephemeralPortRange: WIDE_PORTS, ...KEEPALIVE },
  },
  compute: {
    description: 'CPU-bound request handling (rendering, serialization, TLS-heavy).',
    families: { arm64: ['c7g', 'c7gd', 'c7gn'], x86_64: ['c7i', 'c6i', 'c7a'] },
    sizes: ['large', 'xlarge', '2xlarge', '4xlarge'],
    tuning: { somaxconn: 8192, synBacklog: 16384, fileDescriptors: 131072, ephemeralPortRange: WIDE_PORTS, ...KEEPALIVE },
  },
  memory: {
    description: 'Large in-process caches or heaps.',
    families: { arm64: ['r7g', 'r7gd'], x86_64: ['r7i', 'r6i', 'r7a'] },
    sizes: ['large', 'xlarge', '2xlarge', '4xlarge'],
    tuning: { somaxconn: 4096, synBacklog: 8192, fileDescriptors: 131072, ephemeralPortRange: WIDE_PORTS, ...KEEPALIVE },
  },
  burstable: {
    description: 'Low, spiky load on CPU credits (dev and small staging fleets).',
    burstable: true,
    families: { arm64: ['t4g', 'm7g'], x86_64: ['t3', 't3a'] },
    sizes: ['medium', 'large', 'xlarge', '2xlarge'],
    tuning: { somaxconn: 1024, synBacklog: 2048, fileDescriptors: 32768, ephemeralPortRange: [32768, 60999], ...KEEPALIVE },
  },
};

/** Instance types for a profile, primary first, e.g. `['m7g.large', 'm6g.large', 'm8g.large']`. */
export function instanceTypesFor(profile: WorkloadProfileName, architecture: Architecture, size: string): string[] {
  return WORKLOAD_PROFILES[profile].families[architecture].map((family) => `${family}.${size}`);
}
