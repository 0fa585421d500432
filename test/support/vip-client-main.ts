// `node vip-client-main.js HOST PORT RATE TIMEOUT_MS`: the VIP client as a process of its own, as
// kubelet is, so that what the test does meanwhile (podman, kha, all run synchronously) never
// holds its requests back. It says "sending" once it is; on SIGTERM it waits for the requests in
// flight and prints them as JSON, each `at` made a wall-clock time (ms since the epoch).
import { VipClient } from './vip-client.js';

const [host, port, rate, timeoutMs] = process.argv.slice(2);
if (!host || !port || !rate || !timeoutMs) {
  console.error('usage: vip-client-main HOST PORT RATE TIMEOUT_MS');
  process.exit(2);
}
const client = new VipClient(host, Number(port), Number(rate), Number(timeoutMs));
client.start();
process.stdout.write('sending\n');
process.on('SIGTERM', () => {
  void client.stop().then(() => {
    const wall = client.results.map((r) => ({ ...r, at: performance.timeOrigin + r.at }));
    process.stdout.write(JSON.stringify(wall));
    process.exit(0);
  });
});
