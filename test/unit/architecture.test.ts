// The server's floors, checked from its sources so they stay true: no import cycle, lower floors
// never import upper ones, GraphQL stays at the top, and no file grows past 300 lines.
// Imports are read with TypeScript's own scanner; `import type` counts like any other import.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../server/src');

/** Wording tables: long on purpose, one entry per failure, language or client. */
const WORDING_TABLES = new Set(['mail/connection-test/diagnosis.ts']);
const MAX_LINES = 300;

/**
 * What each floor may import, lowest first. config.ts is a leaf (it imports nothing of ours) and
 * may be read anywhere; modules/, graphql/, services.ts, app.ts and main.ts are above all these.
 */
const FLOORS: Record<string, string[]> = {
  lib: ['lib'],
  db: ['db', 'lib'],
  ingest: ['ingest', 'db', 'lib'],
  mail: ['mail', 'ingest', 'db', 'lib', 'config.ts'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [path.relative(SRC, full)] : [];
  });
}

/** server/src-relative file → the server/src files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(SRC, file), 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts'));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const floorOf = (file: string) => (file.includes('/') ? file.split('/')[0]! : file);
const edges = (graph: Map<string, string[]>) => [...graph].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));
const describeEdge = ({ from, to }: { from: string; to: string }) => `${from} → ${to}`;

describe('server architecture', () => {
  const graph = importGraph();

  it('reads the whole server', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('services.ts')).toContain('ingest/ingest.service.ts');
    // Every relative import resolves to a file we read, so no edge is silently dropped.
    expect(edges(graph).filter(({ to }) => !graph.has(to)).map(describeEdge)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps lib, db, ingest and mail below the modules, each floor importing only the floors under it', () => {
    const wrong = edges(graph).filter(({ from, to }) => {
      const allowed = FLOORS[floorOf(from)];
      return allowed !== undefined && !allowed.includes(floorOf(to));
    });
    expect(wrong.map(describeEdge)).toEqual([]);
  });

  it('keeps GraphQL at the top: only graphql/, *.schema.ts and app.ts import graphql/', () => {
    const wrong = edges(graph).filter(({ from, to }) =>
      floorOf(to) === 'graphql' && floorOf(from) !== 'graphql' && !from.endsWith('.schema.ts') && from !== 'app.ts');
    expect(wrong.map(describeEdge)).toEqual([]);
    // Services in particular: they return domain errors (lib/errors.ts) and never build the schema.
    expect(edges(graph).filter(({ from, to }) => from.endsWith('.service.ts') && floorOf(to) === 'graphql').map(describeEdge)).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines but the wording tables`, () => {
    const long = [...graph.keys()]
      .filter((file) => !WORDING_TABLES.has(file))
      .map((file) => ({ file, lines: readFileSync(path.join(SRC, file), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('catches what it is meant to catch', () => {
    const sample = new Map<string, string[]>([
      ['mail/a.ts', ['modules/b/b.service.ts']],
      ['modules/b/b.service.ts', ['graphql/errors.ts']],
      ['graphql/errors.ts', ['mail/a.ts']],
    ]);
    expect(cycles(sample)).toEqual([['graphql/errors.ts', 'mail/a.ts', 'modules/b/b.service.ts']]);
    expect(FLOORS[floorOf('mail/a.ts')]).not.toContain(floorOf('modules/b/b.service.ts'));
  });
});
