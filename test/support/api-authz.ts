// Who a request to the stand-in API server is and what it may do, as a kubeadm cluster decides it
// (kube-apiserver --authorization-mode=Node,RBAC, --anonymous-auth left at its default, true).
//
// Authentication (k8s.io/apiserver, pkg/kubeapiserver/authenticator/config.go): the x509
// authenticator reads user from the client certificate's CN and groups from its O values; a
// certificate that does not verify (another CA, expired) is an error, and because anonymous is
// added with union.NewFailOnError an error is a 401, not anonymous. No certificate at all is
// system:anonymous in group system:unauthenticated.
//
// Authorization: the Node authorizer (plugin/pkg/auth/authorizer/node) gives users
// system:node:<name> in group system:nodes the rules of bootstrappolicy's NodeRules(); of the
// registration that is "get" on "endpoints" and nothing on "endpointslices". RBAC adds what is
// bound: nothing to nodes by default (the system:node ClusterRole is bound to nobody), and with
// kha's grant applied (manifests/kha-discovery-rbac.yaml) get, list and watch of the
// `kubernetes` EndpointSlice only. A list or watch is checked against resourceNames with the name
// from `fieldSelector=metadata.name=…` (k8s.io/apiserver pkg/endpoints/request/requestinfo.go
// reads it into the request's name for list and watch); without one it has no name and
// resourceNames never match. Refusals carry the Status body apiserver's
// responsewriters.Forbidden writes.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface Identity {
  user: string;
  groups: string[];
}

export type Verb = 'get' | 'list' | 'watch' | 'create';

export interface ResourceRequest {
  verb: Verb;
  /** "" for the core group. */
  apiGroup: string;
  resource: string;
  namespace: string;
  /** The object's name, from the path or (list, watch) from a metadata.name field selector. */
  name: string | undefined;
}

/** What RBAC objects the cluster holds beyond kubeadm's defaults. */
export interface ClusterRbac {
  /** kha's discovery grant (Role + RoleBinding in default for group system:nodes). */
  discoveryGrant: boolean;
}

export type Authentication = { identity: Identity } | { unauthorized: true };

export function authenticate(req: IncomingMessage): Authentication {
  const socket = req.socket as TLSSocket;
  const cert = socket.getPeerCertificate?.();
  if (!cert || Object.keys(cert).length === 0)
    return { identity: { user: 'system:anonymous', groups: ['system:unauthenticated'] } };
  if (!socket.authorized) return { unauthorized: true };
  const o = cert.subject?.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  const cn = cert.subject?.CN;
  const user = Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? '');
  return { identity: { user, groups: [...groups, 'system:authenticated'] } };
}

/** The field selector's metadata.name, when that is all it selects on ("=" or "=="). */
export function nameFromFieldSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  const m = /^metadata\.name==?([^,]*)$/.exec(selector);
  return m ? m[1] : undefined;
}

const isNode = (id: Identity): boolean =>
  id.user.startsWith('system:node:') && id.groups.includes('system:nodes');

export function allowed(id: Identity, r: ResourceRequest, rbac: ClusterRbac): boolean {
  // Node authorizer, NodeRules(): get endpoints; create, update, patch events.
  if (isNode(id)) {
    if (r.apiGroup === '' && r.resource === 'endpoints' && r.verb === 'get') return true;
    if (r.apiGroup === '' && r.resource === 'events' && r.verb === 'create') return true;
  }
  // RBAC: kha's Role, bound to group system:nodes, names the one object.
  if (
    rbac.discoveryGrant &&
    id.groups.includes('system:nodes') &&
    r.namespace === 'default' &&
    r.apiGroup === 'discovery.k8s.io' &&
    r.resource === 'endpointslices' &&
    (r.verb === 'get' || r.verb === 'list' || r.verb === 'watch') &&
    r.name === 'kubernetes'
  )
    return true;
  return false;
}

/** The Status kube-apiserver answers a refused request with (403). */
export function forbiddenStatus(id: Identity, r: ResourceRequest): Record<string, unknown> {
  const qualified = r.apiGroup ? `${r.resource}.${r.apiGroup}` : r.resource;
  const what = r.name ? `${qualified} "${r.name}"` : qualified;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${what} is forbidden: User "${id.user}" cannot ${r.verb} resource "${r.resource}" in API group "${r.apiGroup}" in the namespace "${r.namespace}"`,
    reason: 'Forbidden',
    details: { ...(r.name ? { name: r.name } : {}), group: r.apiGroup, kind: r.resource },
    code: 403,
  };
}

/** The Status of a request whose credentials did not verify (401). */
export const UNAUTHORIZED_STATUS = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};
