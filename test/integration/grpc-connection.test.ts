// Connection management for meshes: the keepalive / max-connection-age settings become grpc-js server options,
// and a server with a maximum connection age really sends GOAWAY, so the client's channel leaves READY and the
// next call opens a fresh connection (which is what lets a long-lived client spread over new pods). Covered for
// settings built in-process and for the `inferd serve` flags of a real child process.

import * as grpc from '@grpc/grpc-js';
import { connectionServerOptions } from '../../src/grpc/connection-options';
import { DEFAULT_SETTINGS } from '../../src/config/server-settings';
import type { InferdServer } from '../../src/server';
import { startServerProcess } from '../../bench/server-process';
import { call, startServer, tempRepository, tsProtoClient } from '../support/server';

/** Resolves with the channel's next state once it leaves `from`. */
function nextState(channel: ReturnType<grpc.Client["getChannel"]>, from: grpc.connectivityState): Promise<grpc.connectivityState> {
  return new Promise((resolve, reject) =>
    channel.watchConnectivityState(from, Date.now() + 25_000, (err) =>
      err ? reject(err) : resolve(channel.getConnectivityState(false)),
    ),
  );
}

/** A live call, then the connection ages out: the channel goes READY → IDLE, and a new call reconnects. */
async function expectAgedOutAndReconnects(address: string): Promise<void> {
  const client = tsProtoClient(address);
  try {
    expect(await call<{ live: boolean }>(client, 'serverLive', {})).toEqual({ live: true });
    const channel = client.getChannel();
    expect(channel.getConnectivityState(false)).toBe(grpc.connectivityState.READY);
    expect(await nextState(channel, grpc.connectivityState.READY)).toBe(grpc.connectivityState.IDLE);
    expect(await call<{ live: boolean }>(client, 'serverLive', {})).toEqual({ live: true });
    expect(channel.getConnectivityState(false)).toBe(grpc.connectivityState.READY);
  } finally {
    client.close();
  }
}

describe('connectionServerOptions', () => {
  test('defaults leave every grpc-js connection default in place', () => {
    expect(connectionServerOptions(DEFAULT_SETTINGS)).toEqual({});
  });

  test('each non-zero setting becomes its grpc-js option', () => {
    expect(
      connectionServerOptions({
        keepaliveTimeMs: 60_000,
        keepaliveTimeoutMs: 20_000,
        maxConnectionAgeMs: 300_000,
        maxConnectionAgeGraceMs: 30_000,
        maxConnectionIdleMs: 0,
      }),
    ).toEqual({
      'grpc.keepalive_time_ms': 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.max_connection_age_ms': 300_000,
      'grpc.max_connection_age_grace_ms': 30_000,
    });
  });
});

describe('max connection age', () => {
  let server: InferdServer;

  afterEach(async () => {
    await server?.stop();
  });

  test('in-process server: an aged connection is closed with GOAWAY and the client reconnects', async () => {
    server = await startServer({ modelRepository: await tempRepository({}), maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 1000 });
    await expectAgedOutAndReconnects(server.address);
  });

  test('`inferd serve --grpc-max-connection-age-ms` reaches the running server', async () => {
    const repo = await tempRepository({});
    const proc = await startServerProcess([
      '--model-repository', repo,
      '--grpc-max-connection-age-ms', '300',
      '--grpc-max-connection-age-grace-ms', '1000',
      '--grpc-keepalive-time-ms', '60000',
      '--grpc-keepalive-timeout-ms', '20000',
    ]);
    try {
      await expectAgedOutAndReconnects(proc.address);
    } finally {
      await proc.stop();
    }
  });

  test('without a maximum age the connection stays READY across calls', async () => {
    server = await startServer({ modelRepository: await tempRepository({}) });
    const client = tsProtoClient(server.address);
    try {
      await call(client, 'serverLive', {});
      // Long enough for several 300 ms ages, as in the tests above.
      await new Promise((r) => setTimeout(r, 1500));
      expect(client.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.READY);
    } finally {
      client.close();
    }
  });
});
