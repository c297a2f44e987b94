/**
 * install-cni / uninstall-cni on real directories shaped like Terway, bridge and multi-file
 * nodes: what changes is exactly our entry, every other byte stays, and uninstall restores.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { installCni, uninstallCni, type InstallOptions } from '../../../agent/src/installer/install.js';
import type { PodeipEntry } from '../../../agent/src/installer/chain-edit.js';
import {
  binDir,
  BRIDGE_CONF,
  confDir,
  fakePlugin,
  FLANNEL_CONFLIST,
  LOOPBACK_CONF,
  OTHER_CONFLIST,
  TERWAY_CONFLIST,
} from '../../cni-plugin/conf-dirs.js';
import { FixtureAgent } from '../../cni-plugin/fixture-agent.js';
import { PLUGIN_BINARY, runPlugin, cniEnv, bridgePrevResult } from '../../cni-plugin/run-plugin.js';

const execFileAsync = promisify(execFile);
const AGENT_BIN = fileURLToPath(new URL('../../../../bin/podeip-agent', import.meta.url));

const ENTRY: PodeipEntry = {
  type: 'podeip',
  socketPath: '/var/run/podeip/agent.sock',
  capabilities: { 'io.kubernetes.cri.pod-annotations': true },
};

function options(conf: string, overrides: Partial<InstallOptions> = {}): InstallOptions {
  return { binDir: binDir(), confDir: conf, pluginSource: fakePlugin(), entry: ENTRY, ...overrides };
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

/** Every file of a directory with its bytes and mtime, to prove what did not change. */
function snapshot(dir: string): Record<string, { text: string; mtimeMs: number; mode: number }> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => statSync(join(dir, name)).isFile())
      .map((name) => {
        const stat = statSync(join(dir, name));
        return [name, { text: read(dir, name), mtimeMs: stat.mtimeMs, mode: stat.mode & 0o777 }];
      }),
  );
}

/**
 * `edited` is `original` with one piece inserted: returns that piece. Fails if any byte of the
 * original was changed, dropped or moved.
 */
function insertedPiece(original: string, edited: string): string {
  let prefix = 0;
  while (prefix < original.length && original[prefix] === edited[prefix]) prefix += 1;
  const suffix = original.length - prefix;
  if (original.slice(prefix) !== edited.slice(edited.length - suffix)) {
    throw new Error(`the original's bytes after offset ${prefix} are not intact`);
  }
  return edited.slice(prefix, edited.length - suffix);
}

