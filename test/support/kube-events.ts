// The events part of the stand-in API server: POST and PATCH of core/v1 Events, as kube-apiserver
// answers them. Every master's stand-in shares one store (a JSON-lines file beside the registry
// file), as every real API server shares etcd, so an Event created through one master can be
// patched through another.
// - Authorization first (api-authz.ts): the Node authorizer lets a node create, update and patch
//   events, in any namespace.
// - A body whose metadata.namespace differs from the path's is 400 BadRequest ("the namespace of
//   the provided object does not match the namespace sent on the request",
//   k8s.io/apiserver pkg/registry/rest, EnsureObjectNamespaceMatchesRequestNamespace).
// - Validation (pkg/apis/core/validation/events.go, legacyValidateEvent, for an Event without
//   eventTime): a cluster-scoped involvedObject (no namespace) only in "" or "default", else the
//   object's own namespace; a name is required. Failures are 422 Invalid.
// - A name already there is 409 AlreadyExists; a patch of one not there is 404 NotFound; a PATCH
//   whose content type is no patch type is 415.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Identity, type ResourceRequest, failureStatus } from './api-authz.js';

const EVENTS = /^\/api\/v1\/namespaces\/([^/]+)\/events(?:\/([^/]+))?$/;
const PATCH_TYPES = [
  'application/strategic-merge-patch+json',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
];
const MAX_BODY = 3 * 1024 * 1024; // kube-apiserver's request body limit

export const eventsFileOf = (registryFile: string) => `${registryFile}.events.jsonl`;

/** The fields of a core/v1 Event the stand-in looks at or a test reads. */
export interface EventObject {
  metadata?: { name?: string; namespace?: string; uid?: string };
  involvedObject?: {
    apiVersion?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    uid?: string;
  };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  source?: { component?: string; host?: string };
  [field: string]: unknown;
}

export interface StoredEvent {
  name: string;
  namespace: string;
  object: EventObject;
}

/** Every Event in the store as its last write left it. */
export function storedEvents(registryFile: string): StoredEvent[] {
  const file = eventsFileOf(registryFile);
  if (!existsSync(file)) return [];
  const latest = new Map<string, StoredEvent>();
  for (const line of readFileSync(file, 'utf8').split('\n'))
    if (line) {
      const e = JSON.parse(line) as StoredEvent;
      latest.set(`${e.namespace}/${e.name}`, e);
    }
  return [...latest.values()];
}

export function eventsRequest(req: IncomingMessage, url: URL): ResourceRequest | undefined {
  const m = EVENTS.exec(url.pathname);
  if (!m) return undefined;
  const named = m[2] !== undefined;
  const verb =
    req.method === 'POST' && !named
      ? 'create'
      : req.method === 'PATCH' && named
        ? 'patch'
        : undefined;
  if (!verb) return undefined;
  return {
    verb,
    apiGroup: '',
    resource: 'events',
    namespace: m[1]!,
    name: named ? decodeURIComponent(m[2]!) : undefined,
  };
}

async function bodyOf(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Serves an authorized events request; resolves once answered. */
export async function serveEvent(
  req: IncomingMessage,
  res: ServerResponse,
  r: ResourceRequest,
  registryFile: string,
  counts: { created: number; patched: number; refused: number },
  identity: Identity,
): Promise<void> {
  const answer = (code: number, body: unknown) => {
    if (code >= 300) counts.refused++;
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const text = await bodyOf(req);
  if (text === undefined)
    return answer(413, failureStatus(413, 'RequestEntityTooLarge', 'the request is too large'));
  if (
    r.verb === 'patch' &&
    !PATCH_TYPES.includes((req.headers['content-type'] ?? '').split(';')[0]!.trim())
  )
    return answer(
      415,
      failureStatus(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      ),
    );
  let body: EventObject;
  try {
    body = JSON.parse(text) as EventObject;
  } catch {
    return answer(
      400,
      failureStatus(400, 'BadRequest', "couldn't get version/kind; json parse error"),
    );
  }
  const file = eventsFileOf(registryFile);
  const existing = storedEvents(registryFile).find(
    (e) => e.namespace === r.namespace && e.name === r.name,
  );
  if (r.verb === 'patch') {
    if (!existing)
      return answer(
        404,
        failureStatus(404, 'NotFound', `events "${r.name}" not found`, {
          name: r.name,
          kind: 'events',
        }),
      );
    const object = { ...existing.object, ...body, metadata: existing.object.metadata };
    appendFileSync(file, `${JSON.stringify({ name: r.name, namespace: r.namespace, object })}\n`);
    counts.patched++;
    return answer(200, object);
  }
  const meta = body.metadata ?? {};
  if (meta.namespace !== undefined && meta.namespace !== r.namespace)
    return answer(
      400,
      failureStatus(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      ),
    );
  const problems: string[] = [];
  if (!meta.name) problems.push('metadata.name: Required value: name or generateName is required');
  const involvedNs = body.involvedObject?.namespace ?? '';
  if (involvedNs === '' ? !['', 'default'].includes(r.namespace) : involvedNs !== r.namespace)
    problems.push(
      `involvedObject.namespace: Invalid value: "${involvedNs}": does not match event.namespace`,
    );
  if (problems.length > 0)
    return answer(
      422,
      failureStatus(
        422,
        'Invalid',
        `Event "${meta.name ?? ''}" is invalid: ${problems.join(', ')}`,
        {
          name: meta.name,
          kind: 'Event',
        },
      ),
    );
  if (storedEvents(registryFile).some((e) => e.namespace === r.namespace && e.name === meta.name))
    return answer(
      409,
      failureStatus(409, 'AlreadyExists', `events "${meta.name}" already exists`, {
        name: meta.name,
        kind: 'events',
      }),
    );
  const object = { ...body, metadata: { ...meta, namespace: r.namespace, uid: `${Date.now()}` } };
  appendFileSync(
    file,
    `${JSON.stringify({ name: meta.name, namespace: r.namespace, object, by: identity.user })}\n`,
  );
  counts.created++;
  return answer(201, object);
}
