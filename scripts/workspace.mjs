// The packages of this monorepo in dependency order (a package comes after every
// @smtpkit package it depends on), read from packages/*/package.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function listPackages(root = new URL('..', import.meta.url).pathname) {
  const dir = join(root, 'packages');
  const packages = readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'package.json')))
    .map((name) => {
      const manifest = JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8'));
      const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((d) =>
        d.startsWith('@smtpkit/'),
      );
      return { name: manifest.name, dir: join(dir, name), deps, manifest };
    });
  const byName = new Map(packages.map((p) => [p.name, p]));
  const ordered = [];
  const state = new Map();
  const visit = (pkg, trail) => {
    if (state.get(pkg.name) === 'done') return;
    if (state.get(pkg.name) === 'visiting')
      throw new Error(`dependency cycle: ${[...trail, pkg.name].join(' -> ')}`);
    state.set(pkg.name, 'visiting');
    for (const dep of pkg.deps) {
      const target = byName.get(dep);
      if (target) visit(target, [...trail, pkg.name]);
    }
    state.set(pkg.name, 'done');
    ordered.push(pkg);
  };
  for (const pkg of packages.sort((a, b) => a.name.localeCompare(b.name))) visit(pkg, []);
  return ordered;
}
