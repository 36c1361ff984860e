// Makes `mongo` a one-member replica set (change streams, and so Debezium, need one) and waits until it is
// primary. Idempotent: a second run finds the set initialised.
try {
  rs.status();
  print('replica set rs0 already initialised');
} catch (e) {
  if (e.codeName !== 'NotYetInitialized') throw e;
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] });
  print('replica set rs0 initialised');
}
for (let i = 0; i < 120 && !db.hello().isWritablePrimary; i++) sleep(500);
if (!db.hello().isWritablePrimary) throw new Error('mongo did not become primary within 60 s');
print('mongo is primary');
