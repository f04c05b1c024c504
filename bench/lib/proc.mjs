// Child processes of the bench: servers under test (each its own process, so the load
// generator, the servers and this orchestrator never share an event loop) and their memory.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Every child still running, so an interrupted bench leaves nothing behind. */
const running = new Set();

/** Stops every child still running (SIGKILL: used on interrupt and on a crash only). */
export function killAll() {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

let clockTicks = null;

/** CPU time (user + system) a process has used so far, in milliseconds; null once it has gone. */
export function cpuMsOf(pid) {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") ": utime is the
    // 14th field of the line, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM of a process in MiB, or null once it has gone. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * Starts a server process and resolves once a line of its stdout matches `ready`.
 * The match's first group, when it is JSON, is returned as `info`.
 *
 * @param {{ name: string, command: string, args: string[], env?: Record<string, string>,
 *   cwd?: string, ready: RegExp, timeoutMs?: number }} o
 */
export function startServer(o) {
  return new Promise((resolve, reject) => {
    const child = spawn(o.command, o.args, {
      env: { ...process.env, ...o.env },
      cwd: o.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let out = '';
    let err = '';
    let settled = false;
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      running.delete(child);
      reject(new Error(`${o.name}: ${message}\n${err.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail('did not become ready in time'), o.timeoutMs ?? 60_000);
    child.stderr.on('data', (chunk) => {
      err += chunk;
      if (err.length > 100_000) err = err.slice(-50_000);
    });
    child.stdout.on('data', (chunk) => {
      if (settled) return;
      out += chunk;
      const m = o.ready.exec(out);
      if (!m) return;
      settled = true;
      clearTimeout(timer);
      let info = m[1];
      try {
        info = JSON.parse(m[1]);
      } catch {
        // Not JSON: keep the text.
      }
      resolve(handleOf(o.name, child, info, () => err));
    });
    child.on('exit', (code, signal) => {
      running.delete(child);
      fail(`exited before it was ready (code ${code}, signal ${signal})`);
    });
  });
}

function handleOf(name, child, info, stderr) {
  let exited = false;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      running.delete(child);
      resolve({ code, signal });
    });
  });
  let sampler = null;
  let peakRssMiB = 0;
  return {
    name,
    pid: child.pid,
    info,
    stderr,
    get exited() {
      return exited;
    },
    /** Starts sampling VmRSS every `everyMs` (the peak since the last call is kept). */
    sampleMemory(everyMs = 100) {
      peakRssMiB = memoryOf(child.pid)?.rssMiB ?? 0;
      if (sampler) clearInterval(sampler);
      sampler = setInterval(() => {
        const m = memoryOf(child.pid);
        if (m && m.rssMiB > peakRssMiB) peakRssMiB = m.rssMiB;
      }, everyMs);
    },
    /** CPU time the server has used so far (ms). */
    cpuMs() {
      return cpuMsOf(child.pid);
    },
    /** Stops sampling; the peak VmRSS seen since sampleMemory() and VmHWM (peak over the life). */
    memoryPeak() {
      if (sampler) clearInterval(sampler);
      sampler = null;
      const m = memoryOf(child.pid);
      if (m && m.rssMiB > peakRssMiB) peakRssMiB = m.rssMiB;
      return { peakRssMiB, hwmMiB: m?.hwmMiB ?? null };
    },
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code and signal. */
    async stop(graceMs = 15_000) {
      if (sampler) clearInterval(sampler);
      if (!exited) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exit;
      clearTimeout(killer);
      return result;
    },
  };
}

/** Runs a command to completion, collecting stdout; rejects on a non-zero exit. */
export function runToEnd(command, args, { env, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
      if (err.length > 100_000) err = err.slice(-50_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) resolve({ stdout: out, stderr: err });
      else
        reject(
          new Error(
            `${command} ${args[0] ?? ''} failed (code ${code}, signal ${signal}): ${err.slice(-2000)}`,
          ),
        );
    });
  });
}
