/* Journey door scanner: camera (BarcodeDetector or jsQR), keyboard-wedge and typed codes,
   name search, big result screens with sound and vibration, undo. Online, every decision is
   the server's. With no signal and a door list on the device (door-store.js), the scan is
   judged here, marked "offline", and queued with its time for POST …/sync when the signal
   returns. */
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) return;

  var cfg = root.dataset;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var isOrganiser = cfg.organiser === "true";
  var $ = function (id) { return document.getElementById(id); };
  var pointSelect = $("point");
  var video = $("video");
  var overlay = $("result");
  var params = new URLSearchParams(location.search);

  // Green and info screens clear themselves; red and amber stay until tapped, because the
  // volunteer has something to do (ask for ID, send to the help desk).
  var RESULT_MS = { green: 2000, info: 1500 };
  var SAME_CODE_PAUSE_MS = 5000; // a ticket held in front of the camera is sent once
  var UNDO_MS = 5 * 60 * 1000;
  var QUEUE_KEY = "journey-scan-queue:" + cfg.event; // older pages' queue, moved to SYNC_KEY
  var SYNC_KEY = "journey-sync-queue:" + cfg.event;
  var ADMITTED_KEY = "journey-door-admitted:" + cfg.event;
  var SYNC_BATCH = 50;
  var REFRESH_MS = 60 * 1000;
  var RESULTS = JSON.parse($("scan-results").textContent);
  var POINT_KEY = "journey-scan-point:" + cfg.event;
  var DEVICE_KEY = "journey-scan-device";

  var busy = false;
  var showing = false;
  var hideTimer = null;
  var lastCode = "";
  var lastCodeAt = 0;

  // ------------------------------------------------------------ identity of this device

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  var device = localStorage.getItem(DEVICE_KEY);
  if (!device) {
    device = "scanner-" + uuid().slice(0, 8);
    localStorage.setItem(DEVICE_KEY, device);
  }

  // ------------------------------------------------------------ check-in point

  function pointId() { return pointSelect.value ? parseInt(pointSelect.value, 10) : null; }
  function pointLabel() { return pointSelect.options[pointSelect.selectedIndex].text; }
  var savedPoint = localStorage.getItem(POINT_KEY);
  if (savedPoint !== null && pointSelect.querySelector('option[value="' + savedPoint + '"]')) {
    pointSelect.value = savedPoint;
  }
  function pointChanged() {
    localStorage.setItem(POINT_KEY, pointSelect.value);
    $("point-name").textContent = pointLabel();
    lastCode = "";
    runSearch();
  }
  pointSelect.addEventListener("change", pointChanged);
  $("point-name").textContent = pointLabel();

  // ------------------------------------------------------------ sound and vibration

  var audio = null;
  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", unlockAudio);

  var SOUNDS = {
    green: { wave: "sine", notes: [[880, 110], [0, 40], [1320, 170]], buzz: [80] },
    amber: { wave: "triangle", notes: [[660, 170], [0, 90], [660, 170], [0, 90], [660, 170]], buzz: [150, 100, 150] },
    red: { wave: "sawtooth", notes: [[220, 260], [0, 80], [180, 420]], buzz: [400, 120, 400] },
    info: { wave: "sine", notes: [[520, 120]], buzz: [40] },
  };
  function signal(tone) {
    var s = SOUNDS[tone] || SOUNDS.info;
    if (navigator.vibrate) { try { navigator.vibrate(s.buzz); } catch (e) { /* not allowed */ } }
    if (!audio || audio.state !== "running") return;
    var t = audio.currentTime + 0.01;
    s.notes.forEach(function (n) {
      var secs = n[1] / 1000;
      if (n[0]) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = s.wave;
        osc.frequency.value = n[0];
        gain.gain.setValueAtTime(0.25, t);
        gain.gain.exponentialRampToValueAtTime(0.001, t + secs);
        osc.connect(gain).connect(audio.destination);
        osc.start(t);
        osc.stop(t + secs);
      }
      t += secs;
    });
  }

  // ------------------------------------------------------------ result screen

  var SYMBOL = { green: "✓", amber: "!", red: "✕", info: "i" };
  var currentResult = null;

  function detailLine(r) {
    if (r.result === "already_checked_in") {
      return "Already checked in at " + r.checked_in_at_local + " at " + r.point +
        (r.checked_in_by ? " by " + r.checked_in_by : "");
    }
    if (r.result === "wrong_event" && r.other_event) return "This ticket is for: " + r.other_event;
    if (r.result === "ok") return r.point ? "Checked in at " + r.point : "";
    return "";
  }

  function canUndo(r) {
    return r.result === "ok" && r.checkin_id &&
      (isOrganiser || Date.now() - (r.receivedAt || 0) < UNDO_MS);
  }

  function show(r) {
    currentResult = r;
    var tone = r.tone || "info";
    overlay.className = "scan-result tone-" + tone;
    overlay.dataset.result = r.result || "";
    $("result-symbol").textContent = SYMBOL[tone] || "";
    $("result-headline").textContent = r.headline || "";
    $("result-name").textContent = r.name || "";
    $("result-org").textContent = r.organisation || "";
    $("result-ticket").textContent = r.ticket_type || "";
    $("result-detail").textContent = r.detail || detailLine(r);
    $("result-advice").textContent = r.advice || "";
    var offline = $("result-offline");
    offline.classList.toggle("d-none", !r.offline);
    offline.textContent = r.offline ? "Offline: checked on this phone against the door list" +
      (door && door.list ? " from " + clock(door.list.fetchedAt) : "") +
      ". It is sent to the server when the signal returns." : "";
    $("result-undo").classList.toggle("d-none", !canUndo(r));
    var ms = RESULT_MS[tone];
    var timer = $("result-timer");
    timer.classList.remove("running");
    timer.classList.toggle("d-none", !ms);
    $("result-tap").classList.toggle("d-none", !!ms);
    $("result-next").textContent = ms ? "Next scan" : "Done: next scan";
    if (ms) {
      void timer.offsetWidth; // restart the countdown bar
      timer.style.setProperty("--scan-ms", ms + "ms");
      timer.classList.add("running");
    }
    showing = true;
    overlay.focus({ preventScroll: true });
    signal(tone);
    clearTimeout(hideTimer);
    if (ms) hideTimer = setTimeout(hide, ms);
  }

  function hide() {
    clearTimeout(hideTimer);
    overlay.classList.add("d-none");
    showing = false;
    currentResult = null;
  }

  overlay.addEventListener("click", function (e) {
    if (e.target.id !== "result-undo") hide();
  });
  $("result-undo").addEventListener("click", function () {
    clearTimeout(hideTimer);
    var r = currentResult;
    if (r) undo(r);
  });

  // ------------------------------------------------------------ recent scans on this device

  function addRecent(r) {
    var empty = $("recent-empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.className = "list-group-item d-flex justify-content-between align-items-center gap-2";
    var text = document.createElement("span");
    var dot = document.createElement("span");
    dot.className = "recent-tone tone-" + (r.tone || "info");
    text.appendChild(dot);
    var when = new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    text.appendChild(document.createTextNode(
      when + " · " + (r.name ? r.name + " — " : "") + (r.headline || r.result) +
      (r.point && r.result === "ok" ? " (" + r.point + ")" : "") + (r.offline ? " · offline" : "")));
    li.appendChild(text);
    if (r.result === "ok" && r.checkin_id) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "btn btn-sm btn-outline-danger flex-shrink-0";
      btn.textContent = "Undo";
      btn.addEventListener("click", function () { undo(r, btn); });
      li.appendChild(btn);
      r.undoButton = btn;
      if (!isOrganiser) setTimeout(function () { btn.remove(); }, UNDO_MS);
    }
    var list = $("recent");
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 15) list.removeChild(list.lastChild);
  }

  // ------------------------------------------------------------ talking to the server

  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(payload),
    });
  }

  function problem(status, body) {
    var msg = (body && body.message) || "";
    if (status === 401) return { tone: "red", headline: "Signed out", advice: "Sign in again, then scan." };
    if (status === 403) return { tone: "red", headline: "Not allowed", advice: msg || "You are not door staff for this event." };
    if (status === 429) return { tone: "amber", headline: "Slow down", advice: "Too many scans at once. Wait a moment and scan again." };
    return { tone: "red", headline: "Could not check", advice: msg || "Scan again." };
  }

  function redeem(fields) {
    if (busy) return Promise.resolve();
    busy = true;
    var payload = { session_id: pointId(), nonce: uuid(), device: device };
    Object.keys(fields).forEach(function (k) { payload[k] = fields[k]; });
    var scannedAt = isoNow();
    var attempt = navigator.onLine || !door || !door.ready()
      ? send(payload, true)
      : Promise.resolve(false);
    return attempt.then(function (reached) {
      if (reached !== false) return;
      if (door && door.ready()) return judgeOffline(payload, scannedAt);
      queueScan(payload, scannedAt, null);
      show({
        tone: "amber", headline: "No connection",
        advice: "Not checked yet: the scan is saved and will be sent when the connection returns. " +
          "Do not admit unless you are sure. Next time, press “Get ready for no signal” while online.",
      });
    }).finally(function () { busy = false; });
  }

  // Resolves false when the server could not be reached, true otherwise.
  function send(payload, interactive) {
    return post(cfg.scanUrl, payload).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 200) {
          body.receivedAt = Date.now();
          if (interactive) show(body);
          addRecent(body);
          if (body.result === "ok") { rememberOnline(payload, body); runSearch(); }
          return true;
        }
        if (interactive) show(problem(res.status, body));
        return true;
      });
    }, function () { return false; });
  }

  // ------------------------------------------------------------ offline decisions

  function isoNow() { return new Date().toISOString().replace(/\.\d{3}Z$/, "Z"); }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }
  function pointKey(sessionId) { return sessionId === null ? "door" : "s" + sessionId; }
  function loadAdmitted() {
    try { return JSON.parse(localStorage.getItem(ADMITTED_KEY) || "{}"); } catch (e) { return {}; }
  }
  function admittedAt(sessionId) {
    var here = loadAdmitted()[pointKey(sessionId)] || {};
    return function (entry) { return here[entry.registration_id] || null; };
  }
  function remember(sessionId, registrationId, iso) {
    var all = loadAdmitted();
    var key = pointKey(sessionId);
    all[key] = all[key] || {};
    if (!all[key][registrationId]) all[key][registrationId] = iso;
    localStorage.setItem(ADMITTED_KEY, JSON.stringify(all));
  }
  // An online admission counts on this device too, should the signal go.
  function rememberOnline(payload, body) {
    if (!door || !door.ready()) return;
    var found = payload.registration_id ? Promise.resolve(door.findId(payload.registration_id))
      : door.findCode(payload.code);
    found.then(function (entry) {
      if (entry) remember(payload.session_id, entry.registration_id, body.first_checked_in_at || isoNow());
    }, function () { /* no WebCrypto: nothing to remember */ });
  }

  function judgeOffline(payload, scannedAt) {
    var sessionId = payload.session_id;
    var found = payload.registration_id ? Promise.resolve(door.findId(payload.registration_id))
      : door.findCode(payload.code);
    return found.then(function (entry) {
      var code = door.judge(entry, sessionId, admittedAt(sessionId));
      var meta = RESULTS[code];
      var point = sessionId === null ? "Entrance" : ((door.point(sessionId) || {}).title || pointLabel());
      var r = {
        result: code, tone: meta[0], headline: meta[1], advice: meta[2], offline: true,
        name: entry && code !== "unknown_code" ? entry.name : null,
        organisation: entry && code !== "unknown_code" ? entry.organisation : null,
        ticket_type: entry && code !== "unknown_code" ? entry.ticket_type : null,
        point: point, receivedAt: Date.now(),
      };
      if (code === "ok") {
        remember(sessionId, entry.registration_id, scannedAt);
        r.detail = "Checked in at " + point + " (on this phone)";
      } else if (code === "already_checked_in") {
        var first = admittedAt(sessionId)(entry);
        r.detail = "Already checked in on this phone at " + clock(Date.parse(first)) + " at " + point;
      }
      queueScan(payload, scannedAt, code);
      show(r);
      addRecent(r);
    }, function () {
      queueScan(payload, scannedAt, null);
      show({ tone: "amber", headline: "Cannot check offline",
             advice: "This browser cannot check codes offline (it needs HTTPS). The scan is saved; do not admit unless you are sure." });
    });
  }

  // ------------------------------------------------------------ offline queue and sync

  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(SYNC_KEY) || "[]"); } catch (e) { return []; }
  }
  function saveQueue(q) {
    localStorage.setItem(SYNC_KEY, JSON.stringify(q));
    var banner = $("offline-banner");
    banner.classList.toggle("d-none", q.length === 0);
    banner.textContent = q.length + (q.length === 1 ? " scan is" : " scans are") +
      " waiting for the signal. They will be sent (once each) as soon as it returns.";
    root.dataset.queued = String(q.length);
  }
  function queueScan(payload, scannedAt, offlineResult) {
    var item = { nonce: payload.nonce, scanned_at: scannedAt, session_id: payload.session_id };
    if (payload.registration_id) item.registration_id = payload.registration_id;
    else item.code = payload.code;
    if (offlineResult) item.offline_result = offlineResult;
    var q = loadQueue();
    q.push(item);
    saveQueue(q);
  }
  (function moveOldQueue() { // scans queued by an older version of this page
    var old;
    try { old = JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { old = []; }
    if (!old.length) return;
    var q = loadQueue();
    old.forEach(function (p) {
      var item = { nonce: p.nonce, scanned_at: isoNow(), session_id: p.session_id };
      if (p.registration_id) item.registration_id = p.registration_id; else item.code = p.code;
      q.push(item);
    });
    saveQueue(q);
    localStorage.removeItem(QUEUE_KEY);
  })();

  function conflictNote(item, r) {
    addRecent({
      tone: "red", result: r.result, name: r.name,
      headline: "Conflict: the server says " + (r.headline || r.result).toLowerCase() +
        (r.checked_in_at_local ? " (" + r.checked_in_at_local + (r.checked_in_by ? " by " + r.checked_in_by : "") + ")" : ""),
    });
  }

  var flushing = false;
  function flushQueue() {
    var q = loadQueue();
    if (flushing || !q.length || !navigator.onLine) return;
    flushing = true;
    var batch = q.slice(0, SYNC_BATCH);
    post(cfg.syncUrl, { device: device, scans: batch }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        var sent = {};
        batch.forEach(function (item) { sent[item.nonce] = item; });
        if (res.status === 200) {
          body.results.forEach(function (r) {
            var item = sent[r.nonce];
            if (item && item.offline_result && item.offline_result !== r.result) conflictNote(item, r);
          });
        } else if (res.status === 400) {
          addRecent({ tone: "red", result: "sync", headline: batch.length + " offline scans refused by the server: " + (body.message || "bad request") });
        } else {
          if (res.status === 401) $("offline-banner").textContent += " Sign in again to send them.";
          return false;
        }
        saveQueue(loadQueue().filter(function (item) { return !sent[item.nonce]; }));
        runSearch();
        return true;
      });
    }, function () { return false; }).then(function (ok) {
      flushing = false;
      if (ok && loadQueue().length) flushQueue();
    });
  }
  saveQueue(loadQueue());
  window.addEventListener("online", function () { flushQueue(); refreshDoorList(); });
  setInterval(flushQueue, 5000);

  // ------------------------------------------------------------ the door list

  var door = null;
  function doorStatus() {
    var el = $("door-status");
    var btn = $("door-ready");
    if (!door || !door.ready()) {
      el.textContent = window.indexedDB ? "Not ready for no signal: the scanner needs the network."
        : "This browser cannot keep a door list.";
      btn.textContent = "Get ready for no signal";
      root.dataset.doorList = "none";
      $("door-forget").classList.add("d-none");
      return;
    }
    $("door-forget").classList.remove("d-none");
    var n = door.tickets();
    var people = door.count();
    el.textContent = "Ready for no signal: " + n + (n === 1 ? " ticket" : " tickets") +
      (people !== n ? " (" + people + " people in all)" : "") +
      ", list from " + clock(door.list.fetchedAt) + ".";
    btn.textContent = "Refresh the door list";
    root.dataset.doorList = String(n);
  }
  function refreshDoorList(full) {
    if (!door || (!full && !door.ready()) || !navigator.onLine) return Promise.resolve();
    var since = !full && door.list ? "?since=" + door.list.version : "";
    return fetch(cfg.doorListUrl + since, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) {
        if (!res.ok) throw new Error(res.status);
        return res.json();
      })
      .then(function (body) {
        if (body.csrf_token) csrf = body.csrf_token; // a page opened from the offline copy
        return door.merge(body);
      })
      .then(doorStatus);
  }
  $("door-ready").addEventListener("click", function () {
    var btn = $("door-ready");
    btn.disabled = true;
    $("door-status").textContent = "Downloading the door list…";
    refreshDoorList(true).catch(function () {
      $("door-status").textContent = "Could not download the door list: try again where there is signal.";
    }).finally(function () { btn.disabled = false; });
  });
  // After the event, or before handing the phone on: names and access needs leave with it.
  // Scans still waiting for the signal are kept and sent.
  $("door-forget").addEventListener("click", function () {
    if (!door) return;
    door.forget().then(function () {
      localStorage.removeItem(ADMITTED_KEY);
      doorStatus();
      $("door-status").textContent = "The door list has been removed from this phone.";
    });
  });
  if (window.JourneyDoor) {
    window.JourneyDoor.open(cfg.event).then(function (store) {
      door = store;
      doorStatus();
      refreshDoorList().catch(function () { /* offline: keep what we have */ });
      setInterval(function () { refreshDoorList().catch(function () {}); }, REFRESH_MS);
    }, function () { doorStatus(); });
  }

  // The scanner opens with no network once it has been opened online.
  if ("serviceWorker" in navigator && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.swScope }).catch(function () {
      /* not over HTTPS: the scanner still works online */
    });
  }

  function undo(r, button) {
    post(cfg.undoUrl, { checkin_id: r.checkin_id }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.ok) {
          if (r.undoButton) r.undoButton.remove();
          if (button) button.remove();
          show({ tone: "info", headline: "Admission undone", name: r.name, advice: "They can be scanned again." });
          runSearch();
        } else {
          show({ tone: "red", headline: "Could not undo", advice: body.message || "Ask an organiser." });
        }
      });
    }, function () {
      show({ tone: "red", headline: "No connection", advice: "The admission was not undone." });
    });
  }

  // ------------------------------------------------------------ codes from anywhere

  function codeRead(raw) {
    var code = (raw || "").trim();
    if (!code || showing || busy) return;
    var now = Date.now();
    if (code === lastCode && now - lastCodeAt < SAME_CODE_PAUSE_MS) return;
    lastCode = code;
    lastCodeAt = now;
    redeem({ code: code });
  }

  $("code-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("code-input");
    var code = input.value;
    input.value = "";
    lastCode = ""; // a typed code is always sent
    codeRead(code);
  });

  // A keyboard-wedge scanner types the code and Enter, fast, wherever the focus is.
  var wedge = "";
  var wedgeAt = 0;
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    if (cardPerson) return; // the attendee card has the keyboard
    if (showing && (e.key === "Enter" || e.key === "Escape" || e.key === " ")) { e.preventDefault(); hide(); return; }
    var now = Date.now();
    if (now - wedgeAt > 1000) wedge = "";
    wedgeAt = now;
    if (e.key === "Enter") {
      if (wedge.length >= 4) { e.preventDefault(); lastCode = ""; codeRead(wedge); }
      wedge = "";
    } else if (e.key.length === 1) {
      wedge += e.key;
    }
  });

  // ------------------------------------------------------------ camera

  var detector = null;
  var canvas = document.createElement("canvas");
  var ctx2d = canvas.getContext("2d", { willReadFrequently: true });
  var decoderName = "";

  function chooseDecoder() {
    var forced = params.get("decoder");
    if (forced !== "jsqr" && "BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) {
          detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return "BarcodeDetector";
        }
        return "jsQR";
      }, function () { return "jsQR"; });
    }
    return Promise.resolve("jsQR");
  }

  function decodeFrame() {
    if (detector) {
      return detector.detect(video).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      });
    }
    if (!window.jsQR) return Promise.resolve(null);
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return Promise.resolve(null);
    var scale = Math.min(1, 800 / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    ctx2d.drawImage(video, 0, 0, canvas.width, canvas.height);
    var img = ctx2d.getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(found ? found.data : null);
  }

  function loop() {
    var next = function () { setTimeout(loop, 150); };
    if (showing || busy || video.readyState < 2) { next(); return; }
    decodeFrame().then(function (code) { if (code) codeRead(code); }, function () { /* frame not ready */ })
      .then(next, next);
  }

  // What a camera failure means, and what to do, in words (never "NotFoundError").
  function cameraProblem(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "The camera is blocked for this site. Allow it in the browser’s site settings " +
        "(the icon next to the address), then tap Start camera. Meanwhile, search by name or type the code.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "No camera found on this device. Search by name, type the code, or plug in a handheld scanner.";
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return "The camera is busy or would not start. Close other apps that use it (video calls, " +
        "the camera app), then tap Start camera. Meanwhile, search by name.";
    }
    return "The camera could not start. Tap Start camera to try again, or search by name.";
  }

  function cameraOff(message) {
    root.classList.remove("camera-on");
    $("camera-status").textContent = message;
  }

  function startCamera() {
    var status = $("camera-status");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraOff(window.isSecureContext === false
        ? "The camera only works when this page is opened over https://. Ask an organiser for " +
          "that address. Meanwhile, search by name or type the code."
        : "No camera here: search by name, type the code, or use a handheld scanner.");
      return;
    }
    root.classList.add("camera-on");
    status.textContent = "Starting camera…";
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    }).then(function (stream) {
      video.srcObject = stream;
      return video.play();
    }).then(function () {
      return chooseDecoder();
    }).then(function (name) {
      decoderName = name;
      $("camera-box").classList.add("live");
      $("decoder-name").textContent = "Decoder: " + decoderName;
      status.textContent = "Scanning — hold the ticket’s QR code in the frame";
      root.dataset.decoder = decoderName;
      loop();
    }).catch(function (err) {
      cameraOff(cameraProblem(err));
    });
  }
  $("camera-start").addEventListener("click", function () { unlockAudio(); startCamera(); });
  if (params.get("camera") !== "off") {
    // Start straight away where permission is already granted; otherwise wait for a tap.
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "camera" }).then(function (p) {
        if (p.state === "granted") startCamera();
      }, function () { /* unknown: wait for the tap */ });
    }
  }

  // ------------------------------------------------------------ name search

  var searchTimer = null;
  var searchSeq = 0;
  var STATUS_LABEL = {
    confirmed: ["Confirmed", "success"],
    pending_benchmark: ["Benchmark pending", "warning"],
    pending_payment: ["Not paid", "warning"],
    waitlisted: ["Waiting list", "secondary"],
    cancelled: ["Cancelled", "danger"],
    refunded: ["Refunded", "danger"],
  };

  function localResults(q) {
    var at = admittedAt(pointId());
    return door.search(q, 25).map(function (e) {
      var when = at(e);
      return {
        registration_id: e.registration_id, name: e.name, organisation: e.organisation,
        ticket_type: e.ticket_type, status: e.status, email: "",
        bookings: e.bookings.map(function (id) { return (door.point(id) || {}).title; }).filter(Boolean),
        access_needs: e.access_needs || null,
        checked_in_at_local: when ? clock(Date.parse(when)) : null,
      };
    });
  }

  function renderResults(results, offline) {
    var out = $("search-results");
    var status = $("search-status");
    out.innerHTML = "";
    status.textContent = (results.length ? "Tap a person to see their card." : "Nobody found.") +
      (offline ? " (Offline: from the door list.)" : "");
    results.forEach(function (a) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "list-group-item list-group-item-action py-3";
      var label = STATUS_LABEL[a.status] || [a.status, "secondary"];
      var top = document.createElement("div");
      top.className = "d-flex justify-content-between gap-2";
      var name = document.createElement("strong");
      name.textContent = a.name;
      var badge = document.createElement("span");
      badge.className = "badge text-bg-" + (a.checked_in_at_local ? "info" : label[1]);
      badge.textContent = a.checked_in_at_local ? "In at " + a.checked_in_at_local : label[0];
      top.appendChild(name);
      top.appendChild(badge);
      var sub = document.createElement("div");
      sub.className = "small text-body-secondary";
      sub.textContent = [a.organisation, a.email, a.ticket_type].filter(Boolean).join(" · ");
      btn.appendChild(top);
      btn.appendChild(sub);
      btn.addEventListener("click", function () { openCard(a, offline); });
      out.appendChild(btn);
    });
  }

  // The attendee's card: who they are and their state, with a Check in button. Nobody is
  // admitted by tapping a row in the list (two people with the same name, one mis-tap).
  var cardPerson = null;
  var cardModal = null;
  function openCard(a, offline) {
    cardPerson = a;
    var label = STATUS_LABEL[a.status] || [a.status, "secondary"];
    $("card-name").textContent = a.name;
    $("card-org").textContent = a.organisation || "—";
    $("card-ticket").textContent = a.ticket_type || "—";
    var badge = document.createElement("span");
    badge.className = "badge fs-6 text-bg-" + label[1];
    badge.textContent = label[0];
    $("card-status").replaceChildren(badge);
    $("card-here").textContent = a.checked_in_at_local
      ? "Checked in at " + pointLabel() + " at " + a.checked_in_at_local
      : "Not checked in at " + pointLabel() + " yet";
    $("card-bookings").textContent = (a.bookings && a.bookings.length) ? a.bookings.join(", ") : "None";
    $("card-access").textContent = a.access_needs || "None given";
    $("card-offline").classList.toggle("d-none", !offline);
    $("card-checkin").textContent = "Check in at " + pointLabel();
    cardModal = cardModal || window.bootstrap.Modal.getOrCreateInstance($("attendee-card"));
    cardModal.show();
  }
  $("card-checkin").addEventListener("click", function () {
    var a = cardPerson;
    if (!a) return;
    cardModal.hide();
    redeem({ registration_id: a.registration_id });
  });
  $("attendee-card").addEventListener("hidden.bs.modal", function () { cardPerson = null; });

  function runSearch() {
    var q = $("search-input").value.trim();
    var status = $("search-status");
    if (q.length < 2) { $("search-results").innerHTML = ""; status.textContent = ""; return; }
    var seq = ++searchSeq;
    var offlineReady = door && door.ready();
    if (!navigator.onLine && offlineReady) { renderResults(localResults(q), true); return; }
    var url = cfg.searchUrl + "?q=" + encodeURIComponent(q) +
      (pointId() ? "&session_id=" + pointId() : "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.json().then(function (b) { return [res, b]; }); })
      .then(function (pair) {
        if (seq !== searchSeq) return;
        var res = pair[0], body = pair[1];
        if (!res.ok) { $("search-results").innerHTML = ""; status.textContent = body.message || "Search failed."; return; }
        renderResults(body.results, false);
      })
      .catch(function () {
        if (seq !== searchSeq) return;
        if (door && door.ready()) renderResults(localResults(q), true);
        else status.textContent = "No connection.";
      });
  }
  $("search-input").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });
})();
