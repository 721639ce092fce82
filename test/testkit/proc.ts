// Processes as /proc shows them: a process tree, its memory, the processes working in a directory.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface ProcessInfo {
  pid: number;
  /** Command line as the process shows it (PostgreSQL puts its role there: "postgres: checkpointer"). */
  command: string;
  /** Resident set size, MB. */
  rssMb: number;
  /** Proportional set size, MB: shared pages divided among the processes sharing them. */
  pssMb: number;
}

function pids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Processes whose command line starts with `prefix` (Dovecot titles its own `dovecot-<instance>/<service>`). */
export function processesTitled(prefix: string): number[] {
  return pids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith(prefix);
    } catch {
      return false; // raced with its exit
    }
  });
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of pids()) {
    const parent = parentOf(p);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

function kbField(text: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
}

/** Memory and command line of a process, or undefined when it is gone. */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { pid, command, rssMb: kbField(status, 'VmRSS') / 1024, pssMb: kbField(rollup, 'Pss') / 1024 };
  } catch {
    return undefined;
  }
}

/** Processes whose working directory is `dir` or below it (PostgreSQL works in its data directory). */
export function processesIn(dir: string): number[] {
  const root = path.resolve(dir);
  return pids().filter((p) => {
    try {
      const cwd = readlinkSync(`/proc/${p}/cwd`);
      return cwd === root || cwd.startsWith(root + path.sep);
    } catch {
      return false;
    }
  });
}
