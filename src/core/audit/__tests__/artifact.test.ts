/**
 * The audit model artifact: built from a real audit run (Amazon UK titles with their labels on one site,
 * the eBay category list without labels on another), round-tripped through JSON text, loaded again, and
 * asked about the run's unlabelled titles: every decision (category, confidence, alternatives) must equal
 * the in-memory auditItems result exactly, and the judge's verdict and reason must equal the built-in
 * judge the audit cell builds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type AuditItem, type AuditRow, auditItems, measure, type SiteModel } from '../audit.ts';
import type { Category } from '../categoryIndex.ts';
import {
  AuditArtifactError,
  AuditInputError,
  buildAuditArtifact,
  categoryFingerprint,
  loadAuditArtifact,
} from '../artifact.ts';
import { BuiltinJudge } from '../judge.ts';
import { amazonCategories, loadAmazon, loadEbay, taxonomyAvailable } from './taxonomyData.ts';

const held = (id: string): boolean => {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % 100 < 12;
};

describe.skipIf(!taxonomyAvailable())('audit artifact built from a real run', () => {
  let items: AuditItem[];
  let rows: AuditRow[];
  let models: SiteModel[];
  let amazonCats: Category[];
  let ebayCats: Category[];
  let json: string;

  beforeAll(async () => {
    const data = (await loadAmazon()).slice(0, 3000);
    amazonCats = amazonCategories(data.map((d) => d.path));
    ebayCats = await loadEbay();
    items = [
      // Amazon site: labelled except a hold-out (those are what a served request looks like).
      ...data.map((d) => ({
        id: d.id,
        title: d.title,
        site: 'amazon',
        ...(d.path && !held(d.id) ? { label: d.path } : {}),
      })),
      // eBay site: no labels at all (lexical scorer, no kNN, no judge).
      ...data.slice(0, 250).map((d) => ({ id: `e-${d.id}`, title: d.title, site: 'ebay' })),
    ];
    models = [];
    rows = await auditItems(
      items,
      new Map([
        ['amazon', amazonCats],
        ['ebay', ebayCats],
      ]),
      { onModel: (m) => models.push(m) },
    );
    const truth = new Map(items.filter((i) => i.label).map((i) => [i.id, i.label!]));
    const artifact = buildAuditArtifact({
      name: 'amazon + ebay audit',
      models,
      categoriesBySite: new Map([
        ['amazon', amazonCats],
        ['ebay', ebayCats],
      ]),
      items: items.length,
      measure: measure(rows, truth),
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    json = JSON.stringify(artifact);
  }, 240_000);

  it('predicts exactly what the audit decided, for every unlabelled title of both sites', () => {
    const model = loadAuditArtifact(JSON.parse(json));
    expect(model.sites).toEqual(['amazon', 'ebay']);
    const unlabelled = rows.filter((_r, i) => items[i].label === undefined);
    expect(unlabelled.filter((r) => r.site === 'amazon').length).toBeGreaterThanOrEqual(200);
    expect(unlabelled.filter((r) => r.site === 'ebay').length).toBe(250);
    let compared = 0;
    for (const r of unlabelled) {
      const p = model.predict({ title: r.title, site_id: r.site });
      expect(p.category?.id ?? null).toBe(r.inferredId);
      if (r.inferredId === null) continue;
      expect(p.category!.name).toBe(r.inferredName);
      expect(p.category!.path).toEqual(r.inferredPath);
      expect(p.confidence).toBe(r.confidence);
      expect(p.alternatives.map((a) => [a.id, a.probability])).toEqual(
        r.alternatives.slice(1).map((a) => [a.categoryId, a.probability]),
      );
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(450);
  });

  it('gives the built-in judge verdict and reason the audit cell computes', () => {
    const model = loadAuditArtifact(json);
    const m = models.find((x) => x.site === 'amazon')!;
    // As src/cells/audit.ts builds it: the site's items whose label resolved, by item id.
    const judge = new BuiltinJudge(
      m.index,
      items
        .filter((i) => i.site === 'amazon' && i.label)
        .map((i) => ({ id: i.id, title: i.title, label: i.label })),
    );
    let n = 0;
    const verdicts = new Set<string>();
    rows.forEach((r, i) => {
      if (r.site !== 'amazon' || items[i].label !== undefined || r.inferredId === null) return;
      const want = judge.judge({ id: items[i].id, title: items[i].title }, r.inferredId);
      const got = model.predict({ title: r.title, site_id: 'amazon' });
      expect([got.verdict, got.reason]).toEqual([want.verdict, want.reason]);
      verdicts.add(want.verdict);
      n++;
    });
    expect(n).toBeGreaterThanOrEqual(200);
    expect(verdicts).toEqual(new Set(['confirm', 'reject']));
    // No labels on the eBay site: no judge, and the reason says why.
    const e = model.predict({ title: 'Hornby OO gauge steam locomotive', site_id: 'ebay' });
    expect(e.verdict).toBeNull();
    expect(e.reason).toMatch(/No built-in judge/);
  });

  it('records provenance: fingerprints, counts, measures', () => {
    const a = JSON.parse(json);
    expect(a.format).toBe('benchtop-audit-model');
    expect(a.defaultSite).toBeUndefined();
    expect(
      a.sites.map((s: { id: string; leaves: number; categories: number }) => [s.id, s.leaves, s.categories]),
    ).toEqual([
      ['amazon', amazonCats.filter((c) => c.leaf).length, amazonCats.length],
      ['ebay', 15110, ebayCats.length],
    ]);
    expect(a.sites[1].categoryFingerprint).toBe(categoryFingerprint(ebayCats));
    expect(a.sites[0].categoryFingerprint).not.toBe(a.sites[1].categoryFingerprint);
    expect(a.provenance.items).toBe(items.length);
    expect(a.provenance.labelled).toBe(items.filter((i) => i.label).length);
    expect(a.provenance.measure.n).toBe(items.filter((i) => i.label).length);
    expect(a.sites[0].knn).toBe(true);
    expect(a.sites[1].knn).toBe(false);
    expect(a.example.site_id).toBe('amazon');
  });

  it('refuses bad requests naming the field', () => {
    const model = loadAuditArtifact(json);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(AuditInputError);
        return [(e as AuditInputError).field, (e as Error).message];
      }
      throw new Error('expected an error');
    };
    expect(err(() => model.predict({ title: 'x' }))).toEqual([
      'site_id',
      'site_id is required: this model has several sites ("amazon", "ebay")',
    ]);
    expect(err(() => model.predict({ title: 'x', site_id: 'etsy' }))[1]).toBe(
      'unknown site "etsy"; known sites: "amazon", "ebay"',
    );
    expect(err(() => model.predict({ title: '  ', site_id: 'ebay' }))[0]).toBe('title');
    expect(err(() => model.predict({ title: 'a'.repeat(10_001), site_id: 'ebay' }))[0]).toBe('title');
  });

  it('rejects corrupt artifacts with the JSON path of each problem', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the edits put arbitrary, ill-typed JSON in place
    const bad = (edit: (a: any) => void): string[] => {
      const a = JSON.parse(json);
      edit(a);
      try {
        loadAuditArtifact(a);
      } catch (e) {
        expect(e).toBeInstanceOf(AuditArtifactError);
        return (e as AuditArtifactError).issues.map((i) => i.path);
      }
      throw new Error('expected an error');
    };
    expect(bad((a) => (a.format = 'benchtop-model'))).toEqual(['format']);
    expect(bad((a) => (a.version = 2))).toEqual(['version']);
    expect(bad((a) => delete a.sites[1].index.word)).toEqual(['sites[1].index.word']);
    expect(bad((a) => (a.sites[0].scorer.weights[3] = 'x'))).toEqual(['sites[0].scorer.weights[3]']);
    expect(bad((a) => (a.sites[1].index.word[1] = a.sites[1].index.word[1].slice(0, 16)))).toContain(
      'sites[1].index.word[0]',
    );
    expect(bad((a) => (a.sites[0].index.gram[0] = 'AAAA'))).toEqual(['sites[0].index.gram[0]']);
    expect(bad((a) => a.sites[0].labelled.texts.pop())).toEqual(['sites[0].labelled.leaves']);
    expect(bad((a) => (a.sites[0].scorer.featureNames = ['bm25']))).toEqual([
      'sites[0].scorer.featureNames',
      'sites[0].scorer.weights',
    ]);
    expect(bad((a) => (a.sites[1].id = 'amazon'))).toEqual(['sites[1].id']);
    expect(bad((a) => (a.example.site_id = 'etsy'))).toEqual(['example.site_id']);
  });
});

describe('audit artifact without labels (one site)', () => {
  it('uses the lexical scorer, needs no site_id, and round-trips', async () => {
    const cats: Category[] = [
      { id: '1', name: 'Toys', path: ['Toys'], leaf: false },
      { id: '2', name: 'Model Trains', path: ['Toys', 'Model Trains'], leaf: true },
      { id: '3', name: 'Board Games', path: ['Toys', 'Board Games'], leaf: true },
      { id: '4', name: 'Garden Tools', path: ['Garden', 'Garden Tools'], leaf: true },
    ];
    const its: AuditItem[] = [
      { id: 'a', title: 'Hornby model train set' },
      { id: 'b', title: 'Chess board game' },
      { id: 'c', title: 'Spade and garden fork' },
    ];
    const ms: SiteModel[] = [];
    const rs = await auditItems(its, new Map([['', cats]]), { onModel: (m) => ms.push(m) });
    const a = buildAuditArtifact({ name: 'toys', models: ms });
    expect(a.defaultSite).toBe('');
    expect(a.sites[0].judge).toBe(false);
    expect(a.example).toBeUndefined();
    const model = loadAuditArtifact(JSON.stringify(a));
    for (const r of rs) {
      const p = model.predict({ title: r.title });
      expect(p.category?.id).toBe(r.inferredId);
      expect(p.confidence).toBe(r.confidence);
    }
    expect(rs.map((r) => r.inferredId)).toEqual(['2', '3', '4']);
    expect(model.predict({ title: 'zzzz qqqq' })).toMatchObject({ category: null, confidence: 0 });
  });
});
