#!/usr/bin/env node
/**
 * npm test's pretest step: the tests drive the real kubectl and promtool. When one is missing it
 * is installed from Debian's packages if this runs as root; otherwise this stops and prints the
 * exact command to run. `--check` only reports (exit 1 when something is missing).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const TOOLS = [
  { name: 'kubectl', envVar: 'KUBECTL', debianPackage: 'kubernetes-client' },
  { name: 'promtool', envVar: 'PROMTOOL', debianPackage: 'prometheus' },
];

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function find(tool) {
  const override = process.env[tool.envVar]?.trim();
  if (override) return executable(override) ? override : undefined;
  return (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, tool.name)).find(executable);
}

function say(line) {
  process.stderr.write(`test-tools: ${line}\n`);
}

const missing = TOOLS.filter((tool) => !find(tool));
if (missing.length === 0) process.exit(0);

const packages = missing.map((tool) => tool.debianPackage);
const names = missing.map((tool) => `${tool.name} (Debian package ${tool.debianPackage})`).join(', ');
const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`;
const isRoot = process.getuid?.() === 0;
const hasApt = (process.env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, 'apt-get')));

if (process.argv.includes('--check') || !isRoot || !hasApt) {
  say(`the tests need ${names}, which ${missing.length > 1 ? 'are' : 'is'} not on PATH.`);
  if (hasApt) say(`install ${missing.length > 1 ? 'them' : 'it'} as root, then run npm test again:\n\n    sudo sh -c '${command}'\n`);
  else say(`install ${missing.length > 1 ? 'them' : 'it'} with your system's package manager (on Debian: ${command}), or point ${missing.map((t) => t.envVar).join('/')} at the executable.`);
  process.exit(1);
}

say(`installing ${names}: ${command}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...packages]]) {
  const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (result.status !== 0) {
    say(`apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal}); run it by hand: ${command}`);
    process.exit(1);
  }
}
const stillMissing = missing.filter((tool) => !find(tool));
if (stillMissing.length > 0) {
  say(`installed ${packages.join(' ')} but ${stillMissing.map((t) => t.name).join(', ')} is still not on PATH (${process.env.PATH}): add its directory to PATH or set ${stillMissing.map((t) => t.envVar).join('/')}.`);
  process.exit(1);
}
say(`ready: ${TOOLS.map((tool) => `${tool.name} ${find(tool)}`).join(', ')}`);
