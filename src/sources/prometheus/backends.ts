/**
 * The configured backends (backend-config.ts) as clients: one `PrometheusClient` per backend,
 * sharing its transport (an https agent with the backend's CA and client certificate), its
 * credentials (files re-read when they rotate) and its limits; one `PrometheusSource` per
 * (backend, tenant) pair actually used, made on first use.
 *
 * Which backend and tenant an analysis reads (`choose`):
 * - the backend: the profile's `backend`, else "default";
 * - the tenant: the request's `tenant` if it names one (only from the backend's
 *   `tenant.allowed`: a caller never reaches a tenant the operator did not list), else the
 *   profile's `tenant`, else the backend's `tenant.default`, else none (no tenant header).
 */
import fs from 'node:fs';
import type { Agent } from 'undici';
import { PrometheusClient, type ClientAuth, type QueryObserver } from './client';
import { PrometheusSource } from './prometheus-source';
import { DEFAULT_BACKEND, DEFAULT_TENANT_HEADER, type BackendConfig } from './backend-config';
import { FileSecret } from './file-secret';
import { BackendChoiceError, SourceUnavailableError, type MetricSources, type SourceChoice } from '../metric-source';

/** Credential files are read again at least this often (seconds) unless the backend says otherwise. */
export const DEFAULT_CREDENTIALS_REFRESH_SECONDS = 60;

export interface BackendDefaults {
  readonly queryTimeoutMs: number;
  readonly maxAnswerBytes?: number;
  readonly observe?: QueryObserver;
  /** Injected for tests (plain http backends only). */
  readonly fetch?: typeof fetch;
}

interface Backend {
  readonly config: BackendConfig;
  readonly close?: () => Promise<void>;
  readonly client: PrometheusClient;
  readonly auth?: FileAuth;
  readonly sources: Map<string, PrometheusSource>;
}

export class Backends implements MetricSources {
  readonly #backends = new Map<string, Backend>();

  constructor(configs: Readonly<Record<string, BackendConfig>>, defaults: BackendDefaults) {
    for (const [name, config] of Object.entries(configs)) {
      const refresh = config.credentialsRefreshSeconds ?? DEFAULT_CREDENTIALS_REFRESH_SECONDS;
      const auth = fileAuth(config, refresh);
      auth?.checkNow();
      const tls = config.tls ? tlsFetch(config.tls, refresh) : undefined;
      const client = new PrometheusClient({
        baseUrl: config.url,
        headers: config.headers,
        queryTimeoutMs: config.queryTimeoutMs ?? defaults.queryTimeoutMs,
        maxAnswerBytes: defaults.maxAnswerBytes,
        observe: defaults.observe,
        fetch: tls?.fetch ?? defaults.fetch,
        backend: name,
        ...(auth ? { auth } : {}),
        ...(tls ? { tls: tls.description } : {}),
      });
      this.#backends.set(name, { config, client, auth, sources: new Map(), ...(tls ? { close: tls.close } : {}) });
    }
  }

