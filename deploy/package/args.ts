/** `npm run deploy:package`'s command line: `[--out DIR] [service|<function target>...]`. */
import { DEPLOYABLES, type Deployable, deployableNamed } from './deployables.js';
import { PackageError } from './errors.js';

export const DEFAULT_OUT = 'build/packages';

export interface PackageArgs {
  readonly out: string;
  readonly deployables: readonly Deployable[];
}

const usage = (problem: string) =>
  new PackageError(
    'PACKAGE_ERR_USAGE',
    `${problem}; usage: npm run deploy:package -- [--out DIR] [${DEPLOYABLES.map((d) => d.name).join('|')}...]`,
  );

export function parsePackageArgs(argv: readonly string[]): PackageArgs {
  let out = DEFAULT_OUT;
  const named: Deployable[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--out' || arg.startsWith('--out=')) {
      const value = arg === '--out' ? argv[++i] : arg.slice('--out='.length);
      if (value === undefined || value === '') throw usage('--out needs a directory');
      out = value;
    } else if (arg.startsWith('-')) {
      throw usage(`unknown option ${JSON.stringify(arg)}`);
    } else {
      const deployable = deployableNamed(arg);
      if (deployable === undefined) throw usage(`unknown deployable ${JSON.stringify(arg)}`);
      if (!named.includes(deployable)) named.push(deployable);
    }
  }
  return { out, deployables: named.length > 0 ? named : DEPLOYABLES };
}
