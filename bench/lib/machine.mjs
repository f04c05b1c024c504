// The machine a result came from, as the README shows it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

function run(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // Not Linux: keep os.cpus().
  }
  return {
    nproc: Number(run('nproc', [])) || cpus().length,
    cpuModel,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeH: run('free', ['-h']),
    node: process.version,
    kernel: run('uname', ['-sr']),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