  get names(): string[] {
    return [...this.#backends.keys()];
  }

  has(name: string): boolean {
    return this.#backends.has(name);
  }

  /**
   * Why a profile's `backend` / `tenant` cannot be used, or undefined: checked when profiles
   * load, so a bad profile stops the service at start instead of failing its analyses.
   */
  profileProblem(backend: string | undefined, tenant: string | undefined): string | undefined {
    const name = backend ?? DEFAULT_BACKEND;
    const found = this.#backends.get(name);
    if (!found) return `unknown backend ${JSON.stringify(name)}; configured: ${this.names.join(', ') || 'none (set PROMETHEUS_URL or PROMETHEUS_BACKENDS)'}`;
    if (tenant !== undefined && !found.config.tenant) return `backend "${name}" has no "tenant" settings, so a profile cannot name a tenant for it`;
    if (tenant !== undefined && found.config.tenant?.allowed && !found.config.tenant.allowed.includes(tenant)) return `tenant "${tenant}" is not in backend "${name}"'s tenant.allowed`;
    return undefined;
  }

  /** The source of an analysis (see the header); throws BackendChoiceError for a backend or tenant it may not use. */
  choose(choice: SourceChoice): PrometheusSource {
    const name = choice.backend ?? DEFAULT_BACKEND;
    const backend = this.#backends.get(name);
    if (!backend && name === DEFAULT_BACKEND) throw new SourceUnavailableError(`no default backend is configured (PROMETHEUS_URL); name a profile whose "backend" is one of ${this.names.join(', ')}`, 'not-configured');
    if (!backend) throw new BackendChoiceError(`unknown backend ${JSON.stringify(name)}; configured: ${this.names.join(', ')}`, 'profile');
    const settings = backend.config.tenant;
    if (choice.requestTenant !== undefined) {
      if (!settings?.allowed?.length) throw new BackendChoiceError(`backend "${name}" takes no tenant from requests (its tenant.allowed lists none)`, 'tenant');
      if (!settings.allowed.includes(choice.requestTenant)) throw new BackendChoiceError(`tenant ${JSON.stringify(choice.requestTenant)} is not allowed on backend "${name}"; allowed: ${settings.allowed.join(', ')}`, 'tenant');
    }
    const tenant = choice.requestTenant ?? choice.profileTenant ?? settings?.default;
    const key = tenant ?? '';
    let source = backend.sources.get(key);
    if (!source) {
      const client = tenant === undefined ? backend.client : backend.client.withHeaders({ [settings?.header ?? DEFAULT_TENANT_HEADER]: tenant }, tenant);
      source = new PrometheusSource(client);
      backend.sources.set(key, source);
    }
    return source;
  }

  /** Closes the https agents' connections (tests; the service keeps them for its lifetime). */
  async close(): Promise<void> {
    await Promise.all([...this.#backends.values()].map((backend) => backend.close?.()));
  }

  /** Every credential value read so far and every static header value, for masking log text. */
  secrets(): string[] {
    const out: string[] = [];
    for (const backend of this.#backends.values()) {
      out.push(...Object.values(backend.config.headers ?? {}), ...(backend.auth?.secrets() ?? []));
    }
    return out.filter((s) => s.length >= 8);
  }
}

/** Authorization from files (bearer token or basic auth), read fresh per query. */
interface FileAuth extends ClientAuth {
  checkNow(): void;
}

function fileAuth(config: BackendConfig, refreshSeconds: number): FileAuth | undefined {
  if (config.bearerTokenFile) {
    const token = new FileSecret(config.bearerTokenFile, 'bearer token', refreshSeconds);
    return {
      description: `the bearer token from ${config.bearerTokenFile}`,
      headers: async () => ({ Authorization: `Bearer ${await token.value()}` }),
      secrets: () => (token.current ? [token.current] : []),
      checkNow: () => token.checkNow(),
    };
  }
  const basic = config.basicAuth;
  if (basic) {
    const password = new FileSecret(basic.passwordFile, 'basic-auth password', refreshSeconds);
    const usernameFile = basic.usernameFile ? new FileSecret(basic.usernameFile, 'basic-auth username', refreshSeconds) : undefined;
    const encode = (user: string, pass: string) => Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
    return {
      description: `basic auth with the password from ${basic.passwordFile}`,
      headers: async () => ({ Authorization: `Basic ${encode(usernameFile ? await usernameFile.value() : basic.username!, await password.value())}` }),
      secrets: () => (password.current ? [password.current, encode(usernameFile?.current ?? basic.username ?? '', password.current)] : []),
      checkNow: () => {
        password.checkNow();
        usernameFile?.checkNow();
      },
    };
  }
  return undefined;
}

/**
 * A fetch over an https agent trusting `caFile` and presenting `certFile` / `keyFile`. The
 * files are read at start (a missing one stops the service, naming it) and again when any of
 * them changes (cert-manager renews certificates in place): a new agent takes the new queries,
 * the old one finishes its own and closes.
 */
function tlsFetch(tls: NonNullable<BackendConfig['tls']>, refreshSeconds: number): { fetch: typeof fetch; description: string; close(): Promise<void> } {
  const files = [tls.caFile, tls.certFile, tls.keyFile].filter((f): f is string => f !== undefined);
  const stamp = () => files.map((file) => {
    const stat = fs.statSync(file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  }).join('|');
  const read = (file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read the TLS file ${file} (${(error as { code?: string }).code ?? 'unreadable'})`);
    }
  };
  // Read now, so that a missing file stops the service at start, naming it.
  let material = { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile) };
  let current = stamp();
  let checkedAt = Date.now();
  // undici (~0.5 s to load) is loaded with the first https query, not by every process that reads the config (the CLI).
  // A promise, so that the queries of the first analysis share one agent.
  let agent: Promise<Agent> | undefined;
  const build = async () => {
    const { Agent: UndiciAgent } = await import('undici');
    return new UndiciAgent({ connect: { ...material, ...(tls.serverName ? { servername: tls.serverName } : {}) } });
  };
  const described = [tls.caFile && `the CA in ${tls.caFile}`, tls.certFile && `the client certificate in ${tls.certFile}`, tls.serverName && `the server name "${tls.serverName}"`].filter(Boolean).join(', ');
  const fetchOver = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // Checked at most once a second: a stat per file per query is cheap, but not free.
    if (Date.now() - checkedAt >= Math.min(1000, refreshSeconds * 1000)) {
      checkedAt = Date.now();
      let now: string | undefined;
      try {
        now = stamp();
      } catch {
        // A file mid-rotation (symlink swapped): keep the agent until it is back.
      }
      if (now !== undefined && now !== current) {
        material = { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile) };
        current = now;
        const old = agent;
        agent = undefined;
        void old?.then((previous) => previous.close()).catch(() => undefined);
      }
    }
    agent ??= build();
    // The runtime's own fetch with this agent: its Response is the one the client reads everywhere.
    return fetch(input, { ...init, dispatcher: await agent } as unknown as RequestInit);
  };
  return { fetch: fetchOver as typeof fetch, description: described || 'the TLS settings', close: async () => {
    const open = agent;
    agent = undefined;
    await (await open)?.close();
  } };
}
