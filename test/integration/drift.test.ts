// Input drift end to end: a baseline written by `inferd models baseline` (the real CLI) next to a model, traffic
// from the baseline distribution (PSI low), then shifted traffic (PSI high): the gauge moves and the warning line
// appears. A model without a baseline file takes its baseline from its first sampled requests.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import { captureLogs, type CapturedLogs } from '../support/log-capture';
import { scrape } from '../support/scrape';
import { call, int32Bytes, MODELS_DIR, REPO_ROOT, startServer, tempRepository, tsProtoClient } from '../support/server';

const WINDOW = 20;
const ROWS = 8;
let repo: string;
let server: InferdServer;
let client: grpc.Client;
let logs: CapturedLogs;

/** Deterministic standard normal samples (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function mlpRows(next: () => number, rows: number, shift: number): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: 4 }, (_, f) => f + next() + shift));
}

function mlpRequest(rows: number[][]) {
  return {
    modelName: 'mlp',
    modelVersion: '',
    id: '',
    parameters: {},
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [BigInt(rows.length), 4n], parameters: {}, contents: undefined }],
    outputs: [],
    rawInputContents: [Buffer.from(new Float32Array(rows.flat()).buffer)],
  };
}

beforeAll(async () => {
  repo = await tempRepository({ mlp: path.join(MODELS_DIR, 'mlp'), simple: path.join(MODELS_DIR, 'simple') });
  const data = path.join(repo, 'representative.json');
  await fs.writeFile(data, JSON.stringify({ INPUT: mlpRows(normals(1), 2000, 0) }));
  const cli = path.join(REPO_ROOT, 'dist/src/cli/main.js');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'models', 'baseline', path.join(repo, 'mlp'), '--data', data]);
  expect(stdout).toContain(`wrote ${path.join(repo, 'mlp', 'drift_baseline.json')} (INPUT: 8000 values, 10 bins)`);
  logs = captureLogs('info');
  server = await startServer(
    {
      modelRepository: repo,
      telemetry: { driftSampleEvery: 1, driftWindowRequests: WINDOW, driftBaselineRequests: WINDOW, driftPsiThreshold: 0.2 },
    },
    logs.log,
  );
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

const psiOf = async (model: string, input: string): Promise<number | undefined> =>
  (await scrape(server.metricsPort)).value('inferd_input_drift_psi', { model, version: '1', input });

test('baseline-like traffic keeps PSI low; shifted traffic raises it, moves the gauge and logs a warning', async () => {
  expect(logs.find('drift monitoring started').find((l) => l.model === 'mlp')?.baseline).toBe('representative.json');
  expect(await psiOf('mlp', 'INPUT')).toBeUndefined();
  const same = normals(2);
  for (let i = 0; i < WINDOW; i++) await call(client, 'modelInfer', mlpRequest(mlpRows(same, ROWS, 0)));
  const low = (await psiOf('mlp', 'INPUT')) as number;
  expect(low).toBeLessThan(0.1);
  expect(logs.find('input drift over threshold')).toHaveLength(0);

  const shifted = normals(3);
  for (let i = 0; i < WINDOW; i++) await call(client, 'modelInfer', mlpRequest(mlpRows(shifted, ROWS, 1.5)));
  const high = (await psiOf('mlp', 'INPUT')) as number;
  expect(high).toBeGreaterThan(0.25);
  const shift = (await scrape(server.metricsPort)).value('inferd_input_drift_max_feature_shift', { model: 'mlp', version: '1', input: 'INPUT' });
  expect(shift).toBeGreaterThan(1);
  const warned = logs.find('input drift over threshold');
  expect(warned).toHaveLength(1);
  expect(warned[0]).toMatchObject({ level: 40, model: 'mlp', version: 1, input: 'INPUT', threshold: 0.2 });
  expect(warned[0].psi).toBeCloseTo(high, 3);

  for (let i = 0; i < WINDOW; i++) await call(client, 'modelInfer', mlpRequest(mlpRows(same, ROWS, 0)));
  expect(await psiOf('mlp', 'INPUT')).toBeLessThan(0.1);
  expect(logs.find('input drift back under threshold')).toHaveLength(1);
});

test('without a baseline file the first sampled requests become the baseline', async () => {
  const request = (offset: number, i: number) => ({
    modelName: 'simple',
    modelVersion: '',
    id: '',
    parameters: {},
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined })),
    outputs: [],
    rawInputContents: [int32Bytes(Array.from({ length: 16 }, (_, k) => offset + ((k + i) % 10))), int32Bytes(new Array(16).fill(1))],
  });
  expect(logs.find('drift monitoring started').find((l) => l.model === 'simple')?.baseline).toBe(`first ${WINDOW} sampled requests`);
  for (let i = 0; i < WINDOW; i++) await call(client, 'modelInfer', request(0, i));
  expect(logs.find('drift baseline taken from requests').map((l) => l.model)).toEqual(['simple']);
  expect(await psiOf('simple', 'INPUT0')).toBeUndefined();
  for (let i = 0; i < WINDOW; i++) await call(client, 'modelInfer', request(0, i));
  expect(await psiOf('simple', 'INPUT0')).toBeLessThan(0.01);
  for (let i = 0; i < WINDOW; i++) await call(client, 'modelInfer', request(20, i));
  expect(await psiOf('simple', 'INPUT0')).toBeGreaterThan(1);
  expect(await psiOf('simple', 'INPUT1')).toBeLessThan(0.01);
  expect(logs.find('input drift over threshold').map((l) => [l.model, l.input])).toContainEqual(['simple', 'INPUT0']);
});
