// Sample changes for the Compose demo (mongosh): customers and orders in database `shop`, inserted, updated and
// deleted once a second, so the changelog tables delta/shop/customers and delta/shop/orders grow while you watch.
// SAMPLE_ITERATIONS batches (0: until stopped). Pre- and post-images are on, which mirror tables can use.
const shop = db.getSiblingDB('shop');
const env = process.env;
const iterations = Number(env.SAMPLE_ITERATIONS ?? '600');
for (const name of ['customers', 'orders']) {
  if (!shop.getCollectionNames().includes(name)) {
    shop.createCollection(name, { changeStreamPreAndPostImages: { enabled: true } });
  }
}

const cities = ['Lisbon', 'Osaka', 'Nairobi', 'Lima', 'Oslo', 'Perth'];
const items = ['lamp', 'kettle', 'chair', 'desk', 'rug', 'mug'];
const pick = (list) => list[Math.floor(Math.random() * list.length)];

let batch = 0;
while (iterations === 0 || batch < iterations) {
  batch += 1;
  const customer = {
    name: `customer-${batch}`,
    city: pick(cities),
    since: new Date(),
    tags: ['sample', pick(['new', 'returning'])],
    loyalty: {
      tier: pick(['bronze', 'silver', 'gold']),
      points: NumberInt(Math.floor(Math.random() * 1000)),
    },
  };
  const { insertedId } = shop.customers.insertOne(customer);
  shop.orders.insertOne({
    customerId: insertedId,
    placedAt: new Date(),
    status: 'placed',
    total: NumberDecimal((Math.random() * 200).toFixed(2)),
    lines: [{ item: pick(items), qty: NumberInt(1 + Math.floor(Math.random() * 3)) }],
  });
  // a partial update, a replacement-sized update and a delete now and then
  shop.orders.updateMany(
    { status: 'placed', placedAt: { $lt: new Date(Date.now() - 5000) } },
    { $set: { status: 'shipped' } },
  );
  if (batch % 5 === 0)
    shop.customers.updateOne(
      { _id: insertedId },
      { $inc: { 'loyalty.points': 50 }, $push: { tags: 'promo' } },
    );
  if (batch % 7 === 0) shop.orders.deleteOne({ status: 'shipped' });
  if (batch % 30 === 0) print(`sample-writer: ${batch} batches written`);
  sleep(1000);
}
print(`sample-writer: done after ${batch} batches`);
