// Why a probe failed, in a handful of words an operator and a metric label can use. Pure.

export type FailureReason =
  'timeout' | 'refused' | 'reset' | 'unreachable' | 'tls' | 'status' | 'error';

export function classifyError(err: unknown): FailureReason {
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown };
  const code = e?.code ?? '';
  const name = e?.name ?? '';
  if (name === 'AbortError' || name === 'TimeoutError' || /TIMEOUT|ETIMEDOUT/.test(code))
    return 'timeout';
  if (code === 'ECONNREFUSED') return 'refused';
  if (['ECONNRESET', 'EPIPE'].includes(code)) return 'reset';
  if (['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'].includes(code)) return 'unreachable';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH|ERR_TLS/.test(code))
    return 'tls';
  if (e?.cause && e.cause !== err) return classifyError(e.cause);
  return 'error';
}

/** 200-399 is healthy, as is any status the operator listed (e.g. 401 on k3s). */
export function statusIsHealthy(status: number, extra: readonly number[]): boolean {
  return (status >= 200 && status < 400) || extra.includes(status);
}
