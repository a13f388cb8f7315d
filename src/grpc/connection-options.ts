// Connection management for long-lived gRPC connections behind meshes and L4 load balancers: the server settings
// that become grpc-js server options (keepalive pings, maximum connection age and idle time). A maximum connection
// age makes clients reconnect now and then, so their connections spread over pods added by an autoscaler.

import type * as grpc from '@grpc/grpc-js';
import type { ServerSettings } from '../config/server-settings';

export type ConnectionSettings = Pick<
  ServerSettings,
  'keepaliveTimeMs' | 'keepaliveTimeoutMs' | 'maxConnectionAgeMs' | 'maxConnectionAgeGraceMs' | 'maxConnectionIdleMs'
>;

/** grpc-js server options for the settings; a setting of 0 leaves grpc-js's default (unlimited / no pings). */
export function connectionServerOptions(settings: ConnectionSettings): grpc.ServerOptions {
  const pairs: Array<[keyof grpc.ServerOptions, number]> = [
    ['grpc.keepalive_time_ms', settings.keepaliveTimeMs],
    ['grpc.keepalive_timeout_ms', settings.keepaliveTimeoutMs],
    ['grpc.max_connection_age_ms', settings.maxConnectionAgeMs],
    ['grpc.max_connection_age_grace_ms', settings.maxConnectionAgeGraceMs],
    ['grpc.max_connection_idle_ms', settings.maxConnectionIdleMs],
  ];
  return Object.fromEntries(pairs.filter(([, ms]) => ms > 0));
}
