// The `inferd generate` command: an example streaming client. Sends a prompt to a decoupled character-level
// generator (models/generator) over ModelStreamInfer and prints each character as its response arrives.

import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import { GRPCInferenceServiceClient, type ModelStreamInferResponse } from '../../generated/inference/grpc_service';

interface GenerateOptions {
  url: string;
  model: string;
  maxTokens: number;
}

/** Streams the generation for `prompt` to `out`; resolves with the number of tokens received. */
export function generate(prompt: string, options: GenerateOptions, out: (text: string) => void): Promise<number> {
  const client = new GRPCInferenceServiceClient(options.url, grpc.credentials.createInsecure());
  const stream = client.modelStreamInfer();
  let tokens = 0;
  return new Promise<number>((resolve, reject) => {
    stream.on('data', (m: ModelStreamInferResponse) => {
      if (m.errorMessage !== '') {
        reject(new Error(m.errorMessage));
        stream.cancel();
        return;
      }
      const res = m.inferResponse!;
      if (res.parameters.triton_final_response?.boolParam === true) {
        stream.end();
        return;
      }
      const raw = res.rawOutputContents[0];
      out(String.fromCharCode(Number(raw.readBigInt64LE(0))));
      tokens++;
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(tokens));
    const codes = BigInt64Array.from([...prompt].map((c) => BigInt(c.codePointAt(0) ?? 0)));
    stream.write({
      modelName: options.model,
      modelVersion: '',
      id: 'generate',
      parameters: { max_tokens: { int64Param: BigInt(options.maxTokens) } },
      inputs: [{ name: 'TOKENS', datatype: 'INT64', shape: [1n, BigInt(codes.length)], parameters: {}, contents: undefined }],
      outputs: [{ name: 'NEXT_TOKEN', parameters: {} }],
      rawInputContents: [Buffer.from(codes.buffer)],
    });
  }).finally(() => client.close());
}

export function addGenerateCommand(program: Command, int: (name: string) => (v: string) => number): void {
  program
    .command('generate')
    .description('stream text from a decoupled generator model (models/generator), printing characters as they arrive')
    .argument('<prompt>', 'text to continue')
    .option('--url <host:port>', 'inferd gRPC address', '127.0.0.1:8001')
    .option('--model <name>', 'decoupled generator model', 'generator')
    .option('--max-tokens <n>', 'most characters to generate', int('--max-tokens'), 200)
    .action(async (prompt: string, opts: GenerateOptions) => {
      if (prompt === '') throw new Error('the prompt must not be empty');
      process.stdout.write(prompt);
      try {
        await generate(prompt, opts, (text) => process.stdout.write(text));
      } finally {
        process.stdout.write('\n');
      }
    });
}
