/**
 * Writes that a reader (the runtime loading CNI configs, or exec'ing the plugin) never sees half
 * done: a temp file in the same directory, fsync, rename. Temp names end in neither .conf,
 * .conflist nor .json, so libcni never loads one.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Buffer, mode: number): void {
  const temp = join(dirname(path), `.${basename(path)}.podeip-tmp-${process.pid}`);
  try {
    const fd = openSync(temp, 'w', mode);
    try {
      fchmodSync(fd, mode); // exactly `mode`, whatever the umask
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
  syncDirectory(dirname(path));
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
