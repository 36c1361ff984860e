/**
 * The identity of a document key: what two rows must share to be the same row of a mirror table. bson-arrow's
 * canonical key text keeps each value's BSON type (`{"$numberInt":"77"}`), but MongoDB's `_id` index compares
 * numbers by value — Int32 5, Int64 5 and Double 5.0 are one document — and Debezium's relaxed key text already
 * blurs Int32 and Int64. So merges compare this form: every integral number (|n| < 2^63) as `$numberLong`, which is
 * also exactly the key text tables and key indexes written before keys kept their types hold, so both compare
 * equal without a rebuild.
 *
 * It works on the text: in compact canonical Extended JSON a `{"$numberInt":"…"}` or `{"$numberDouble":"…"}`
 * wrapper cannot occur inside a string (a string's quotes are escaped), so the replacement touches numbers only.
 */
const NUMBER = /\{"\$number(Int|Double)":"([^"]*)"\}/g;
const INT64_LIMIT = 2 ** 63;

export function keyIdentity(keyCanonical: string): string {
  if (!keyCanonical.includes('{"$number')) return keyCanonical; // ObjectIds, strings: nearly every key
  return keyCanonical.replace(NUMBER, (wrapper, type: string, text: string) => {
    if (type === 'Int') return `{"$numberLong":"${text}"}`;
    const d = Number(text);
    return Number.isInteger(d) && Math.abs(d) < INT64_LIMIT ? `{"$numberLong":"${BigInt(d)}"}` : wrapper;
  });
}
