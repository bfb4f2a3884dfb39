/* Journey door list on the device: kept in IndexedDB so that the scanner can judge tickets
   with no signal. The list holds SHA-256 hashes of ticket codes, never a code: a lost phone
   gets nobody in. window.JourneyDoor.open(slug) gives a store for one event. */
(function () {
  "use strict";
  var DB_NAME = "journey-door";
  var STORE = "lists";

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "slug" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(db, mode, work) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction(STORE, mode);
      var result;
      work(t.objectStore(STORE), function (r) { result = r; });
      t.oncomplete = function () { resolve(result); };
      t.onerror = t.onabort = function () { reject(t.error); };
    });
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  // Lower-case hex SHA-256, as the server computes code_hash.
  function sha256(text) {
    if (!window.crypto || !crypto.subtle) return Promise.reject(new Error("no WebCrypto"));
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(hex);
  }

  // The same clean-up the server applies to codes from cameras, wedges and fingers.
  function normalise(code) { return String(code || "").replace(/\s+/g, "").toUpperCase(); }

  var STATUS_RESULT = {
    pending_benchmark: "benchmark_pending",
    pending_payment: "not_paid",
    waitlisted: "waitlisted",
    cancelled: "cancelled",
    refunded: "cancelled",
  };

  function Store(slug, db) {
    this.slug = slug;
    this.db = db;
    this.list = null; // {slug, version, fetchedAt, event, points, entries: {id: entry}}
    this.byHash = {};
  }

  Store.prototype.index = function () {
    var byHash = {};
    var entries = this.list ? this.list.entries : {};
    Object.keys(entries).forEach(function (id) {
      var e = entries[id];
      if (e.code_hash) byHash[e.code_hash] = e;
    });
    this.byHash = byHash;
  };

  Store.prototype.load = function () {
    var self = this;
    return tx(this.db, "readonly", function (store, done) {
      var req = store.get(self.slug);
      req.onsuccess = function () { done(req.result || null); };
    }).then(function (list) { self.list = list; self.index(); return list; });
  };

  // Merge a door-list answer (full, or a delta since our version) and keep it.
  Store.prototype.merge = function (body) {
    var list = body.since === null || body.since === undefined || !this.list
      ? { slug: this.slug, entries: {} }
      : this.list;
    body.entries.forEach(function (e) { list.entries[e.registration_id] = e; });
    list.version = body.version;
    list.fetchedAt = Date.now();
    list.event = body.event;
    list.points = body.points;
    var self = this;
    return tx(this.db, "readwrite", function (store) { store.put(list); }).then(function () {
      self.list = list;
      self.index();
      return list;
    });
  };

  Store.prototype.forget = function () {
    var self = this;
    return tx(this.db, "readwrite", function (store) { store.delete(self.slug); }).then(function () {
      self.list = null;
      self.byHash = {};
    });
  };

  Store.prototype.ready = function () { return !!this.list; };
  Store.prototype.count = function () {
    return this.list ? Object.keys(this.list.entries).length : 0;
  };
  Store.prototype.tickets = function () {
    return Object.keys(this.byHash).length;
  };

  // The entry a code belongs to (or null), by its hash.
  Store.prototype.findCode = function (code) {
    var self = this;
    var clean = normalise(code);
    if (!/^JRN1-[A-Z2-7]{16,59}$/.test(clean)) return Promise.resolve(null);
    return sha256(clean).then(function (h) { return self.byHash[h] || null; });
  };

  Store.prototype.findId = function (id) {
    return (this.list && this.list.entries[id]) || null;
  };

  Store.prototype.point = function (sessionId) {
    if (sessionId === null) return null;
    var points = (this.list && this.list.points) || [];
    for (var i = 0; i < points.length; i++) if (points[i].id === sessionId) return points[i];
    return null;
  };

  /* Judge a scan on the device: the result code the server would most likely give, from the
     list and this device's own admissions (`admittedAt(entry)` → ISO time or null). */
  Store.prototype.judge = function (entry, sessionId, admittedAt) {
    if (this.list && this.list.event && this.list.event.status === "cancelled") {
      return "event_cancelled";
    }
    if (!entry) return "unknown_code";
    if (STATUS_RESULT[entry.status]) return STATUS_RESULT[entry.status];
    var point = this.point(sessionId);
    if (point && point.bookable && entry.bookings.indexOf(sessionId) < 0) return "not_booked";
    if (admittedAt(entry)) return "already_checked_in";
    return "ok";
  };

  // Name search on the device: name or business containing every word typed.
  Store.prototype.search = function (query, limit) {
    var words = String(query || "").toLowerCase().split(/\s+/).filter(Boolean);
    if (!this.list || !words.length) return [];
    var entries = this.list.entries;
    var found = Object.keys(entries).map(function (id) { return entries[id]; }).filter(function (e) {
      var hay = ((e.name || "") + " " + (e.organisation || "")).toLowerCase();
      return words.every(function (w) { return hay.indexOf(w) >= 0; });
    });
    found.sort(function (a, b) {
      var ac = a.status === "confirmed" ? 0 : 1, bc = b.status === "confirmed" ? 0 : 1;
      return ac - bc || String(a.name).localeCompare(String(b.name)) || a.registration_id - b.registration_id;
    });
    return found.slice(0, limit || 25);
  };

  window.JourneyDoor = {
    open: function (slug) {
      return openDb().then(function (db) {
        var store = new Store(slug, db);
        return store.load().then(function () { return store; });
      });
    },
    normalise: normalise,
    sha256: sha256,
  };
})();