test('Terway: the entry is appended after cilium-cni with the original bytes intact, and uninstall restores them', (t) => {
  const dir = confDir({ '10-terway.conflist': TERWAY_CONFLIST });
  const opts = options(dir);
  const actions = installCni(opts);
  t.deepEqual(
    actions.map((action) => action.action),
    ['plugin binary copied', 'podeip entry appended'],
  );
  const installed = read(dir, '10-terway.conflist');
  const piece = insertedPiece(TERWAY_CONFLIST, installed);
  t.regex(piece, /^,\n\t\t\{/);
  t.deepEqual(JSON.parse(piece.slice(1)), ENTRY);
  const parsed = JSON.parse(installed) as { plugins: { type: string }[] };
  t.deepEqual(
    parsed.plugins.map((plugin) => plugin.type),
    ['terway', 'cilium-cni', 'podeip'],
  );

  uninstallCni({ binDir: opts.binDir, confDir: dir });
  t.is(read(dir, '10-terway.conflist'), TERWAY_CONFLIST);
  t.false(existsSync(join(opts.binDir, 'podeip')));
});

test('the plugin binary is copied with mode 0755 and its exact bytes', (t) => {
  const dir = confDir({ '10-terway.conflist': TERWAY_CONFLIST });
  const source = fakePlugin('#!/bin/sh\nexit 0\n');
  const opts = options(dir, { pluginSource: source });
  installCni(opts);
  const target = join(opts.binDir, 'podeip');
  t.is(statSync(target).mode & 0o7777, 0o755);
  t.deepEqual(readFileSync(target), readFileSync(source));
  t.deepEqual(readdirSync(opts.binDir), ['podeip'], 'no temp file left behind');
});

test('running install again changes nothing: same bytes, same mtimes', (t) => {
  const dir = confDir({ '10-terway.conflist': TERWAY_CONFLIST, '99-loopback.conf': LOOPBACK_CONF });
  const opts = options(dir);
  installCni(opts);
  const before = { conf: snapshot(dir), bin: snapshot(opts.binDir) };
  const again = installCni(opts);
  t.deepEqual(
    again.map((action) => action.action),
    ['plugin binary unchanged', 'conflist unchanged'],
  );
  t.deepEqual({ conf: snapshot(dir), bin: snapshot(opts.binDir) }, before);
});

test('a changed setting updates our entry in place; nothing else moves; uninstall still restores', (t) => {
  const dir = confDir({ '10-terway.conflist': TERWAY_CONFLIST });
  const opts = options(dir);
  installCni(opts);
  const updatedEntry: PodeipEntry = {
    ...ENTRY,
    socketPath: '/run/podeip/other.sock',
    timeoutSeconds: 90,
    logFile: '/var/log/podeip-cni.log',
  };
  const actions = installCni({ ...opts, entry: updatedEntry });
  t.is(actions[1]!.action, 'podeip entry updated');
  const installed = read(dir, '10-terway.conflist');
  t.deepEqual(JSON.parse(insertedPiece(TERWAY_CONFLIST, installed).slice(1)), updatedEntry);
  t.is((JSON.parse(installed) as { plugins: unknown[] }).plugins.length, 3);
  uninstallCni({ binDir: opts.binDir, confDir: dir });
  t.is(read(dir, '10-terway.conflist'), TERWAY_CONFLIST);
});

test('bridge: a lone .conf becomes NAME.conflist (original first, verbatim) and uninstall writes the .conf back byte for byte', (t) => {
  const dir = confDir({ '10-bridge.conf': BRIDGE_CONF, '99-loopback.conf': LOOPBACK_CONF });
  const opts = options(dir);
  const actions = installCni(opts);
  t.is(actions[1]!.action, 'converted 10-bridge.conf to a conflist with podeip');
  t.deepEqual(readdirSync(dir).sort(), ['10-bridge.conflist', '99-loopback.conf']);
  const conflist = JSON.parse(read(dir, '10-bridge.conflist')) as Record<string, unknown> & { plugins: unknown[] };
  t.is(conflist.cniVersion, '0.3.1');
  t.is(conflist.name, 'mynet');
  t.is(conflist['podeip.io/converted-from'], '10-bridge.conf');
  t.deepEqual(conflist.plugins, [JSON.parse(BRIDGE_CONF), ENTRY]);
  t.true(read(dir, '10-bridge.conflist').includes(BRIDGE_CONF), 'the original text is embedded verbatim');

  const again = installCni(opts);
  t.is(again[1]!.action, 'conflist unchanged');

  const removed = uninstallCni({ binDir: opts.binDir, confDir: dir });
  t.deepEqual(
    removed.map((action) => action.action),
    ['restored 10-bridge.conf', 'plugin binary removed'],
  );
  t.deepEqual(readdirSync(dir).sort(), ['10-bridge.conf', '99-loopback.conf']);
  t.is(read(dir, '10-bridge.conf'), BRIDGE_CONF);
  t.is(statSync(join(dir, '10-bridge.conf')).mode & 0o777, 0o644);
});

test('a lone .json is converted the same way and restored under its own name', (t) => {
  const json = '{"cniVersion":"1.0.0","name":"ptp","type":"ptp","ipam":{"type":"host-local","subnet":"10.1.0.0/16"}}';
  const dir = confDir({ '50-ptp.json': json });
  const opts = options(dir);
  installCni(opts);
  t.deepEqual(readdirSync(dir), ['50-ptp.conflist']);
  uninstallCni({ binDir: opts.binDir, confDir: dir });
  t.deepEqual(readdirSync(dir), ['50-ptp.json']);
  t.is(read(dir, '50-ptp.json'), json);
});

test('multi-file dir: only the lexically first config file (as libcni picks it) is touched; directories and other files are skipped', (t) => {
  const files = {
    '10-flannel.conflist': FLANNEL_CONFLIST,
    '20-other.conflist': OTHER_CONFLIST,
    '99-loopback.conf': LOOPBACK_CONF,
    '00-notes.txt': 'not a config\n',
  };
  const dir = confDir(files, ['00-dir.conf']);
  const before = snapshot(dir);
  const opts = options(dir);
  installCni(opts);
  const after = snapshot(dir);
  for (const name of ['20-other.conflist', '99-loopback.conf', '00-notes.txt'])
    t.deepEqual(after[name], before[name], name);
  const piece = insertedPiece(FLANNEL_CONFLIST, after['10-flannel.conflist']!.text);
  t.is(piece, `, ${JSON.stringify(ENTRY)}`, 'a one-line conflist gets a one-line entry');
  uninstallCni({ binDir: opts.binDir, confDir: dir });
  t.deepEqual(snapshot(dir)['10-flannel.conflist']!.text, FLANNEL_CONFLIST);
});

test('the edited conflist keeps its file mode', (t) => {
  const dir = confDir({ '10-terway.conflist': TERWAY_CONFLIST });
  chmodSync(join(dir, '10-terway.conflist'), 0o600);
  installCni(options(dir));
  t.is(statSync(join(dir, '10-terway.conflist')).mode & 0o777, 0o600);
});

const FAILURES: { name: string; files: Record<string, string>; code: string; says: string }[] = [
  { name: 'an empty conf dir', files: {}, code: 'NoCniConfig', says: 'no CNI config' },
  {
    name: 'a primary that is not JSON',
    files: { '10-x.conflist': '{"plugins": [' },
    code: 'InvalidCniConfig',
    says: '10-x.conflist is not valid JSON',
  },
  {
    name: 'a conflist without plugins',
    files: { '10-x.conflist': '{"cniVersion":"1.0.0","name":"x","plugins":[]}' },
    code: 'InvalidCniConfig',
    says: 'no "plugins" list',
  },
  {
    name: 'a cniVersion podeip does not speak',
    files: { '10-x.conflist': '{"cniVersion":"0.2.0","name":"x","plugins":[{"type":"bridge"}]}' },
    code: 'UnsupportedCniVersion',
    says: 'cniVersion "0.2.0"',
  },
  {
    name: 'podeip listed twice',
    files: {
      '10-x.conflist':
        '{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"bridge"},{"type":"podeip"},{"type":"podeip"}]}',
    },
    code: 'InvalidCniConfig',
    says: 'lists the podeip plugin 2 times',
  },
  {
    name: 'a .conf without type',
    files: { '10-x.conf': '{"cniVersion":"1.0.0","name":"x"}' },
    code: 'InvalidCniConfig',
    says: '10-x.conf is neither a conflist nor a single plugin config',
  },
  {
    name: 'a conversion whose result would not sort first',
    files: { '10-br.conf': LOOPBACK_CONF, '10-br.conf.json': LOOPBACK_CONF },
    code: 'ConvertedConfigNotPrimary',
    says: 'would make 10-br.conf.json the primary',
  },
];

for (const failure of FAILURES) {
  test(`install refuses ${failure.name} (${failure.code}) and leaves the dir as it was`, (t) => {
    const dir = confDir(failure.files);
    const before = snapshot(dir);
    const error = t.throws(() => installCni(options(dir)));
    t.is((error as Error & { code: string }).code, failure.code);
    t.true(error.message.includes(failure.says), error.message);
    t.deepEqual(snapshot(dir), before);
  });
}

test('install refuses a missing plugin binary before touching the config', (t) => {
  const dir = confDir({ '10-terway.conflist': TERWAY_CONFLIST });
  const error = t.throws(() => installCni(options(dir, { pluginSource: '/nonexistent/podeip' })));
  t.is((error as Error & { code: string }).code, 'PluginBinaryMissing');
  t.is(read(dir, '10-terway.conflist'), TERWAY_CONFLIST);
});

test('podeip-agent install-cni / uninstall-cni: flags, JSON log lines, and the installed real plugin works from the bin dir with the entry it wrote', async (t) => {
  const agent = await FixtureAgent.start();
  t.teardown(() => agent.stop());
  const dir = confDir({ '10-terway.conflist': TERWAY_CONFLIST });
  const bins = binDir();
  const install = await execFileAsync(process.execPath, [
    AGENT_BIN,
    'install-cni',
    '--conf-dir',
    dir,
    '--bin-dir',
    bins,
    '--plugin',
    PLUGIN_BINARY,
    '--socket-path',
    agent.socketPath,
    '--timeout-seconds',
    '60',
    '--log-file',
    '/var/log/podeip-cni.log',
  ]);
  const lines = install.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  t.like(lines[0], { message: 'plugin binary copied', path: join(bins, 'podeip'), command: 'install-cni' });
  t.like(lines[1], { message: 'podeip entry appended', path: join(dir, '10-terway.conflist') });

  const conflist = JSON.parse(read(dir, '10-terway.conflist')) as {
    cniVersion: string;
    name: string;
    plugins: Record<string, unknown>[];
  };
  const entry = conflist.plugins[2]!;
  t.deepEqual(entry, {
    type: 'podeip',
    socketPath: agent.socketPath,
    timeoutSeconds: 60,
    logFile: '/var/log/podeip-cni.log',
    capabilities: { 'io.kubernetes.cri.pod-annotations': true },
  });
  // What containerd hands the installed binary (far from the repository: no proto file near it).
  const { logFile: _noLog, capabilities: _caps, ...pluginConf } = entry;
  for (const annotations of [{}, { 'k8s.aliyun.com/pod-with-eip': 'true' }]) {
    const run = await runPlugin(
      cniEnv({ command: 'ADD' }),
      JSON.stringify({
        cniVersion: conflist.cniVersion,
        name: conflist.name,
        ...pluginConf,
        runtimeConfig: { 'io.kubernetes.cri.pod-annotations': annotations },
        prevResult: bridgePrevResult(conflist.cniVersion),
      }),
      join(bins, 'podeip'),
    );
    t.is(run.exitCode, 0, run.stdout);
    t.deepEqual(JSON.parse(run.stdout), bridgePrevResult('0.4.0'));
  }
  t.deepEqual(
    agent.calls.map((call) => call.method),
    ['Attach'],
    'only the EIP pod reached the agent',
  );

  const uninstall = await execFileAsync(process.execPath, [
    AGENT_BIN,
    'uninstall-cni',
    '--conf-dir',
    dir,
    '--bin-dir',
    bins,
  ]);
  t.true(uninstall.stdout.includes('podeip entry removed'));
  t.is(read(dir, '10-terway.conflist'), TERWAY_CONFLIST);
  t.deepEqual(readdirSync(bins), []);
});

test('podeip-agent install-cni with a bad flag exits 1 naming it', async (t) => {
  const error = await t.throwsAsync(
    execFileAsync(process.execPath, [AGENT_BIN, 'install-cni', '--conf-dir', 'relative/net.d']),
  );
  t.is((error as Error & { code: number }).code, 1);
  t.true((error as Error & { stdout: string }).stdout.includes('--conf-dir must be an absolute path'));
});

test('install-cni --watch puts the entry back when the primary CNI rewrites its config (as Terway does on restart)', async (t) => {
  const dir = confDir({ '10-terway.conflist': TERWAY_CONFLIST });
  const child = spawn(
    process.execPath,
    [AGENT_BIN, 'install-cni', '--watch', '--conf-dir', dir, '--bin-dir', binDir(), '--plugin', fakePlugin()],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    child.kill('SIGTERM');
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const waitFor = async (what: string, done: () => boolean) => {
    for (let waited = 0; !done(); waited += 100) {
      if (waited > 60_000) throw new Error(`timed out waiting for ${what}; stdout: ${stdout}`);
      await sleep(100);
    }
  };
  await waitFor('the watch to start', () => stdout.includes('watching for changes'));
  t.true(read(dir, '10-terway.conflist').includes('"podeip"'));

  writeFileSync(join(dir, '10-terway.conflist'), TERWAY_CONFLIST); // terway writes its own config back
  await waitFor('the entry to come back', () => stdout.split('podeip entry appended').length === 3);
  const restored = read(dir, '10-terway.conflist');
  t.deepEqual(JSON.parse(insertedPiece(TERWAY_CONFLIST, restored).slice(1)), ENTRY);
});
