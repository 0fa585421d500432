// kubeadm join through the VIP's name, its output streamed, its exit status kept.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Endpoint } from '@kha/lvscare';
import { APISERVER_NAME } from './hosts-file.js';

export function kubeadmJoinArgs(vip: Endpoint, args: string[]): string[] {
  return ['join', `${APISERVER_NAME}:${vip.port}`, ...args];
}

export function runKubeadm(path: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: 'inherit' });
    child.once('error', reject);
    // Killed by a signal: a failure, numbered the way a shell does (128 + signal number).
    child.once('exit', (code, signal) =>
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
    );
  });
}
