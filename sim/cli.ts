/** `podeip-sim up|cloud|kube [flags]`: picks the subcommand; each one describes its flags with --help. */
import { closest } from '../lib/did-you-mean.js';

const SUBCOMMANDS: Record<string, { entry: string; summary: string }> = {
  up: {
    entry: './stack/up.js',
    summary: 'a simulated cloud, Kubernetes API and node with a podeip-agent, to try podeip by hand (docs/try-it.md)',
  },
  cloud: {
    entry: './cloud/cli.js',
    summary: 'the Alibaba Cloud VPC/ECS OpenAPI, instance metadata and STS simulator (docs/simulators-cloud.md)',
  },
  kube: { entry: './kube/cli.js', summary: 'the Kubernetes API simulator (docs/simulators-kube.md)' },
};

const HELP = `usage: podeip-sim COMMAND [flags]

Local stand-ins for Alibaba Cloud and the Kubernetes API, and a simulated node to try podeip on.

commands:
${Object.entries(SUBCOMMANDS)
  .map(([name, c]) => `  ${name.padEnd(7)}${c.summary}`)
  .join('\n')}

podeip-sim COMMAND --help describes every flag of a command.
`;

export async function main(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    process.stderr.write(HELP);
    process.exitCode = 2;
    return;
  }
  if (sub === '--help' || sub === '-h' || sub === 'help') return void process.stdout.write(HELP);
  const command = SUBCOMMANDS[sub];
  if (!command) {
    const suggestion = closest(sub, Object.keys(SUBCOMMANDS));
    process.stderr.write(
      `podeip-sim: unknown command "${sub}"${suggestion ? `; did you mean ${suggestion}?` : ''} (podeip-sim --help lists the commands)\n`,
    );
    process.exitCode = 2;
    return;
  }
  const module = (await import(command.entry)) as { main(argv: string[]): Promise<void> };
  await module.main(rest);
}
