/**
 * The real kubectl against a simulated (or any) API server, echoing commands the way a user
 * would type them when asked to.
 */
import { runWithInput } from './child-output.js';
import { PodeipError } from '../../lib/errors.js';
import { testKubectl } from '../../lib/host-tools.js';

export class KubectlError extends PodeipError {
  constructor(args: string[], code: number | null, stderr: string) {
    super('KubectlFailed', `kubectl ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
  }
}

export interface KubectlRunOptions {
  input?: string;
  /** Print "$ kubectl ..." and the output. */
  echo?: boolean;
  /** What to show as the piped manifest when echoing (defaults to nothing). */
  echoInput?: unknown;
}

export class Kubectl {
  constructor(
    readonly kubeconfig: string,
    private readonly write: (text: string) => void = (t) => process.stdout.write(t),
    private readonly executable: string = testKubectl(),
  ) {}

  async run(args: string[], options: KubectlRunOptions = {}): Promise<string> {
    if (options.echo) {
      this.write(`$ kubectl ${args.map((a) => (/[\s{}'"]/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
      if (options.echoInput !== undefined) this.write(`${JSON.stringify(options.echoInput)}\n`);
    }
    const { exitCode, stdout, stderr } = await runWithInput(
      this.executable,
      ['--kubeconfig', this.kubeconfig, ...args],
      options.input ?? '',
    );
    if (exitCode !== 0) throw new KubectlError(args, exitCode, stderr);
    if (options.echo) this.write(stdout.endsWith('\n') || stdout === '' ? stdout : `${stdout}\n`);
    return stdout;
  }
}
