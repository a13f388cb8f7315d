// `npm run fuzz [cases] [seed]`: a long fuzz run of ModelInfer against an in-process server on the models/
// repository; prints the outcome table per case kind and writes the full report to fuzz-report.json.
// Exit status 1 when any case got an unacceptable status, the server went down, or memory grew past 64 MiB.

import { promises as fs } from 'node:fs';
import { formatReport, runFuzz } from '../test/support/fuzz';
import { startServer } from '../test/support/server';

async function main(): Promise<void> {
  const cases = Number(process.argv[2] ?? 20000);
  const seed = Number(process.argv[3] ?? Date.now() % 100000);
  const server = await startServer({ maxMessageBytes: 4 * 1024 * 1024 });
  try {
    console.log(`fuzzing ModelInfer at ${server.address}: ${cases} cases, seed ${seed}`);
    const report = await runFuzz(server.address, { seed, cases, warmup: Math.min(1000, Math.floor(cases / 4)), concurrency: 16 });
    console.log(formatReport(report));
    await fs.writeFile('fuzz-report.json', JSON.stringify({ seed, ...report }, null, 2));
    const grew = report.memoryMiB.atEnd - report.memoryMiB.afterWarmup;
    if (report.failures.length > 0 || !report.serverLiveAtEnd || grew > 64) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
