// `npm ci` only when node_modules is missing or older than the lockfile: npm ci always deletes node_modules and
// reinstalls (about 15 s), which every Maven build would pay for nothing.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

const modifiedAt = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

// npm writes node_modules/.package-lock.json at the end of every install
const installed = modifiedAt('node_modules/.package-lock.json');
if (installed < modifiedAt('package-lock.json') || installed < modifiedAt('package.json')) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
} else {
  console.log('node_modules is up to date with package-lock.json: npm ci skipped');
}
