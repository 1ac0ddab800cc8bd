// Try to export the device key: a non-extractable key refuses.
async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open("kanjia-visits"); r.onsuccess = () => ok(r.result); });
  const row = await new Promise((ok) => { const r = db.transaction("keys").objectStore("keys").get("main"); r.onsuccess = () => ok(r.result); });
  db.close();
  try { await crypto.subtle.exportKey("raw", row.key); return "exported"; } catch (e) { return "refused"; }
}
