/**
 * What a Prometheus-compatible backend (Prometheus, Thanos Query, Mimir / Cortex,
 * VictoriaMetrics, a managed Prometheus behind a proxy) needs to be queried: its URL, how we
 * authenticate to it, how we trust it, which tenant we read, and how long a query may take.
 *
 * Backends are server configuration only (`PROMETHEUS_BACKENDS`, a JSON object of name ->
 * backend; `PROMETHEUS_URL` is the backend named "default"). A profile picks one by name; a
 * request never gives a URL, a credential or a header. Validated strictly at start: an unknown
 * key is refused with its name, and so is a combination that cannot work (two Authorization
 * sources, a client key without its certificate, TLS files for an http URL).
 *
 * Tenants (`X-Scope-OrgID` for Mimir / Cortex / Loki-style gateways, or any header a proxy
 * keys on): `tenant.default` is sent when nothing else names one; a profile may name another;
 * a request may name one only from `tenant.allowed`, so a caller can never reach a tenant the
 * operator did not list. Tenant ids are Mimir's safe characters without "|" (a Mimir
 * federated query `a|b` would read two tenants at once).
 */
import { z } from 'zod';
import { strictObject } from '../../contracts/strict-object';

export const DEFAULT_BACKEND = 'default';
export const DEFAULT_TENANT_HEADER = 'X-Scope-OrgID';
export const BACKEND_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/**
 * Mimir's allowed tenant-id characters (its docs: "Tenant IDs"), without "|"; "." and ".." are
 * refused apart (no lookahead: the chart's JSON schema is checked by Helm's Go regexps).
 */
export const TENANT_ID = /^[A-Za-z0-9!._*'()-]{1,150}$/;
const TENANT_MESSAGE = 'tenant ids are 1-150 letters, digits and !-_.*\'() (not "." or ".."; "|" would read several tenants at once)';

export const tenantId = z.string().regex(TENANT_ID, TENANT_MESSAGE).refine((id) => id !== '.' && id !== '..', TENANT_MESSAGE);

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name');
const path = z.string().min(1, 'expected a file path');

export const backendSchema = strictObject({
  /** http(s)://host:port[/path prefix][?query kept on every query, e.g. Thanos' partial_response=false]. */
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  /** Static extra headers (not the tenant header: use `tenant`). */
  headers: z.record(headerName, z.string()).optional(),
  /** `Authorization: Bearer <file content>`, re-read when the file changes. */
  bearerTokenFile: path.optional(),
  /** `Authorization: Basic ...` from a username (or its file) and a password file. */
  basicAuth: strictObject({ username: z.string().min(1).optional(), usernameFile: path.optional(), passwordFile: path }).optional(),
  /** For https URLs: trust this CA (PEM), present this client certificate and key (PEM), check this name. */
  tls: strictObject({ caFile: path.optional(), certFile: path.optional(), keyFile: path.optional(), serverName: z.string().min(1).optional() }).optional(),
  tenant: strictObject({
    /** The header the backend reads the tenant from (default X-Scope-OrgID). */
    header: headerName.optional(),
    /** Sent when neither the profile nor the request names a tenant. */
    default: tenantId.optional(),
    /** The tenants a request may name ("tenant" in the request or Flagger metadata). */
    allowed: z.array(tenantId).max(1000).optional(),
  }).optional(),
  /** Per-query timeout (default PROMETHEUS_QUERY_TIMEOUT_MS). */
  queryTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  /** At the latest, credential files are read again after this many seconds (they are also re-read at once when they change). */
  credentialsRefreshSeconds: z.number().int().min(1).max(86_400).optional(),
}).superRefine((backend, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const headerNames = Object.keys(backend.headers ?? {}).map((h) => h.toLowerCase());
  if (backend.bearerTokenFile && backend.basicAuth) issue(['bearerTokenFile'], 'give either "bearerTokenFile" or "basicAuth", not both: each sets the Authorization header');
  if ((backend.bearerTokenFile || backend.basicAuth) && headerNames.includes('authorization')) issue(['headers', 'Authorization'], 'the Authorization header comes from "bearerTokenFile" or "basicAuth" here: leave it out of "headers"');
  const url = new URL(backend.url);
  if ((backend.bearerTokenFile || backend.basicAuth) && (url.username || url.password)) issue(['url'], 'credentials go in "bearerTokenFile" or "basicAuth", not in the URL');
  if (backend.basicAuth && !!backend.basicAuth.username === !!backend.basicAuth.usernameFile) issue(['basicAuth'], 'give exactly one of "username" and "usernameFile"');
  if (backend.tls) {
    if (url.protocol !== 'https:') issue(['tls'], 'TLS settings need an https URL');
    if (!!backend.tls.certFile !== !!backend.tls.keyFile) issue(['tls', backend.tls.certFile ? 'keyFile' : 'certFile'], 'a client certificate needs both "certFile" and "keyFile"');
  }
  const tenantHeader = (backend.tenant?.header ?? DEFAULT_TENANT_HEADER).toLowerCase();
  if (backend.tenant && headerNames.includes(tenantHeader)) issue(['headers', backend.tenant.header ?? DEFAULT_TENANT_HEADER], 'the tenant header is set by "tenant" (per profile or request, within its allow-list): leave it out of "headers"');
  if (backend.tenant && ['authorization', 'host', 'content-type', 'content-length', 'accept', 'cookie'].includes(tenantHeader)) issue(['tenant', 'header'], `${backend.tenant.header} cannot carry a tenant`);
  if (backend.tenant?.default !== undefined && backend.tenant.allowed && !backend.tenant.allowed.includes(backend.tenant.default)) issue(['tenant', 'default'], `"${backend.tenant.default}" is not in tenant.allowed`);
});

export type BackendConfig = z.output<typeof backendSchema>;

export const backendMapSchema = z.record(z.string().regex(BACKEND_NAME, 'backend names are lower-case letters, digits, ".", "_" and "-"'), backendSchema);
export type BackendMap = z.output<typeof backendMapSchema>;
