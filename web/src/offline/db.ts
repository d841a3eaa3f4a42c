// A very small promise wrapper over IndexedDB: one database, two stores, nothing more.

export const ITEMS = "items";
export const PHOTOS = "photos";

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function openDatabase(name: string, factory: IDBFactory = indexedDB): Promise<IDBDatabase> {
  const request = factory.open(name, 1);
  request.onupgradeneeded = () => {
    const db = request.result;
    // Items in the order they were queued (the auto-increment key is that order).
    db.createObjectStore(ITEMS, { keyPath: "seq", autoIncrement: true });
    // Photos sent: the phone's own id for a photo → the API's evidence id.
    db.createObjectStore(PHOTOS);
  };
  return done(request);
}

export class Store {
  constructor(private readonly db: IDBDatabase) {}

  async all<T>(store: string): Promise<T[]> {
    return done(this.db.transaction(store).objectStore(store).getAll()) as Promise<T[]>;
  }

  async get<T>(store: string, key: IDBValidKey): Promise<T | undefined> {
    return done(this.db.transaction(store).objectStore(store).get(key)) as Promise<T | undefined>;
  }

  /** Write a value (with its key when the store has no key path); the key it got. */
  async put(store: string, value: unknown, key?: IDBValidKey): Promise<IDBValidKey> {
    const tx = this.db.transaction(store, "readwrite");
    const written = done(tx.objectStore(store).put(value, key));
    await committed(tx);
    return written;
  }

  async delete(store: string, key: IDBValidKey): Promise<void> {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).delete(key);
    await committed(tx);
  }
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}
