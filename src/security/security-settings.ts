// The security part of the server settings (TLS files, authentication mode and principals, probes, rate limits)
// and its defaults: plaintext, authentication on only when principals are configured, open probes, no limits.

import { NO_RATE_LIMITS, type RateLimitSettings } from './rate-limiter';
import type { TlsFiles } from './tls-credentials';

export interface SecuritySettings {
  /** TLS files; null serves plaintext. */
  tls: TlsFiles | null;
  /** auto: on when principals are configured; on: refuse to start without them; off: nobody is asked. */
  auth: 'auto' | 'on' | 'off';
  /** JSON principals file (principals.ts); '' for none. */
  principalsFile: string;
  /** The same JSON inline (INFERD_AUTH_PRINCIPALS); '' for none. */
  principalsJson: string;
  /** grpc.health.v1, ServerLive and ServerReady need no credentials. */
  openProbes: boolean;
  rateLimits: RateLimitSettings;
}

export const DEFAULT_SECURITY: SecuritySettings = {
  tls: null,
  auth: 'auto',
  principalsFile: '',
  principalsJson: '',
  openProbes: true,
  rateLimits: NO_RATE_LIMITS,
};
