import { customers, orders } from '@delta-writer/e2e/src/generator/documents.js';
import { Workload } from '@delta-writer/e2e/src/generator/workload.js';

for (const [kind, name] of [
  [orders, 'orders'],
  [customers, 'customers'],
] as const)
  for (const serialization of ['legacy', 'extended', 'relaxed'] as const)
    for (const schemas of [false, true]) {
      const w = new Workload({
        prefix: 'p',
        seed: 1,
        plannedEvents: 20000,
        collections: [
          {
            db: 'shop',
            collection: name,
            kind,
            partitions: 4,
            dialect: { serialization, schemas, generation: '2.7', capture: 'change_streams_update_full' },
          },
        ],
      });
      const t = performance.now();
      const recs = [...w.snapshot(0).values()].flat();
      for (let i = 0; i < 10; i++) recs.push(...[...w.step(1000).values()].flat());
      const vals = recs.filter((r) => r.value !== null);
      const bytes = vals.reduce((n, r) => n + Buffer.byteLength(r.value as string), 0);
      console.log(
        name,
        serialization,
        schemas,
        recs.length,
        (bytes / vals.length).toFixed(0),
        (((performance.now() - t) / recs.length) * 1000).toFixed(0),
        'us/rec',
      );
    }
const w = new Workload({
  prefix: 'p',
  seed: 1,
  plannedEvents: 20000,
  collections: [
    {
      db: 'shop',
      collection: 'orders',
      kind: orders,
      partitions: 4,
      dialect: {
        serialization: 'relaxed',
        schemas: false,
        generation: '2.7',
        capture: 'change_streams_update_full',
      },
    },
  ],
});
const recs = [...w.step(50).values()].flat();
console.log(
  recs
    .slice(0, 3)
    .map((r) => r.value)
    .join('\n'),
);
