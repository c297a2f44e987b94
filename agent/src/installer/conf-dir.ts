/** The CNI config files of a directory, in the order libcni (and so containerd) reads them. */
import { readdirSync } from 'node:fs';
import { extname } from 'node:path';

export const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'] as const;

/** File names (not directories) with a config extension, sorted bytewise as Go's sort.Strings. */
export function configFiles(confDir: string): string[] {
  return readdirSync(confDir, { withFileTypes: true })
    .filter((entry) => !entry.isDirectory() && (CONFIG_EXTENSIONS as readonly string[]).includes(extname(entry.name)))
    .map((entry) => entry.name)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The network the runtime uses: the lexically first config file (containerd's max_conf_num 1). */
export function primaryConfig(confDir: string): string | undefined {
  return configFiles(confDir)[0];
}
