/* Agenda builder: drag a session to move it (time and room), drag its lower edge to resize.
   Pointer events, no library. Every drop is checked by the server; a refused drop snaps back
   and shows the server's message (which names the clash). The forms do the same without JS. */
(function () {
  "use strict";
  var grid = document.getElementById("builder-grid");
  if (!grid) return;
  var message = document.getElementById("builder-message");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var SLOT = parseInt(grid.dataset.slot, 10) || 5;
  var origin = toMinutes(grid.dataset.origin);

  function toMinutes(hhmm) { var p = hhmm.split(":"); return parseInt(p[0], 10) * 60 + parseInt(p[1], 10); }
  function toHHMM(min) {
    var h = Math.floor(min / 60), m = min % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }
  function rowHeight() {
    var slot = grid.querySelector(".builder-slot");
    return slot.getBoundingClientRect().height / 3;  // a slot link spans 15 minutes
  }
  function columns() {
    return Array.prototype.map.call(grid.querySelectorAll(".builder-head[data-room]"), function (h) {
      var r = h.getBoundingClientRect();
      return { room: h.dataset.room, left: r.left, right: r.right, name: h.textContent.trim() };
    });
  }
  function showMessage(text, kind) {
    message.textContent = text;
    message.className = "alert alert-" + (kind || "danger");
    message.scrollIntoView({ block: "nearest" });
  }

  function send(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.message || data.error || "The change was not saved.");
        return data;
      });
    });
  }

  function label(el, text) {
    var tag = el.querySelector(".builder-ghost-label");
    if (!tag) { tag = document.createElement("span"); tag.className = "builder-ghost-label"; el.appendChild(tag); }
    tag.textContent = text;
  }
  function clearLabel(el) { var tag = el.querySelector(".builder-ghost-label"); if (tag) tag.remove(); }

  function reset(el) {
    el.style.transform = ""; el.style.height = ""; el.classList.remove("dragging", "saving"); clearLabel(el);
  }

  var drag = null;

  grid.addEventListener("pointerdown", function (e) {
    var el = e.target.closest(".builder-session");
    if (!el || e.button !== 0 || el.classList.contains("is-cancelled")) return;
    var resizing = e.target.classList.contains("builder-resize");
    drag = {
      el: el, resizing: resizing, x: e.clientX, y: e.clientY, moved: false,
      start: toMinutes(el.dataset.start), end: toMinutes(el.dataset.end),
      height: el.getBoundingClientRect().height, rowH: rowHeight(), cols: columns()
    };
    if (resizing) { e.preventDefault(); el.setPointerCapture(e.pointerId); }
  });

  grid.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) < 5 && Math.abs(dy) < 5) return;
    if (!drag.moved) {
      drag.moved = true;
      drag.el.classList.add("dragging");
      try { drag.el.setPointerCapture(e.pointerId); } catch (err) { /* already captured */ }
    }
    e.preventDefault();
    var rows = Math.round(dy / drag.rowH);
    if (drag.resizing) {
      var end = Math.max(drag.start + SLOT, drag.end + rows * SLOT);
      drag.newEnd = end;
      drag.el.style.height = (drag.height + (end - drag.end) / SLOT * drag.rowH) + "px";
      label(drag.el, "ends " + toHHMM(end));
      return;
    }
    var start = Math.max(origin, drag.start + rows * SLOT);
    var col = null;
    drag.cols.forEach(function (c) { if (e.clientX >= c.left && e.clientX <= c.right) col = c; });
    var current = drag.cols.filter(function (c) { return c.room === drag.el.dataset.room; })[0];
    col = col || current;
    drag.newStart = start; drag.newRoom = col.room;
    var shiftX = current ? col.left - current.left : 0;
    drag.el.style.transform = "translate(" + shiftX + "px," + ((start - drag.start) / SLOT * drag.rowH) + "px)";
    label(drag.el, toHHMM(start) + "–" + toHHMM(start + drag.end - drag.start) + " · " + col.name);
  });

  function finish(e) {
    if (!drag) return;
    var d = drag; drag = null;
    if (!d.moved) return;  // a click: let the link open the form
    e.preventDefault();
    var el = d.el;
    el.dataset.justDragged = "1";
    setTimeout(function () { delete el.dataset.justDragged; }, 300);
    el.classList.add("saving");
    var request;
    if (d.resizing) {
      if (d.newEnd === undefined || d.newEnd === d.end) { reset(el); return; }
      request = send(el.dataset.resizeUrl, { end: toHHMM(d.newEnd) });
    } else {
      if (d.newStart === undefined || (d.newStart === d.start && d.newRoom === el.dataset.room)) { reset(el); return; }
      request = send(el.dataset.moveUrl, { day: grid.dataset.day, start: toHHMM(d.newStart), room_id: d.newRoom });
    }
    request.then(function () {
      window.location.reload();
    }).catch(function (err) {
      reset(el);
      showMessage("“" + el.dataset.title + "” " +
        (d.resizing ? "was not lengthened or shortened: " : "was not moved: ") + err.message);
    });
  }
  grid.addEventListener("pointerup", finish);
  grid.addEventListener("pointercancel", function () { if (drag) { reset(drag.el); drag = null; } });
  // A drag must not also follow the title link when the pointer is released over it.
  grid.addEventListener("click", function (e) {
    var el = e.target.closest(".builder-session");
    if (el && el.dataset.justDragged) { e.preventDefault(); delete el.dataset.justDragged; }
  }, true);
  // No native drag of the title link or text selection: the pointer handlers do the dragging.
  grid.addEventListener("mousedown", function (e) { if (e.target.closest(".builder-session")) e.preventDefault(); });
  grid.addEventListener("dragstart", function (e) { if (e.target.closest(".builder-session")) e.preventDefault(); });
})();
