// Where the CPU time of a benchmark level goes: this load client's own CPU (every thread of its process), the
// server's (every thread of a local server process, given its pid; Linux /proc), and how busy the whole machine was.
// Divided by the level's requests, these say whether a level was bound by CPU (machine near 100 % busy: throughput
// is cores ÷ CPU per request) or by latency (idle cores while requests wait on hand-offs).

import { promises as fs } from 'node:fs';
import * as os from 'node:os';

export interface CpuSplit {
  /** CPU µs per request spent by the load client's process (all its threads). */
  clientUsPerRequest: number;
  /** CPU µs per request spent by the server's process (all its threads); absent without a local server pid. */
  serverUsPerRequest?: number;
  /** Share of all cores' time that was busy during the level (whatever ran), in percent; absent off Linux. */
  machineBusyPercent?: number;
}

interface CpuMark {
  clientUs: number;
  serverNs: number | null;
  /** Busy and total jiffies of all cores, from /proc/stat. */
  machine: { busy: number; total: number } | null;
}

/** CPU ns of every thread of `pid` so far (sum of /proc/<pid>/task/<tid>/schedstat); null when unreadable. */
async function processCpuNs(pid: number): Promise<number | null> {
  try {
    const tasks = await fs.readdir(`/proc/${pid}/task`);
    let ns = 0;
    for (const tid of tasks) {
      const text = await fs.readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '');
      ns += Number(text.split(' ')[0]) || 0;
    }
    return ns;
  } catch {
    return null;
  }
}

async function machineJiffies(): Promise<CpuMark['machine']> {
  try {
    const line = (await fs.readFile('/proc/stat', 'utf8')).split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
    const busy = f[0] + f[1] + f[2] + f[5] + f[6];
    return { busy, total: f.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

export class CpuMeter {
  /** `serverPid`: the server's process when it runs on this machine (0: not known). */
  constructor(private readonly serverPid: number) {}

  async mark(): Promise<CpuMark> {
    const u = process.cpuUsage();
    return {
      clientUs: u.user + u.system,
      serverNs: this.serverPid > 0 ? await processCpuNs(this.serverPid) : null,
      machine: os.platform() === 'linux' ? await machineJiffies() : null,
    };
  }

  /** The split between two marks taken around `requests` requests. */
  static split(before: CpuMark, after: CpuMark, requests: number): CpuSplit {
    const n = Math.max(1, requests);
    const split: CpuSplit = { clientUsPerRequest: (after.clientUs - before.clientUs) / n };
    if (before.serverNs !== null && after.serverNs !== null) split.serverUsPerRequest = (after.serverNs - before.serverNs) / 1000 / n;
    if (before.machine && after.machine && after.machine.total > before.machine.total) {
      split.machineBusyPercent = (100 * (after.machine.busy - before.machine.busy)) / (after.machine.total - before.machine.total);
    }
    return split;
  }
}
