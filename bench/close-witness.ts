// When a killed master's connections actually close: a process of its own (started at the
// pollers' niceness by side-by-side.ts) holds one idle TCP connection to the master and prints
// the CLOCK_MONOTONIC time of its end. A SIGKILLed process' sockets close only once the kernel
// has torn the process down, so this is the earliest any balancer can know; the killed-master
// figures are this plus what each contender takes.
// Usage: close-witness.js HOST PORT. Prints {"connected": at} then {"closed": at}.
import { connect } from 'node:net';
import { monotonicMs } from './contender.js';

const [host, port] = process.argv.slice(2);
const socket = connect({ host: host!, port: Number(port) });
socket.on('connect', () =>
  process.stdout.write(`${JSON.stringify({ connected: monotonicMs() })}\n`),
);
// A reset arrives as an error, a FIN as the end: either way the master's side is gone.
const closed = (): void => {
  process.stdout.write(`${JSON.stringify({ closed: monotonicMs() })}\n`);
  process.exit(0);
};
socket.on('end', closed);
socket.on('error', closed);
