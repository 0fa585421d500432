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
// kha's grant applied the Role and RoleBinding of manifests/kha-discovery-rbac.yaml, read from
// that file and evaluated as RBAC's rule matching does (k8s.io/component-helpers/auth/rbac/
// validation: verbs, apiGroups, resources, resourceNames; "*" matches all), so the stand-in
// allows exactly what the manifest grants. A list or watch is checked against resourceNames with the name
// from `fieldSelector=metadata.name=…` (k8s.io/apiserver pkg/endpoints/request/requestinfo.go
// reads it into the request's name for list and watch); without one it has no name and
// resourceNames never match. Refusals carry the Status body apiserver's
// responsewriters.Forbidden writes.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import yaml from 'js-yaml';

export interface Identity {
  user: string;
  groups: string[];
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch';

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

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

interface Subject {
  kind: string;
  name: string;
}

/** A Role's rules with the subjects its RoleBinding names, in the Role's namespace. */
interface BoundRole {
  namespace: string;
  rules: PolicyRule[];
  subjects: Subject[];
}

/** kha's discovery grant as the repository ships it (test/dist/support -> manifests/). */
const GRANT_FILE = new URL('../../../manifests/kha-discovery-rbac.yaml', import.meta.url);

interface ManifestDoc {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind?: string; name?: string };
  subjects?: Subject[];
}

/** The Roles of a manifest bound by its RoleBindings. */
export function boundRoles(manifestText: string): BoundRole[] {
  const docs = (yaml.loadAll(manifestText) as Array<ManifestDoc | null>).filter(
    (d): d is ManifestDoc => d !== null && typeof d === 'object',
  );
  const roles = docs.filter((d) => d.kind === 'Role');
  return docs
    .filter((d) => d.kind === 'RoleBinding' && d.roleRef?.kind === 'Role')
    .flatMap((b) => {
      const role = roles.find(
        (r) =>
          r.metadata?.name === b.roleRef?.name && r.metadata?.namespace === b.metadata?.namespace,
      );
      return role?.metadata?.namespace
        ? [
            {
              namespace: role.metadata.namespace,
              rules: role.rules ?? [],
              subjects: b.subjects ?? [],
            },
          ]
        : [];
    });
}

let grant: BoundRole[] | undefined;
const discoveryGrant = (): BoundRole[] => (grant ??= boundRoles(readFileSync(GRANT_FILE, 'utf8')));

const has = (list: string[] | undefined, value: string): boolean =>
  !!list && (list.includes('*') || list.includes(value));

function ruleAllows(rule: PolicyRule, r: ResourceRequest): boolean {
  if (!has(rule.verbs, r.verb) || !has(rule.apiGroups, r.apiGroup)) return false;
  if (!has(rule.resources, r.resource)) return false;
  // resourceNames: only a request that names one of them (get, or list/watch by metadata.name).
  if (rule.resourceNames && rule.resourceNames.length > 0)
    return r.name !== undefined && rule.resourceNames.includes(r.name);
  return true;
}

function rbacAllows(roles: BoundRole[], id: Identity, r: ResourceRequest): boolean {
  return roles.some(
    (role) =>
      role.namespace === r.namespace &&
      role.subjects.some(
        (s) =>
          (s.kind === 'Group' && id.groups.includes(s.name)) ||
          (s.kind === 'User' && s.name === id.user),
      ) &&
      role.rules.some((rule) => ruleAllows(rule, r)),
  );
}

export function allowed(id: Identity, r: ResourceRequest, rbac: ClusterRbac): boolean {
  // Node authorizer, NodeRules(): get endpoints; create, update, patch events.
  if (isNode(id)) {
    if (r.apiGroup === '' && r.resource === 'endpoints' && r.verb === 'get') return true;
    if (
      r.apiGroup === '' &&
      r.resource === 'events' &&
      ['create', 'update', 'patch'].includes(r.verb)
    )
      return true;
  }
  return rbac.discoveryGrant && rbacAllows(discoveryGrant(), id, r);
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

/** A Status body as kube-apiserver answers a failed request with (metav1.Status). */
export function failureStatus(code: number, reason: string, message: string, details?: object) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
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
