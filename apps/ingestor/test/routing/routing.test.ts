import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRouter, routeTopic } from '../../src/routing.js';

const config = { bucket: 'lake', basePath: 'delta', routes: {} };
const routeOf = (topic: string, c = config) => {
  const r = routeTopic(topic, c);
  if (!r.ok) throw new Error(r.reason);
  return r.route;
};

describe('routeTopic', () => {
  it('routes prefix.db.collection to <base>/<db>/<collection>', () => {
    expect(routeOf('mongodb.inventory.orders')).toEqual({
      routingKey: 'inventory.orders',
      tablePath: 'delta/inventory/orders',
      tableUri: 's3://lake/delta/inventory/orders',
    });
  });

  it('keeps dots inside collection names', () => {
    expect(routeOf('mongodb.shop.orders.archive').tablePath).toBe('delta/shop/orders.archive');
  });

  it('works without a base path', () => {
    expect(routeOf('cdc.app.users', { ...config, basePath: '' }).tableUri).toBe('s3://lake/app/users');
  });

  it('prefers an explicit route', () => {
    const c = { ...config, routes: { 'mongodb.inventory.orders': '/custom/orders/', weird: 'x' } };
    expect(routeOf('mongodb.inventory.orders', c)).toEqual({
      routingKey: 'custom/orders',
      tablePath: 'delta/custom/orders',
      tableUri: 's3://lake/delta/custom/orders',
    });
    expect(routeOf('weird', c).tablePath).toBe('delta/x');
  });

  it.each(['mongodb', 'mongodb.transaction', 'mongodb..orders', 'mongodb.db.', 'a.b..'])(
    'refuses %j',
    (topic) => {
      const r = routeTopic(topic, config);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(topic);
    },
  );

  it('refuses routes that would escape the base path', () => {
    expect(routeTopic('t', { ...config, routes: { t: '../other' } }).ok).toBe(false);
    expect(routeTopic('mongodb.db...', config).ok).toBe(false);
  });

  it('maps distinct well-formed topics to distinct tables under the base path (property)', () => {
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(segment, segment, segment, segment, segment, (p, db1, c1, db2, c2) => {
        const a = routeOf(`${p}.${db1}.${c1}`);
        const b = routeOf(`${p}.${db2}.${c2}`);
        expect(a.tablePath.startsWith('delta/')).toBe(true);
        expect(a.tableUri === b.tableUri).toBe(db1 === db2 && c1 === c2);
      }),
    );
  });

  it('memoizes in createRouter', () => {
    const route = createRouter(config);
    expect(route('mongodb.a.b')).toBe(route('mongodb.a.b'));
  });
});
