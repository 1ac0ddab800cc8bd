// The phone's store for home visits: IndexedDB, every record with personal data
// encrypted with AES-GCM under a non-extractable WebCrypto key kept in the same
// database (it can be used on this device, never read out by script).
//
// Stores:
//   keys   {id: "main", key: CryptoKey}                       the device key
//   meta   {id: "meta", lastContact, downloadedAt, deviceId}   no personal data
//   tasks  {id: "tasks", iv, data}                            the visit list (encrypted)
//   forms  {id: taskKey, status, savedAt, iv, data}           one form per task (encrypted)
//   photos {id, formId, iv, data}                             resized photos (encrypted)
// status: "pending" (saved, waits to sync), "failed" (refused with reasons),
// "conflict" (server has a different version), "synced" (the server applied it;
// the content is then deleted from the phone).
(function () {
  "use strict";
  const DB_NAME = "kanjia-visits";
  const VERSION = 1;
  const STORES = ["keys", "meta", "tasks", "forms", "photos"];
  const UNSYNCED = ["pending", "failed", "conflict"];
  let dbPromise = null;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, VERSION);
        req.onupgradeneeded = () => {
          const db = req.result;
          STORES.forEach((name) => {
            if (!db.objectStoreNames.contains(name)) {
              const store = db.createObjectStore(name, { keyPath: "id" });
              if (name === "photos") store.createIndex("formId", "formId");
            }
          });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }

  async function tx(names, mode, fn) {
    const db = await open();
    const t = db.transaction(names, mode);
    const done = new Promise((resolve, reject) => {
      t.oncomplete = resolve;
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error("aborted"));
    });
    const stores = names.map((n) => t.objectStore(n));
    const result = await fn(...stores);
    await done;
    return result;
  }

  const get = (store, id) => tx([store], "readonly", (s) => request(s.get(id)));
  const put = (store, value) => tx([store], "readwrite", (s) => request(s.put(value)));
  const all = (store) => tx([store], "readonly", (s) => request(s.getAll()));
  const del = (store, id) => tx([store], "readwrite", (s) => request(s.delete(id)));

  // --- The key ------------------------------------------------------------------------------
  let keyPromise = null;
  function key() {
    if (!keyPromise) {
      keyPromise = (async () => {
        const found = await get("keys", "main");
        if (found) return found.key;
        const made = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
        await put("keys", { id: "main", key: made });
        return made;
      })();
    }
    return keyPromise;
  }

  async function encryptBytes(bytes) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await key(), bytes);
    return { iv, data };
  }

  async function decryptBytes(record) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: record.iv }, await key(), record.data);
  }

  async function encryptJson(value) {
    return encryptBytes(new TextEncoder().encode(JSON.stringify(value)));
  }

  async function decryptJson(record) {
    return JSON.parse(new TextDecoder().decode(await decryptBytes(record)));
  }

  // --- Public API -----------------------------------------------------------------------------
  const Store = {
    UNSYNCED,
    async meta() {
      return (await get("meta", "meta")) || { id: "meta" };
    },
    async setMeta(values) {
      const current = await Store.meta();
      await put("meta", { ...current, ...values, id: "meta" });
    },
    async saveTasks(tasks) {
      await put("tasks", { id: "tasks", ...(await encryptJson(tasks)) });
    },
    async tasks() {
      const found = await get("tasks", "tasks");
      return found ? decryptJson(found) : null;
    },
    async forms() {
      // Status only (no decryption): for the counts.
      return (await all("forms")).map((f) => ({ id: f.id, status: f.status, savedAt: f.savedAt, syncedAt: f.syncedAt }));
    },
    async form(id) {
      const found = await get("forms", id);
      if (!found) return null;
      const content = found.data ? await decryptJson(found) : {};
      return { id, status: found.status, savedAt: found.savedAt, syncedAt: found.syncedAt, ...content };
    },
    async saveForm(id, status, content, savedAt) {
      const sealed = await encryptJson(content);
      await put("forms", { id, status, savedAt, ...sealed });
    },
    async markSynced(id) {
      // The server applied it: keep only the fact, not the content.
      await put("forms", { id, status: "synced", syncedAt: new Date().toISOString() });
      await Store.deletePhotos(id);
    },
    async discardForm(id) {
      await del("forms", id);
      await Store.deletePhotos(id);
    },
    async addPhoto(formId, blob) {
      const id = `${formId}:${crypto.randomUUID()}`;
      const sealed = await encryptBytes(await blob.arrayBuffer());
      await put("photos", { id, formId, ...sealed });
      return id;
    },
    async photos(formId) {
      const rows = await tx(["photos"], "readonly", (s) => request(s.index("formId").getAll(formId)));
      const out = [];
      for (const row of rows) {
        out.push({ id: row.id, blob: new Blob([await decryptBytes(row)], { type: "image/jpeg" }) });
      }
      return out;
    },
    async deletePhoto(id) {
      await del("photos", id);
    },
    async deletePhotos(formId) {
      const rows = await tx(["photos"], "readonly", (s) => request(s.index("formId").getAllKeys(formId)));
      for (const id of rows) await del("photos", id);
    },
    async unsyncedCount() {
      return (await Store.forms()).filter((f) => UNSYNCED.includes(f.status)).length;
    },
    async wipe() {
      // Everything: forms, photos, tasks, the key itself, and the cached app shell.
      keyPromise = null;
      if (dbPromise) {
        (await dbPromise).close();
        dbPromise = null;
      }
      await new Promise((resolve) => {
        const req = indexedDB.deleteDatabase(DB_NAME);
        req.onsuccess = req.onerror = req.onblocked = () => resolve();
      });
      if (window.caches) {
        for (const name of await caches.keys()) {
          if (name.startsWith("kanjia-visits")) await caches.delete(name);
        }
      }
    },
  };
  window.VisitStore = Store;
})();
