// Builds the server's security parts from its settings: the port credentials (TLS files that reload, or
// insecure), the principal store, the rate limiter and the interceptor that applies them. Decides whether
// authentication is on (`auto`: when principals are configured) and warns loudly when a public address is served
// without authentication or without TLS.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../telemetry/logger';
import { PrincipalStore } from './principals';
import { RateLimiter } from './rate-limiter';
import { createSecurityInterceptor } from './security-interceptor';
import type { SecuritySettings } from './security-settings';
import { ReloadingServerCredentials } from './tls-credentials';

export interface ServerSecurity {
  credentials: grpc.ServerCredentials;
  /**
   * The security interceptor, or none when there is nothing to check: authentication off and no rate limits
   * (credentials are then never read, and calls skip an interceptor layer).
   */
  interceptors: grpc.ServerInterceptor[];
  /** True when calls must carry credentials. */
  authenticating: boolean;
  close(): void;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function loadPrincipals(s: SecuritySettings): PrincipalStore | null {
  if (s.principalsFile && s.principalsJson) {
    throw new Error('give the auth principals either in a file (--auth-principals-file) or in INFERD_AUTH_PRINCIPALS, not both');
  }
  if (s.principalsFile) return PrincipalStore.fromFile(s.principalsFile);
  if (s.principalsJson) return PrincipalStore.parse(s.principalsJson, 'INFERD_AUTH_PRINCIPALS');
  return null;
}

/**
 * Throws an Error with a clear message when a file is unreadable or the settings contradict each other.
 * `undecodable` tells the transport's markers for request bytes it could not decode (its handlers answer those).
 */
export function buildServerSecurity(
  s: SecuritySettings,
  host: string,
  log: Logger,
  undecodable: (message: unknown) => boolean = () => false,
): ServerSecurity {
  const store = loadPrincipals(s);
  if (s.auth === 'on' && !store) {
    throw new Error('--auth on needs principals: --auth-principals-file <file> or INFERD_AUTH_PRINCIPALS');
  }
  const principals = s.auth === 'off' ? null : store;
  const tls = s.tls ? new ReloadingServerCredentials(s.tls, log.child({ part: 'tls' })) : null;
  if (!isLoopback(host)) {
    if (!principals) {
      log.warn(
        { host },
        '!!! SERVING ON A NON-LOOPBACK ADDRESS WITHOUT AUTHENTICATION: anyone who can reach this port can run, ' +
          'load and unload models. Set --auth-principals-file (and --tls-cert/--tls-key) or bind 127.0.0.1 !!!',
      );
    }
    if (!tls) log.warn({ host }, 'serving a non-loopback address without TLS: requests and tokens travel in clear');
  }
  if (principals) log.info({ principals: principals.size, openProbes: s.openProbes }, 'authentication on');
  const rateLimiter = new RateLimiter(s.rateLimits);
  const guarding = principals !== null || rateLimiter.limits;
  const options = { principals, openProbes: s.openProbes, rateLimiter, undecodable, log: log.child({ part: 'security' }) };
  return {
    credentials: tls ?? grpc.ServerCredentials.createInsecure(),
    interceptors: guarding ? [createSecurityInterceptor(options)] : [],
    authenticating: principals !== null,
    close: () => tls?.close(),
  };
}
