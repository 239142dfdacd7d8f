/**
 * The Docker image's runtime stage installs `dependencies` only (`npm ci --omit=dev`) and copies
 * server/ and src/ as sources. If a server-reachable module imports a package that lives in
 * `devDependencies` (apache-arrow, comlink, …), the image builds fine and then fails at the first
 * request that loads that module. There is no Docker daemon here (nor in CI) to build the image, so this
 * test checks the same thing statically: walk every module reachable from server/main.ts through
 * relative imports (static, re-exports and `import()`; type-only imports are erased at run time and
 * skipped) and require each bare specifier to be a Node builtin or a runtime dependency.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** Runtime import specifiers of one TypeScript module (type-only imports left out). */
function runtimeImports(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause && !clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings)
          ? clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)
          : false);
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      if (!node.isTypeOnly) out.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out;
}

/** The package a bare specifier names: `@scope/pkg/sub` → `@scope/pkg`, `pkg/sub` → `pkg`. */
function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every module reachable from `entry`, with the bare specifiers each one imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    const bare: string[] = [];
    seen.set(file, bare);
    for (const spec of runtimeImports(file)) {
      if (!spec.startsWith('.')) {
        bare.push(spec);
        continue;
      }
      const target = resolve(dirname(file), spec);
      if (!/\.(ts|mts|js|mjs)$/.test(target)) continue; // .json/.wasm assets: no package behind them
      if (!existsSync(target)) throw new Error(`${relative(root, file)} imports missing ${spec}`);
      queue.push(target);
    }
  }
  return seen;
}

describe('server runtime dependencies (Docker runtime stage: npm ci --omit=dev)', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const builtins = new Set(builtinModules);
  const modules = reachable(join(root, 'server/main.ts'));

  it('walks the real module graph (server, shared ML core, audit core)', () => {
    const files = [...modules.keys()].map((f) => relative(root, f));
    // The shared predict/explain path and the audit model are reachable, so the check covers them.
    expect(files).toContain('src/core/ml/artifact.ts');
    expect(files).toContain('src/core/ml/gbdt/treeshap.ts');
    expect(files).toContain('src/core/audit/artifact.ts');
    expect(files.length).toBeGreaterThan(30);
  });

  it('imports only Node builtins and runtime dependencies', () => {
    const offending: string[] = [];
    for (const [file, specs] of modules)
      for (const spec of specs) {
        const name = spec.startsWith('node:') ? spec.slice(5) : spec;
        if (builtins.has(name) || builtins.has(packageOf(name))) continue;
        if (packageOf(spec) in pkg.dependencies) continue;
        offending.push(`${relative(root, file)} → ${spec}`);
      }
    expect(offending).toEqual([]);
  });

  it('would catch a dev-only import (the check can fail)', () => {
    expect(runtimeImports(join(root, 'src/core/audit/artifact.ts')).length).toBeGreaterThan(0);
    expect('apache-arrow' in pkg.dependencies).toBe(false);
    expect('apache-arrow' in pkg.devDependencies).toBe(true);
    expect(packageOf('@tensorflow/tfjs-core/dist/ops')).toBe('@tensorflow/tfjs-core');
  });
});
