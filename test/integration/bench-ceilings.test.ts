// The suite's transport ceilings answer like a model server: the bare echo and the echo through a worker-thread
// round trip each return a ModelInferResponse with the model's output shape to every one of many concurrent
// callers (the hop server's per-turn batching and its wake-ups must lose none of them).

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { ModelInferRequest, ModelInferResponse } from '../../generated/inference/grpc_service';
import { RawClient } from '../support/raw-client';
import { REPO_ROOT } from '../support/server';

const METHOD = '/inference.GRPCInferenceService/ModelInfer';

async function startCeiling(script: string, args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/bench', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, address: `127.0.0.1:${port}` };
}

const request = Buffer.from(
  ModelInferRequest.encode({
    modelName: 'tiny',
    modelVersion: '',
    id: '',
    parameters: {},
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [2n, 64n], parameters: {}, contents: undefined }],
    outputs: [],
    rawInputContents: [Buffer.alloc(2 * 64 * 4, 7)],
  }).finish(),
);

test.each(['echo-server.js', 'hop-echo-server.js'])('%s answers 200 concurrent calls, rounds of them in one turn', async (script) => {
  const { child, address } = await startCeiling(script, ['tiny', '2', '10']);
  const client = new RawClient(address);
  try {
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => client.unary(METHOD, request)));
      for (const a of answers) {
        if (!a.ok) throw a.error;
        const res = ModelInferResponse.decode(a.body);
        expect(res.outputs[0].shape).toEqual([2n, 10n]);
        expect(res.rawOutputContents[0].byteLength).toBe(2 * 10 * 4);
      }
    }
  } finally {
    client.close();
    child.kill('SIGTERM');
  }
});
