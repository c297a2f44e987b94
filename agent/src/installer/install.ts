/**
 * install-cni and uninstall-cni: put the plugin binary in the CNI bin dir and chain it at the
 * end of the node's primary network config; take out exactly that again.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { writeFileAtomic, removeFile } from './atomic-file.js';
import {
  chainInto,
  convertConf,
  hasOurEntry,
  PLUGIN_TYPE,
  unchainFrom,
  unconvert,
  type PodeipEntry,
} from './chain-edit.js';
import { configFiles } from './conf-dir.js';
import { InstallerError } from './installer-error.js';

export interface InstallOptions {
  binDir: string;
  confDir: string;
  /** The built plugin executable to copy (dist/bin/podeip). */
  pluginSource: string;
  entry: PodeipEntry;
}

/** One thing install or uninstall did (or found already done), for the log. */
export interface InstallAction {
  action: string;
  path: string;
  changed: boolean;
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o7777;
}

function installBinary(options: InstallOptions): InstallAction {
  if (!existsSync(options.pluginSource)) {
    throw new InstallerError(
      'PluginBinaryMissing',
      `plugin binary ${options.pluginSource} does not exist; build it with "npm run build:plugin" or pass --plugin PATH`,
    );
  }
  const target = join(options.binDir, PLUGIN_TYPE);
  const binary = readFileSync(options.pluginSource);
  if (existsSync(target) && modeOf(target) === 0o755 && readFileSync(target).equals(binary)) {
    return { action: 'plugin binary unchanged', path: target, changed: false };
  }
  writeFileAtomic(target, binary, 0o755);
  return { action: 'plugin binary copied', path: target, changed: true };
}

function chainConflist(path: string, entry: PodeipEntry): InstallAction {
  const text = readFileSync(path, 'utf8');
  const chained = chainInto(text, entry, basename(path));
  if (chained === text) return { action: 'conflist unchanged', path, changed: false };
  writeFileAtomic(path, chained, modeOf(path));
  return { action: hasOurEntry(text) ? 'podeip entry updated' : 'podeip entry appended', path, changed: true };
}

/**
 * A lone .conf/.json becomes NAME.conflist holding it and our entry; the original is removed
 * after the conflist is in place. Refused if the new name would not be the primary config.
 */
function convertToConflist(confDir: string, primary: string, entry: PodeipEntry): InstallAction {
  const source = join(confDir, primary);
  const conflistName = `${basename(primary, extname(primary))}.conflist`;
  const target = join(confDir, conflistName);
  if (existsSync(target)) {
    throw new InstallerError(
      'ConvertedConfigNotPrimary',
      `cannot convert ${primary}: ${conflistName} already exists in ${confDir}; remove one of them`,
    );
  }
  const order = [...configFiles(confDir).filter((file) => file !== primary), conflistName].sort((a, b) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b)),
  );
  if (order[0] !== conflistName) {
    throw new InstallerError(
      'ConvertedConfigNotPrimary',
      `converting ${primary} to ${conflistName} would make ${order[0]} the primary CNI config in ${confDir}; rename the files so the primary network sorts first`,
    );
  }
  writeFileAtomic(target, convertConf(readFileSync(source, 'utf8'), primary, entry), modeOf(source));
  removeFile(source);
  return { action: `converted ${primary} to a conflist with podeip`, path: target, changed: true };
}

export function installCni(options: InstallOptions): InstallAction[] {
  const binary = installBinary(options);
  return [binary, chainPrimary(options)];
}

/**
 * Only the conflist half of install: what a rewrite of the conf dir needs. Reading and comparing
 * the plugin binary (tens of MB) on every change would delay the re-chain by seconds.
 */
export function chainPrimary(options: Pick<InstallOptions, 'confDir' | 'entry'>): InstallAction {
  const primary = existsSync(options.confDir) ? configFiles(options.confDir)[0] : undefined;
  if (primary === undefined) {
    throw new InstallerError(
      'NoCniConfig',
      `no CNI config (*.conflist, *.conf, *.json) in ${options.confDir} (--conf-dir); podeip chains after the node's primary CNI, so install-cni must run after it wrote its config`,
    );
  }
  return extname(primary) === '.conflist'
    ? chainConflist(join(options.confDir, primary), options.entry)
    : convertToConflist(options.confDir, primary, options.entry);
}

export interface UninstallOptions {
  binDir: string;
  confDir: string;
}

export function uninstallCni(options: UninstallOptions): InstallAction[] {
  const actions: InstallAction[] = [];
  const files = existsSync(options.confDir) ? configFiles(options.confDir) : [];
  for (const file of files) {
    const path = join(options.confDir, file);
    const text = readFileSync(path, 'utf8');
    if (!hasOurEntry(text)) continue;
    const original = unconvert(text, file);
    if (original) {
      writeFileAtomic(join(options.confDir, original.file), original.text, modeOf(path));
      removeFile(path);
      actions.push({ action: `restored ${original.file}`, path: join(options.confDir, original.file), changed: true });
    } else {
      writeFileAtomic(path, unchainFrom(text, file), modeOf(path));
      actions.push({ action: 'podeip entry removed', path, changed: true });
    }
  }
  const binary = join(options.binDir, PLUGIN_TYPE);
  if (existsSync(binary)) {
    removeFile(binary);
    actions.push({ action: 'plugin binary removed', path: binary, changed: true });
  }
  return actions;
}
