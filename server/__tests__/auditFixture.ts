/**
 * A real label-audit model for the server tests: the first `n` Amazon UK titles of ../shared/data/taxonomy
 * with their category paths on site "amazon" (12 % held out without a label: those are what a served
 * request looks like), plus a small hand-made "toys" site without labels. Built with auditItems(…,
 * { onModel }) and buildAuditArtifact, exactly as the notebook does.
 */
import {
  type AuditItem,
  type AuditRow,
  auditItems,
  measure,
  type SiteModel,
} from '../../src/core/audit/audit.ts';
import { type AuditArtifact, buildAuditArtifact } from '../../src/core/audit/artifact.ts';
import type { Category } from '../../src/core/audit/categoryIndex.ts';
import { amazonCategories, loadAmazon, rng } from '../../src/core/audit/__tests__/taxonomyData.ts';
import { base64ToInt32, typedToBase64 } from '../../src/core/audit/sparse.ts';

export { taxonomyAvailable } from '../../src/core/audit/__tests__/taxonomyData.ts';

export const TOY_CATEGORIES: Category[] = [
  { id: 't1', name: 'Toys', path: ['Toys'], leaf: false },
  { id: 't2', name: 'Model Trains', path: ['Toys', 'Model Trains'], leaf: true },
  { id: 't3', name: 'Board Games', path: ['Toys', 'Board Games'], leaf: true },
  { id: 't4', name: 'Garden Tools', path: ['Garden', 'Garden Tools'], leaf: true },
];

export const heldOut = (id: string): boolean => {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % 100 < 12;
};

export interface AuditFixture {
  artifact: AuditArtifact;
  items: AuditItem[];
  rows: AuditRow[];
}

export async function buildAmazonAudit(n = 1500): Promise<AuditFixture> {
  const data = (await loadAmazon()).slice(0, n);
  const amazon = amazonCategories(data.map((d) => d.path));
  const items: AuditItem[] = [
    ...data.map((d) => ({
      id: d.id,
      title: d.title,
      site: 'amazon',
      ...(d.path && !heldOut(d.id) ? { label: d.path } : {}),
    })),
    { id: 'toy-1', title: 'Wooden model train set with tracks', site: 'toys' },
  ];
  const models: SiteModel[] = [];
  const bySite = new Map([
    ['amazon', amazon],
    ['toys', TOY_CATEGORIES],
  ]);
  const rows = await auditItems(items, bySite, { onModel: (m) => models.push(m) });
  const truth = new Map(items.filter((i) => i.label).map((i) => [i.id, i.label!]));
  const artifact = buildAuditArtifact({
    name: 'Amazon audit',
    models,
    categoriesBySite: bySite,
    items: items.length,
    measure: measure(rows, truth),
  });
  return { artifact, items, rows };
}

/**
 * The Amazon audit model grown to `labelled` labelled titles on site "amazon" (the size at which loading
 * its kNN index and judge takes seconds): the fixture's labelled titles sampled with replacement and
 * perturbed the way bench/suites/audit.ts grows them (words dropped, a common word and a number added),
 * each keeping its leaf. Still a valid artifact: the server rebuilds the kNN index and the judge from
 * these titles at load, which is the cost under test.
 */
export function growLabelled(artifact: AuditArtifact, labelled: number, seed = 7): AuditArtifact {
  const a = structuredClone(artifact);
  const site = a.sites.find((s) => s.id === 'amazon');
  if (!site?.labelled.texts.length) throw new Error('growLabelled: the artifact has no labelled amazon site');
  const leaves = base64ToInt32(site.labelled.leaves);
  const base = site.labelled.texts;
  const r = rng(seed);
  const extra = ['new', 'uk', 'pack', '2017', 'gift', 'large', 'small', 'set', 'edition', 'black'];
  const texts: string[] = [];
  const out = new Int32Array(labelled);
  for (let i = 0; i < labelled; i++) {
    const j = Math.floor(r() * base.length);
    const all = base[j].split(/\s+/);
    const words = all.filter(() => all.length < 3 || r() > 0.15);
    if (r() < 0.5) words.push(extra[Math.floor(r() * extra.length)]);
    words.push(String(Math.floor(r() * 100_000)));
    texts.push(words.join(' '));
    out[i] = leaves[j];
  }
  site.labelled = { texts, leaves: typedToBase64(out) };
  a.provenance = { ...a.provenance, labelled: labelled + (a.provenance.labelled - base.length) };
  return a;
}
