import { Worker } from 'node:worker_threads';

/**
 * Kills this sandbox worker once its parent is gone. A worker in the middle of a file runs
 * synchronous code (pdf.js, the tokenizer) for as long as the file asks, so it would notice the
 * closed IPC channel only when done, and a never-ending file would keep an orphan burning a core
 * forever after its service crashed. A thread of its own is not blocked by that: it watches the
 * parent's pid and SIGKILLs the process when it changes (the orphan was re-parented).
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(process.pid, 'SIGKILL');
}, workerData.intervalMs);
`;

/** Starts the watchdog thread (plain JavaScript, evaluated: it needs no loader). */
export function watchForOrphaning(intervalMs = 500): void {
  const watchdog = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { parent: process.ppid, intervalMs } });
  // It must never be what keeps the worker alive.
  watchdog.unref();
}
