// /healthz, /livez and /readyz on a listener of their own, on loopback (--liveness-address):
// kubelet's liveness probe of a host-network pod dials 127.0.0.1, and no load on the public
// metrics listener (a scrape flood, a connection churn filling its accept queue) queues in front
// of it. Answers come from memory: no render, no kernel, no I/O.
import type { Server } from 'node:http';
import { type Liveness, healthAnswer } from './answers.js';
import { LIVENESS_LIMITS, type HttpLimits } from './limits.js';
import { answer, listen, readPath } from './listener.js';

export function startLivenessServer(
  host: string,
  port: number,
  state: Liveness,
  limits: HttpLimits = LIVENESS_LIMITS,
): Promise<Server> {
  return listen(host, port, limits, (req, res) => {
    const path = readPath(req, res);
    if (path === undefined) return;
    const a = healthAnswer(path, state);
    if (a) return answer(res, a.status, a.body);
    answer(
      res,
      404,
      'not found: try /healthz, /livez or /readyz (metrics are on --metrics-address)\n',
    );
  });
}
