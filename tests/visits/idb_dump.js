// Every IndexedDB record of the visit app as text (ArrayBuffers as latin-1 strings, the key's properties).
async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open("kanjia-visits"); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const text = (buf) => { const b = new Uint8Array(buf); let s = ""; for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192)); return s; };
  const out = {};
  for (const name of Array.from(db.objectStoreNames)) {
    const rows = await new Promise((ok) => { const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result); });
    out[name] = rows.map((row) => JSON.stringify(row, (k, v) => v instanceof ArrayBuffer ? text(v) : (v instanceof Uint8Array ? text(v.buffer) : (v instanceof CryptoKey ? {type: v.type, extractable: v.extractable, algorithm: v.algorithm.name} : v))));
  }
  db.close();
  return out;
}
