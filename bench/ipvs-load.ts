// The IPVS load both throughput benches put in the kernel: SERVICES virtual services (1000 unless
// KHA_BENCH_SERVICES says otherwise), each with DESTS destinations, measured over ROUNDS rounds.
import type { Destination, Service } from '@kha/netlink-ffi';

export const SERVICES = Number(process.env.KHA_BENCH_SERVICES ?? 1000);
export const DESTS = 3;
export const ROUNDS = Number(process.env.KHA_BENCH_ROUNDS ?? 5);

export const services: Service[] = Array.from({ length: SERVICES }, (_, i) => ({
  family: 'inet',
  protocol: 'tcp',
  address: `10.${100 + (i >> 8)}.${i & 0xff}.1`,
  port: 6443,
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 32,
}));
export const destinations: Destination[] = Array.from({ length: DESTS }, (_, d) => ({
  address: `192.168.0.${d + 2}`,
  port: 6443,
  forward: 'masq',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
}));
