/** Runs a program with `input` on its stdin and collects what it prints, for the stack's CLI wrappers. */
import { spawn, type SpawnOptions } from 'node:child_process';

export interface ChildOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export function runWithInput(
  file: string,
  args: string[],
  input: string,
  options: Pick<SpawnOptions, 'env'> = {},
): Promise<ChildOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
    child.stdin.end(input);
  });
}
