// Server settings and their defaults. The CLI fills them from flags (with INFERD_* environment fallbacks);
// tests build them directly.

import { DEFAULT_INPUT_LIMITS, type InputLimits } from '../dataplane/input-limits';
import type { ControlMode } from '../repository/model-repository';
import { DEFAULT_SECURITY, type SecuritySettings } from '../security/security-settings';
import { DEFAULT_TELEMETRY_SETTINGS, type TelemetrySettings } from './telemetry-settings';

export interface ServerSettings {
  modelRepository: string;
  /** Host to bind the gRPC port on; 0.0.0.0 serves every interface. */
  grpcHost: string;
  /** 0 picks a free port (tests). */
  grpcPort: number;
  modelControlMode: ControlMode;
  /** Models to load at start in explicit mode. */
  loadModels: string[];
  /** Largest gRPC message accepted or sent, in bytes. */
  maxMessageBytes: number;
  /** max_batch_size for auto-completed models that can batch (Triton's --backend-config default-max-batch-size). */
  defaultMaxBatchSize: number;
  /** onnxruntime intra-op threads per instance; 0: a model's instances share the cores but one (sharedIntraOpThreads). */
  intraOpThreads: number;
  /** Server-wide limit on the input bytes of accepted, unfinished requests (RESOURCE_EXHAUSTED past it); 0: none. */
  maxInflightBytes: number;
  logLevel: string;
  /** Server keepalive ping interval on idle connections, ms (0: grpc-js default, no pings). */
  keepaliveTimeMs: number;
  /** How long a keepalive ping may go unanswered before the connection is closed, ms (0: grpc-js default). */
  keepaliveTimeoutMs: number;
  /** Connections older than this get a GOAWAY so clients reconnect and rebalance, ms (0: unlimited). */
  maxConnectionAgeMs: number;
  /** Time calls on an aged-out connection get to finish before it is closed, ms (0: unlimited). */
  maxConnectionAgeGraceMs: number;
  /** Connections without calls for this long are closed, ms (0: unlimited). */
  maxConnectionIdleMs: number;
  /** TLS, authentication, rate limits (src/security/). */
  security: SecuritySettings;
  /** Size limits on inference inputs (src/dataplane/input-limits.ts). */
  inputLimits: InputLimits;
  /** Poll mode: seconds between scans of the model repository (Triton's --repository-poll-secs). */
  repositoryPollSecs: number;
  /** Drain: seconds the server keeps accepting calls after it turned not-ready, so load balancers notice. */
  drainGraceSecs: number;
  /** Drain: seconds allowed for open calls and queued requests to finish once accepting stops (Triton: 30). */
  exitTimeoutSecs: number;
  /** Response cache capacity in bytes for models with `response_cache { enable: true }`; 0 turns it off. */
  responseCacheBytes: number;
  /** Logs format, metrics endpoint, tracing, drift monitoring. */
  telemetry: TelemetrySettings;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  modelRepository: 'models',
  grpcHost: '0.0.0.0',
  grpcPort: 8001,
  modelControlMode: 'none',
  loadModels: [],
  maxMessageBytes: 256 * 1024 * 1024,
  defaultMaxBatchSize: 4,
  intraOpThreads: 0,
  maxInflightBytes: 1024 * 1024 * 1024,
  logLevel: 'info',
  keepaliveTimeMs: 0,
  keepaliveTimeoutMs: 0,
  maxConnectionAgeMs: 0,
  maxConnectionAgeGraceMs: 0,
  maxConnectionIdleMs: 0,
  security: DEFAULT_SECURITY,
  inputLimits: DEFAULT_INPUT_LIMITS,
  repositoryPollSecs: 15,
  drainGraceSecs: 2,
  exitTimeoutSecs: 30,
  responseCacheBytes: 64 * 1024 * 1024,
  telemetry: DEFAULT_TELEMETRY_SETTINGS,
};
